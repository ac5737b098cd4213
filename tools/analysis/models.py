"""What the weakness analysis hands to the allocator, the LLM planner, the report and the chat.

A `Candidate` is one thing the next iteration could spend images on, with the numbers that
make it a candidate. Code computes every candidate; the LLM may only choose among their ids.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["class", "condition", "interaction"]
Responsiveness = Literal["untried", "responsive", "unclear", "data-insensitive"]


class Candidate(BaseModel):
    """A weak class, condition (axis value, for one class or all) or pair of conditions."""

    id: str = Field(description="short id the planner names it by (C1, C2, ... by expected gain)")
    kind: Kind
    key: str = Field(description="stable slice key across iterations, e.g. 'lighting=night', "
                     "'lighting=night × hard_hat', 'class=hard_hat', 'fog & night' pairs as "
                     "'lighting=night & weather=fog'")
    cls: str | None = Field(default=None, description="the class it concerns; None = all classes")
    fixed: dict[str, str] = Field(default_factory=dict,
                                  description="variable values every targeted spec must have")
    support: int = Field(description="eval objects (detection) or images (classification)")
    found: int
    recall: float
    recall_ci: tuple[float, float] = (0.0, 1.0)
    reference: float = Field(description="the recall it is compared with")
    reference_label: str = Field(description="what the reference is, in words")
    z: float = Field(description="standard score of the gap; below -2 is a clear weakness")
    excess_misses: float = Field(description="objects it would gain at the reference recall")
    responsiveness: Responsiveness = "untried"
    images_added: int = Field(default=0, description="training images of this slice added "
                              "since it was first measured")
    recall_history: list[float] = Field(default_factory=list,
                                        description="its recall in each earlier report, oldest first")
    object_px: float | None = Field(default=None, description="median shorter side of its "
                                    "objects at the training size, pixels")
    expected_gain: float = Field(default=0.0, description="excess misses x responsiveness "
                                 "factor: what the allocator ranks by")
    recommendation: str = Field(default="", description="what to do instead of more images")
    probe: bool = Field(default=False, description="likely pixel-limited and untried: it gets "
                        "the exploration share's probe, not the targeted budget")
    near_miss: list[dict[str, str]] = Field(
        default_factory=list, description="variable combinations (with 'scenario') of eval "
        "images where its objects were missed: re-used with new seeds and layouts")

    def evidence(self) -> str:
        """One line with the numbers behind it."""
        lo, hi = self.recall_ci
        what = f"{self.found}/{self.support} found, recall {self.recall:.2f} [{lo:.2f}, {hi:.2f}]"
        line = f"{what} vs {self.reference:.2f} {self.reference_label} (z {self.z:+.1f})"
        if self.responsiveness != "untried":
            hist = " → ".join(f"{r:.2f}" for r in [*self.recall_history, self.recall])
            line += f"; recall {hist} after {self.images_added} images: {self.responsiveness}"
        if self.object_px is not None and self.object_px < 12:
            line += f"; objects ~{self.object_px:.0f} px"
        return line


class WeaknessAnalysis(BaseModel):
    """Candidates for data (best expected gain first), the slices more data did not move,
    and notes in words for the report, the plan and the chat."""

    candidates: list[Candidate] = Field(default_factory=list)
    insensitive: list[Candidate] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    method: str = ""

    def get(self, cid: str) -> Candidate | None:
        return next((c for c in [*self.candidates, *self.insensitive] if c.id == cid), None)

    def by_key(self, key: str) -> Candidate | None:
        return next((c for c in [*self.candidates, *self.insensitive] if c.key == key), None)


class HistoryPoint(BaseModel):
    """An earlier report's slice recalls and how many training images each slice had when
    that model was trained: what responsiveness is measured from."""

    iteration: int
    recalls: dict[str, float] = Field(default_factory=dict, description="slice key -> recall")
    supports: dict[str, int] = Field(default_factory=dict, description="slice key -> eval support")
    references: dict[str, float] = Field(default_factory=dict,
                                         description="slice key -> its reference recall")
    train_counts: dict[str, int] = Field(default_factory=dict,
                                         description="slice key -> training images then")
