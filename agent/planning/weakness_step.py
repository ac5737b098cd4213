"""The loop's use of the weakness analysis: run it after every evaluation (with the history
of earlier iterations and the training images each slice had), and measure what the
previous plan's targets did. The results live in the loop state and the iteration record."""

from __future__ import annotations

from typing import Any

from synthloop.tools.analysis import (
    HistoryPoint,
    WeaknessAnalysis,
    analyse_weakness,
    history_point,
    tracked_keys,
    train_counts,
)
from synthloop.tools.analysis.tally import tally_report
from synthloop.tools.models import MisclassificationReport, Policy


def counter(ws, policy: Policy):
    """A function counting the current training images per slice key."""
    def count(keys: list[str]) -> dict[str, int]:
        specs = ((s.variables, s.scenario_id)
                 for s in ws.iter_specs(policy_version=policy.version, split="train"))
        return train_counts(specs, policy, keys)
    return count


def analyse_iteration(ws, policy: Policy, report: MisclassificationReport, *, iteration: int,
                      history: list[dict[str, Any]], imgsz: int | None,
                      prev_plan: dict[str, Any] | None,
                      prev_report: MisclassificationReport | None) -> dict[str, Any]:
    """State updates: `analysis`, `weakness_history` (with this iteration's point added) and
    `plan_outcomes` (each previous target's recall before and after)."""
    points = [HistoryPoint.model_validate(h) for h in history if h.get("iteration", -1) < iteration]
    count = counter(ws, policy)
    analysis = analyse_weakness(report, policy, history=points, train_counts=count, imgsz=imgsz)
    keys = sorted(tracked_keys(analysis, policy.class_names() if report.task != "classification"
                               else ()) | {k for p in points for k in p.recalls})
    point = history_point(report, analysis, iteration, count(keys))
    return {"analysis": analysis.model_dump(mode="json"),
            "weakness_history": [p.model_dump(mode="json") for p in points] +
                                [point.model_dump(mode="json")],
            "plan_outcomes": plan_outcomes(prev_plan, prev_report, report)}


def plan_outcomes(plan: dict[str, Any] | None, before: MisclassificationReport | None,
                  after: MisclassificationReport) -> list[dict[str, Any]]:
    """Per target of `plan`: images, recall in the report it was planned from and now."""
    if not plan or before is None:
        return []
    tb, ta = tally_report(before), tally_report(after)
    out = []
    for t in plan.get("targets", []):
        key = t.get("key") or (f"{t['axis']}={t['value']}" + (f" × {t['cls']}" if t.get("cls") else ""))
        b, a = tb.recall_of(key), ta.recall_of(key)
        out.append({"key": key, "candidate": t.get("candidate"), "images": t.get("count", 0),
                    "purpose": t.get("purpose", "exploit"), "evidence": t.get("evidence", ""),
                    "hypothesis": t.get("hypothesis", ""),
                    "before": round(b[0] / b[1], 4) if b and b[1] else None,
                    "after": round(a[0] / a[1], 4) if a and a[1] else None,
                    "support": a[1] if a else 0})
    return out


def plan_notes(plan: dict[str, Any] | None) -> list[str]:
    """What code changed in an LLM plan, in words: the plan's source when the allocator
    replaced it, each adjustment and each refusal (for the report page)."""
    if not plan:
        return []
    notes = [f"plan source: {plan['source']}"] if plan.get("source", "").startswith("fallback") else []
    notes += [f"adjusted: {a}" for a in plan.get("adjusted", [])]
    return notes + [f"refused: {d}" for d in plan.get("dropped", [])]


def analysis_of(state: dict[str, Any]) -> WeaknessAnalysis:
    return WeaknessAnalysis.model_validate(state.get("analysis") or {})


def candidate_lines(analysis: WeaknessAnalysis) -> str:
    """The planner prompt's candidate list: one short line per choosable candidate, best
    expected gain first, with every number a hypothesis may cite and nothing else: the
    prompt is most of an embedded plan call's time."""
    from .choose import choosable

    lines = []
    for c in [analysis.get(i) for i in choosable(analysis)]:
        line = (f"{c.id} {c.key}: {c.found}/{c.support} found, recall {c.recall:.2f} vs "
                f"{c.reference:.2f} (z {c.z:+.1f})")
        if c.responsiveness != "untried":
            line += f", {c.responsiveness} after {c.images_added} images"
        lines.append(f"{line}; gain {c.expected_gain:.1f}")
    return "\n".join(lines) or "(none)"


def note_lines(analysis: WeaknessAnalysis) -> str:
    """The planner prompt's notes: what is not a candidate, one short clause each (the
    full sentences are in the report and the terminal)."""
    out = [f"{c.key} is data-insensitive (more images did not move it)" for c in analysis.insensitive]
    out += [f"{c.key} is likely pixel-limited (a probe measures it)"
            for c in analysis.candidates if c.probe]
    out += [f"{c.key} is weak everywhere" for c in analysis.candidates if c.kind == "class"]
    return "; ".join(out) or "none"
