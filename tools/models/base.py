"""Shared base for domain records: strict pydantic models with a stable content hash."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def sha256_hex(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()


class Record(BaseModel):
    """A domain value. `content_hash()` ignores the fields named in `_hash_exclude`
    (ids, timestamps, bookkeeping), so two records that mean the same thing hash the same.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    _hash_exclude: ClassVar[frozenset[str]] = frozenset({"id", "created_at"})

    def content_hash(self, length: int = 16) -> str:
        data = self.model_dump(mode="json", exclude=set(self._hash_exclude))
        return sha256_hex(canonical_json(data))[:length]
