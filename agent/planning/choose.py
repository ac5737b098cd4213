"""The LLM's plan as a choice among code-computed candidates, and code's checks of it.

The schema is built per plan: `candidate` is an enum of the analysis' candidate ids and a
new value's `axis` an enum of the policy's axes, so even a 1.5B model cannot name a slice
that does not exist. What the schema cannot enforce, `validate_choice` does: a candidate
chosen twice, a hypothesis that cites none of its candidate's numbers, or an empty plan is
refused, with the reason shown, and the allocator's plan is used instead. A plan that
leaves out a candidate worth at least half of the best one's expected gain gets it added
with the allocator's share (shown as "adjusted"): measured on helmet_cls, the embedded
model put a whole budget on one of two comparable weaknesses, and that seed lost to uniform.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, create_model

from synthloop.tools.analysis import Candidate, WeaknessAnalysis
from synthloop.tools.models import Policy

from .allocator import allocate, explore_pool, explore_reason, split_by_weight, target_for
from .schemas import SliceTarget, ValidatedPlan

MAX_CHOICES = 4
MAX_OFFERED = 6                # candidates shown to the LLM: the prompt is most of a call's time
MAX_NEW_VALUES = 2
NEW_VALUE_SHARE = 0.1          # of the targeted budget, per accepted new value
COVER = 0.5                    # a left-out candidate worth this much of the best one is added
SAFE_VALUE = r"^[a-z0-9][a-z0-9 _\-]{0,39}$"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


class NewValue(BaseModel):
    axis: str
    value: str = Field(pattern=SAFE_VALUE, description="a short condition the policy lacks")
    hypothesis: str = Field(max_length=300)


def choice_schema(ids: list[str], axes: list[str]) -> type[BaseModel]:
    """The pydantic model (and so the JSON schema) of one plan: choose among `ids`."""
    cand = Literal[tuple(ids)]  # type: ignore[valid-type]
    choice = create_model(
        "Choice", candidate=(cand, Field(description="a candidate id from the list")),
        share=(int, Field(ge=1, le=100, description="percent of the targeted images")),
        hypothesis=(str, Field(max_length=300, description="why it is weak, citing its numbers")))
    fields: dict = {
        "rationale": (str, Field(default="", max_length=600)),
        "choices": (list[choice], Field(min_length=1, max_length=MAX_CHOICES)),  # type: ignore[valid-type]
    }
    if axes:
        new_value = create_model("NewValue", __base__=NewValue,
                                 axis=(Literal[tuple(axes)], ...))  # type: ignore[valid-type]
        fields["new_values"] = (list[new_value], Field(default_factory=list,  # type: ignore[valid-type]
                                                       max_length=MAX_NEW_VALUES))
    return create_model("CandidatePlan", **fields)


def choosable(analysis: WeaknessAnalysis, limit: int = MAX_OFFERED) -> list[str]:
    """The ids the LLM may choose: the best `limit` candidates with an expected gain
    (probes of likely pixel-limited slices get the exploration share, never the LLM's
    budget; further candidates stay the allocator's and the exploration share's)."""
    return [c.id for c in analysis.candidates if c.expected_gain > 0][:limit]


def cites_numbers(text: str, c: Candidate) -> bool:
    """Does `text` quote at least one of the candidate's numbers (counts, recalls, z)?"""
    mine = {str(c.found), str(c.support), str(round(c.excess_misses)), f"{c.recall:.2f}",
            f"{c.reference:.2f}", f"{abs(c.z):.1f}", f"{c.recall * 100:.0f}",
            f"{c.reference * 100:.0f}", str(c.images_added)}
    mine |= {f"{r:.2f}" for r in c.recall_history}
    said = set(_NUMBER.findall(text))
    said |= {s.rstrip("0").rstrip(".") for s in said if "." in s}
    said |= {f"{float(s):.2f}" for s in said if "." in s}
    return bool(said & (mine | {m.lstrip("0") for m in mine}))


def check_new_value(nv, policy: Policy) -> str | None:
    """Why a proposed condition value is refused, or None."""
    axis = policy.get_axis(nv.axis)
    value = nv.value.strip().lower()
    if axis is None:
        return f"unknown axis {nv.axis!r}"
    if value in axis.value_names():
        return f"{nv.axis}={value} is already a value of the policy"
    if value in set(policy.class_names()) | {nv.axis, "null", "none", "unknown", "other"}:
        return f"new value {value!r} for {nv.axis} names a class or nothing, not a condition"
    return None


def validate_choice(plan: BaseModel | None, *, analysis: WeaknessAnalysis, policy: Policy,
                    budget: int, floor: int, min_per_target: int = 10,
                    explore_fraction: float = 0.1, near_miss_fraction: float = 0.5,
                    llm_error: str | None = None) -> ValidatedPlan:
    """The LLM's choices as targets (its shares, code's near misses and exploration), or
    the allocator's plan with the reason when the choice is refused."""
    targeted = budget - floor
    ids = choosable(analysis)
    dropped: list[str] = []
    kept: list[tuple[Candidate, int, str]] = []
    new_values: list = []
    if plan is not None:
        seen: set[str] = set()
        for ch in getattr(plan, "choices", []):
            c = analysis.get(ch.candidate)
            if c is None or c.id not in ids:
                dropped.append(f"{ch.candidate}: not a candidate")
            elif c.id in seen:
                dropped.append(f"{c.id} ({c.key}): chosen twice")
            elif not cites_numbers(ch.hypothesis, c):
                dropped.append(f"{c.id} ({c.key}): the hypothesis cites none of its numbers "
                               f"({c.evidence()}): {ch.hypothesis[:120]!r}")
            else:
                seen.add(c.id)
                kept.append((c, ch.share, ch.hypothesis.strip()))
        for nv in getattr(plan, "new_values", []) or []:
            why = check_new_value(nv, policy)
            if why:
                dropped.append(f"new value {nv.axis}={nv.value}: {why}")
            elif len(new_values) < MAX_NEW_VALUES:
                new_values.append(nv)
    if not kept:
        if llm_error:
            reason = f"LLM failed: {llm_error[:200]}"
        elif plan is None:
            reason = "no LLM plan"
        elif not getattr(plan, "choices", None):
            reason = "the LLM's plan was empty"
        else:
            reason = "every choice in the LLM's plan was refused"
        targets = allocate(analysis, targeted, min_per_target=min_per_target,
                           explore_fraction=explore_fraction, near_miss_fraction=near_miss_fraction)
        return _plan(f"fallback: {reason}", "the allocator: images by expected gain",
                     targets, floor, budget, dropped, ids)
    added = required(analysis, [c for c, _, _ in kept], ids)
    adjusted = [f"added {c.id} ({c.key}): expected gain {c.expected_gain:.1f}, at least "
                f"{COVER:.0%} of the best candidate's; a plan may not leave it out, so it gets "
                "the allocator's share" for c in added]
    chosen = {c.id for c, _, _ in kept} | {c.id for c in added}
    pool = explore_pool(analysis, chosen)[:2]
    explore = round(targeted * explore_fraction) if pool else 0
    nv_total = round(targeted * NEW_VALUE_SHARE) * len(new_values)
    exploit = targeted - explore - nv_total
    # the added candidates get what the allocator would give them among all of the plan's
    # targets (images by expected gain); the LLM's choices share the rest by its shares
    gains = [c.expected_gain for c, _, _ in kept] + [c.expected_gain for c in added]
    parts = split_by_weight(exploit, gains, min_per_target) if added else [exploit]
    rest = exploit - sum(parts[len(kept):]) if added else exploit
    counts = split_by_weight(rest, [float(s) for _, s, _ in kept], min_per_target)
    targets = [target_for(c, n, hypothesis=h, near_miss_fraction=near_miss_fraction)
               for (c, _, h), n in zip(kept, counts, strict=True) if n > 0]
    targets += [target_for(c, n, near_miss_fraction=near_miss_fraction)
                for c, n in zip(added, parts[len(kept):], strict=True) if n > 0]
    for nv in new_values:
        value = nv.value.strip().lower()
        targets.append(SliceTarget(axis=nv.axis, value=value, count=round(targeted * NEW_VALUE_SHARE),
                                   key=f"{nv.axis}={value}", fixed={nv.axis: value},
                                   hypothesis=nv.hypothesis.strip() or "new condition",
                                   evidence="proposed by the LLM: a value the policy lacks",
                                   purpose="new value"))
    for c, n in zip(pool, split_by_weight(explore, [1.0] * len(pool), 0), strict=True):
        if n > 0:
            targets.append(target_for(c, n, purpose="explore", hypothesis=explore_reason(c)))
    return _plan("llm", getattr(plan, "rationale", "") or "", targets, floor, budget, dropped, ids,
                 adjusted)


def required(analysis: WeaknessAnalysis, kept: list[Candidate], ids: list[str]) -> list[Candidate]:
    """Choosable candidates the plan left out whose expected gain is at least COVER of the
    best one's (images have diminishing returns per weakness, so leaving out a comparable
    one wastes budget), best first, as many as fit in MAX_CHOICES targets."""
    if not kept:
        return []
    offered = [c for c in (analysis.get(i) for i in ids) if c is not None]
    best = max((c.expected_gain for c in offered), default=0.0)
    mine = {c.id for c in kept}
    out = [c for c in offered if c.id not in mine and best > 0 and c.expected_gain >= COVER * best]
    return out[:max(0, MAX_CHOICES - len(kept))]


def _plan(source: str, rationale: str, targets: list[SliceTarget], floor: int, budget: int,
          dropped: list[str], ids: list[str], adjusted: list[str] | None = None) -> ValidatedPlan:
    # whatever the targets leave (nothing weak, or only a probe) goes to the class floor
    floor = max(floor, budget - sum(t.count for t in targets))
    return ValidatedPlan(source=source, rationale=rationale, targets=targets, floor=floor,
                         dropped=dropped, adjusted=adjusted or [], budget=budget, candidates=ids)
