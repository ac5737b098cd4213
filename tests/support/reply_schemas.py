"""A realistic reply schema: what the LLM code must send to a server and parse back (nested
models, an enum, Literal, patterns with and without named groups, bounds on lists,
numbers and strings)."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field


class Colour(StrEnum):
    red = "red"
    blue = "blue"


class Item(BaseModel):
    title: str = Field(max_length=20, description="a field called title must survive")
    kind: Literal["a", "b"] = "a"
    colour: Colour = Colour.red
    note: str | None = None
    code: str = Field(default="x1", pattern=r"^[a-z]\d+$")
    slug: str = Field(default="ab", pattern=r"^(?P<w>[a-z]+)$")


class Realistic(BaseModel):
    items: list[Item] = Field(default_factory=list, max_length=5)
    counts: dict[str, int] = Field(default_factory=dict)
    share: float = Field(default=0.5, gt=0, le=1)
    n: int = Field(default=3, ge=1, le=10)
    nested: Item | None = None
