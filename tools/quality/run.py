"""verify_samples: run verifiers over samples and quarantine what they flag (never delete).

    report = verify_samples(ws, policy, samples, [ModelDisagreementVerifier(cfg)])
    report.flagged, ws.quarantined_ids()

Per-image verifiers (`judge(sample, png) -> SampleVerdict`, e.g. the vision LLM or CLIP) see
each image; batch verifiers (`verify_batch(ws, policy, samples)`, model disagreement) see
them all at once. A per-image verifier with `only_flagged = True` sees only the samples an
earlier verifier flagged (its budget). Every "suspect" verdict is stored as a quarantined
flag (`ws.save_flags`); a person releases or confirms it later.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..errors import ValidationError
from ..models import Policy, Sample, SampleFlag, SampleVerdict

if TYPE_CHECKING:
    from ..store import Workspace


class VerifyReport(BaseModel):
    checked: int = 0
    flagged: int = 0
    unverified: int = 0
    quarantined: list[str] = Field(default_factory=list)
    per_verifier: dict[str, dict[str, int]] = Field(default_factory=dict)
    seconds: dict[str, float] = Field(default_factory=dict)
    verdicts: list[SampleVerdict] = Field(default_factory=list)


def verify_samples(ws: Workspace, policy: Policy, samples: Sequence[Sample], verifiers: Sequence,
                   *, progress: bool = False, quarantine: bool = True) -> VerifyReport:
    """Run `verifiers` in order over `samples`; store flags (quarantine) unless told not to."""
    if not verifiers:
        raise ValidationError("no verifier given", "pass e.g. ModelDisagreementVerifier(training)")
    samples = list(samples)
    rep = VerifyReport(checked=len(samples))
    flagged_ids: set[str] = set()
    for v in verifiers:
        t0 = time.perf_counter()
        if hasattr(v, "verify_batch"):
            verdicts = v.verify_batch(ws, policy, samples, progress=progress)
        elif hasattr(v, "judge"):
            todo = [s for s in samples if s.id in flagged_ids] if getattr(v, "only_flagged", False) else samples
            verdicts = _per_image(ws, v, todo, progress)
        else:
            raise ValidationError(f"{type(v).__name__} is not a verifier",
                                  "give it verify_batch(ws, policy, samples) or judge(sample, png)")
        rep.seconds[v.name] = round(time.perf_counter() - t0, 3)
        counts = {"checked": len(verdicts), "suspect": 0, "unverified": 0}
        for vd in verdicts:
            if vd.verdict == "suspect":
                counts["suspect"] += 1
                flagged_ids.add(vd.sample_id)
            elif vd.verdict == "unverified":
                counts["unverified"] += 1
        rep.per_verifier[v.name] = counts
        rep.verdicts += verdicts
    suspects = [vd for vd in rep.verdicts if vd.verdict == "suspect"]
    rep.flagged = len(flagged_ids)
    rep.unverified = sum(1 for vd in rep.verdicts if vd.verdict == "unverified")
    if quarantine and suspects:
        ws.save_flags(SampleFlag(sample_id=vd.sample_id, verifier=vd.verifier, score=vd.score,
                                 reason=vd.reason or "flagged", objects=vd.objects)
                      for vd in suspects)
        rep.quarantined = sorted(flagged_ids)
    return rep


def _per_image(ws: Workspace, v, samples: list[Sample], progress: bool) -> list[SampleVerdict]:
    bar = Progress(TextColumn(f"[bold]verifying ({v.name})"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), console=Console(stderr=True), disable=not progress)
    out = []
    with bar:
        task = bar.add_task("verify", total=len(samples))
        for s in samples:
            out.append(v.judge(s, (ws.root / s.image).read_bytes()))
            bar.advance(task)
    return out
