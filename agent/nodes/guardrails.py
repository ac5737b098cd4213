"""guardrails: decide whether another iteration runs, and its image budget.

Checked before planning, so the last iteration does not pay for an LLM plan it will not
use. Stop reasons: maximum iterations, target worst-class recall reached, image budget
spent, plateau (no gain in worst-slice recall over K iterations), wall-clock limit.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from langgraph.runtime import Runtime

from synthloop.tools.errors import ValidationError

from ..context import LoopContext, RunSettings
from ..state import HistoryRow, LoopState, history_rows
from .common import settings_of


def minimum_budget(s: RunSettings) -> int:
    """Images iteration 0 generates: the initial training set, the validation set and the
    synthetic holdout (none when a real eval set is given). Every one counts against the
    budget: with a paid generator each is money."""
    return s.initial_images + s.val_images + (0 if s.eval_set else s.holdout_images)


def check_budget(s: RunSettings) -> None:
    """Refuse, before anything is generated, a budget the initial set does not fit in."""
    need = minimum_budget(s)
    if s.total_images < need:
        parts = f"{s.initial_images} initial + {s.val_images} validation" + (
            "" if s.eval_set else f" + {s.holdout_images} holdout")
        raise ValidationError(
            f"an image budget of {s.total_images} is below the {need} images the initial set "
            f"needs ({parts})",
            f"pass --budget {need} or more, or a smaller --initial")


def images_used(ws, policy_version: int) -> int:
    """Images spent of the budget: one per stored spec of `policy_version` (its sample
    may not be made yet)."""
    return ws.spec_count(policy_version)


def stop_reason(s: RunSettings, history: list[HistoryRow], used: int,
                elapsed_s: float) -> str | None:
    last = history[-1] if history else None
    it = last.iteration if last else 0
    if last and last.worst_class_recall >= s.target_worst_class_recall:
        return (f"target reached: worst-class recall {last.worst_class_recall:.2f} >= "
                f"{s.target_worst_class_recall:.2f}")
    if it >= s.iterations:
        return f"maximum iterations reached ({s.iterations} targeted)"
    if used >= s.total_images:
        return f"image budget spent ({used} of {s.total_images})"
    k = s.plateau_iterations
    if len(history) > k:
        recent = [h.worst_slice_recall for h in history[-(k + 1):]]
        if max(recent[1:]) - recent[0] < s.plateau_min_gain:
            return f"plateau: worst-slice recall gained < {s.plateau_min_gain} over {k} iterations"
    if elapsed_s > s.wall_clock_minutes * 60:
        return f"wall-clock limit ({s.wall_clock_minutes:.0f} min) reached"
    return None


def guardrails(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    s = settings_of(state)
    used = images_used(runtime.context.workspace, state["policy_version"])
    why = stop_reason(s, history_rows(state), used,
                      time.time() - state.get("started_at", time.time()))
    if why:
        return {"stop_reason": why}
    budget = min(s.images_per_iteration, s.total_images - used)
    return {"stop_reason": "", "next_budget": budget}


def after_guardrails(state: LoopState) -> Literal["analyse", "finish"]:
    return "finish" if state.get("stop_reason") else "analyse"
