"""Pydantic models of the texts: captions, question-answer turns, a sample's texts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .checker import Issue, Require

TextSource = Literal["template", "llm"]


class Draft(BaseModel):
    """One text to write: the template (reference) and what the checker must see kept."""

    kind: str = Field(description="caption_short, caption_long or the question's topic")
    reference: str
    expect_yes: bool | None = None
    require: Require = Field(default_factory=Require)
    question: str | None = None


class Rejection(BaseModel):
    attempt: int
    text: str
    issues: list[Issue]


class Text(BaseModel):
    """An exported text: the checked LLM phrasing, or the template when none passed."""

    kind: str
    text: str
    reference: str
    source: TextSource
    temperature: float | None = None
    expect_yes: bool | None = None
    rejections: list[Rejection] = Field(default_factory=list)


class Turn(BaseModel):
    question: str
    answer: Text


class SampleTexts(BaseModel):
    sample_id: str
    split: str
    temperature: float | None
    caption_short: Text
    caption_long: Text
    dialog: list[Turn]

    def messages(self) -> list[dict]:
        """The dialog in the OpenAI chat format: the image is the first user content part."""
        out: list[dict] = []
        for i, t in enumerate(self.dialog):
            parts: list[dict] = [{"type": "image"}] if i == 0 else []
            parts.append({"type": "text", "text": t.question})
            out.append({"role": "user", "content": parts})
            out.append({"role": "assistant",
                        "content": [{"type": "text", "text": t.answer.text}]})
        return out

    def texts(self) -> list[Text]:
        return [self.caption_short, self.caption_long, *(t.answer for t in self.dialog)]
