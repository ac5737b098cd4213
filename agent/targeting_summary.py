"""What targeting did, for the end of a run: each targeted slice's recall before -> after,
and how many new images landed in the slices that were weak, against how many a uniform
draw of the same size would have put there (counted on real specs, not estimated)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table

from synthloop.tools.analysis.tally import scenario_classes, spec_keys
from synthloop.tools.design import expand_specs

from .planning.to_specs import derive_seed


@dataclass
class TargetingSummary:
    rows: list[dict]
    targeted: int          # new images in the iteration's target slices
    uniform: int           # what a uniform draw of the same size puts there
    added: int             # new images in all


def summarise_targeting(ws, thread_id: str) -> TargetingSummary:
    rows: list[dict] = []
    targeted = uniform = added = 0
    for it in ws.list_iterations(thread_id):
        plan = it.plan or {}
        keys = sorted({t.get("key") for t in plan.get("targets", []) if t.get("key")})
        if not it.number or not keys or it.policy_version is None:
            continue
        policy = ws.get_policy(it.policy_version)
        shows = scenario_classes(policy)
        new = [s for s in ws.iter_specs(policy_version=it.policy_version, iteration=it.number,
                                        split="train")]
        same = list(expand_specs(policy, len(new), strategy="stratified", split="train",
                                 seed=derive_seed("uniform-reference", it.number)))
        targeted += _hits(new, shows, keys)
        uniform += _hits(same, shows, keys)
        added += len(new)
        by_key = {o["key"]: o for o in it.plan_outcomes}
        for t in plan.get("targets", []):
            o = by_key.get(t.get("key"), {})
            rows.append({"iteration": it.number, "key": t.get("key"), "purpose": t.get("purpose"),
                         "images": t.get("count", 0), "before": o.get("before"),
                         "after": o.get("after"), "source": plan.get("source", "")})
    return TargetingSummary(rows, targeted, uniform, added)


def _hits(specs, shows: dict[str, set[str]], keys: list[str]) -> int:
    """Specs that fall in at least one of `keys`."""
    return sum(1 for s in specs
               if spec_keys(s.variables, s.scenario_id, shows.get(s.scenario_id, set()), keys))


def targeting_table(s: TargetingSummary) -> Table:
    t = Table(title="targeted slices (recall on the holdout)", title_justify="left")
    for col in ("iter", "slice", "images", "recall before → after"):
        t.add_column(col, overflow="fold")
    for r in s.rows:
        rec = "-" if r["before"] is None or r["after"] is None else \
            f"{r['before']:.2f} → {r['after']:.2f}"
        name = r["key"] + ("" if r["purpose"] == "exploit" else f" [{r['purpose']}]")
        t.add_row(str(r["iteration"]), name, str(r["images"]), rec)
    return t


def targeting_line(s: TargetingSummary) -> str:
    return (f"targeted: {s.targeted} of {s.added} new images into slices that were weak; "
            f"uniform would have put {s.uniform} there")
