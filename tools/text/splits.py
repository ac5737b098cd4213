"""Split rules for a vision-language export, after the Smithsonian docent dataset:

- real images (imported with import-real) go to test: they are what the model meets;
- augmented and synthetic images go to train, unless the user says otherwise (a rule per
  source, "keep" for the split the sample already has, an override per sample id, or a
  deterministic share of the synthetic ones moved to validation and to test, for exports
  that have no real images);
- an augmented copy of an image that is in test is left out (never train on an eval image);
- the texts of each split are phrased at one temperature: the lowest (stable, literal)
  for test, the highest (varied) for train, the middle one for validation.

`assign_splits` returns a `SplitAssignment`: a pydantic record of every decision and its
reason, written into the export's manifest and fit to store with a dataset version.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from ..errors import ValidationError
from ..models import Sample

VlmSplit = Literal["train", "validation", "test"]
VLM_SPLITS: tuple[VlmSplit, ...] = ("train", "validation", "test")
_FROM_STORED = {"train": "train", "val": "validation", "test": "test"}


class SplitRules(BaseModel):
    """How samples are assigned; the defaults are the seed's rules."""

    real: VlmSplit | Literal["keep"] = "test"
    augmented: VlmSplit | Literal["keep"] = "train"
    synthetic: VlmSplit | Literal["keep"] = "train"
    overrides: dict[str, VlmSplit] = Field(default_factory=dict, description="sample id -> split")
    validation_fraction: float = Field(
        default=0.0, ge=0.0, lt=1.0,
        description="a deterministic share of the synthetic train samples moved to validation")
    test_fraction: float = Field(
        default=0.0, ge=0.0, lt=1.0,
        description="a deterministic share of the synthetic train samples moved to test (for "
                    "exports without real images; their augmented copies are then left out)")
    temperatures: list[float] = Field(default_factory=lambda: [0.2, 0.7, 1.2], min_length=1)

    @model_validator(mode="after")
    def _fractions(self) -> SplitRules:
        if self.validation_fraction + self.test_fraction >= 1:
            raise ValueError(f"validation_fraction {self.validation_fraction} + test_fraction "
                             f"{self.test_fraction} must leave some samples for train")
        return self

    @field_validator("temperatures")
    @classmethod
    def _sorted(cls, v: list[float]) -> list[float]:
        if any(t < 0 or t > 2 for t in v):
            raise ValueError("temperatures must lie between 0 and 2")
        return sorted(set(v))

    def temperature_of(self) -> dict[str, float]:
        """Lowest -> test, highest -> train, the middle (or the nearest) -> validation."""
        t = self.temperatures
        return {"test": t[0], "validation": t[len(t) // 2], "train": t[-1]}


class Assigned(BaseModel):
    sample_id: str
    split: VlmSplit | None = Field(description="None: left out")
    reason: str


class SplitAssignment(BaseModel):
    rules: SplitRules
    temperatures: dict[str, float]
    assigned: list[Assigned]

    def split_of(self, sample_id: str) -> str | None:
        return next((a.split for a in self.assigned if a.sample_id == sample_id), None)

    def ids(self, split: str) -> list[str]:
        return [a.sample_id for a in self.assigned if a.split == split]

    def counts(self) -> dict[str, int]:
        return {sp: len(self.ids(sp)) for sp in VLM_SPLITS}

    def left_out(self) -> list[Assigned]:
        return [a for a in self.assigned if a.split is None]


def _rank(sample_id: str) -> float:
    return int(hashlib.sha256(sample_id.encode()).hexdigest()[:12], 16) / 16 ** 12


def _moved(rank: float, rules: SplitRules) -> VlmSplit | None:
    if rank < rules.validation_fraction:
        return "validation"
    if rank < rules.validation_fraction + rules.test_fraction:
        return "test"
    return None


def assign_splits(samples: list[Sample], rules: SplitRules | None = None) -> SplitAssignment:
    """The split of every sample under `rules` (the seed's rules by default), with reasons."""
    rules = rules or SplitRules()
    unknown = sorted(set(rules.overrides) - {s.id for s in samples})
    if unknown:
        raise ValidationError(f"split overrides name unknown sample ids: {', '.join(unknown[:5])}",
                              "override only samples that are part of the export")
    first: dict[str, tuple[str, str]] = {}
    for s in samples:
        if s.id in rules.overrides:
            first[s.id] = (rules.overrides[s.id], "override")
            continue
        rule = getattr(rules, s.source)
        if rule == "keep":
            first[s.id] = (_FROM_STORED.get(s.split or "", "train" if s.source != "real" else "test"),
                           f"{s.source}: kept its split {s.split or '(none)'}")
        elif s.source == "synthetic" and rule == "train" and (
                moved := _moved(_rank(s.id), rules)) is not None:
            share = rules.validation_fraction if moved == "validation" else rules.test_fraction
            first[s.id] = (moved, f"synthetic: in the {share:.0%} moved to {moved}")
        else:
            first[s.id] = (rule, f"{s.source} -> {rule}")
    out = []
    for s in samples:
        split, why = first[s.id]
        parent = s.provenance.parent_sample
        if (s.source == "augmented" and parent in first and first[parent][0] == "test"
                and split != "test" and s.id not in rules.overrides):
            out.append(Assigned(sample_id=s.id, split=None,
                                reason=f"augmented copy of {parent}, which is in test"))
            continue
        out.append(Assigned(sample_id=s.id, split=split, reason=why))
    return SplitAssignment(rules=rules, temperatures=rules.temperature_of(), assigned=out)
