"""Label verification: what a verifier says about a sample, and the stored quarantine row."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

FlagStatus = Literal["quarantined", "released", "confirmed"]
Verdict = Literal["ok", "suspect", "unverified"]


class ObjectFlag(BaseModel):
    """One labelled object (index into `Sample.annotations`) or, with index None, an object
    the verifier saw that no label covers."""

    index: int | None = None
    cls: str
    box: tuple[float, float, float, float] | None = None
    score: float = Field(ge=0.0, le=1.0, description="label quality: 1 = surely right")
    reason: str


class SampleVerdict(BaseModel):
    """A verifier's opinion of one sample. `score` is the label quality in [0, 1]
    (low = likely wrong); `verdict` is "unverified" when the verifier could not tell
    (backend failed, reply unreadable, sample not in its budget)."""

    sample_id: str
    verifier: str
    verdict: Verdict
    score: float = Field(ge=0.0, le=1.0)
    reason: str = ""
    objects: list[ObjectFlag] = Field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return self.verdict == "suspect"


class SampleFlag(BaseModel):
    """A stored flag: one per (sample, verifier). Quarantined samples are left out of the
    next dataset version; released ones come back; confirmed ones stay out. Never deleted."""

    sample_id: str
    verifier: str
    score: float
    reason: str
    status: FlagStatus = "quarantined"
    objects: list[ObjectFlag] = Field(default_factory=list)
    created_at: datetime | None = None
    updated_at: datetime | None = None
