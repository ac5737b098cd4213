"""Variable axes: the LLM proposes, code cleans (names, duplicates, bounds) and merges
them with a default set so even a shallow draft varies what matters."""

from __future__ import annotations

import logging

from synthloop.tools.design.axes import merge_axes
from synthloop.tools.errors import ExternalError
from synthloop.tools.models import AxisValue, Policy, VariableAxis

from .schemas import AxisList

log = logging.getLogger("synthloop.design")


def propose_axes(llm, policy: Policy, *, notes: list[str] | None = None,
                 max_tokens: int = 500) -> Policy:
    """`policy` with variable axes: the model's proposals (cleaned: snake_case, no empty
    axes or duplicate values, at most 12 values and 12 axes, fairness axes marked) merged
    with the defaults (lighting, distance, occlusion, skin tone...). A model that fails to
    answer leaves the defaults. Notes on every change are appended to `notes`."""
    notes = notes if notes is not None else []
    summary = {"title": policy.title, "context": policy.context,
               "classes": policy.class_names()}
    proposed: list[VariableAxis] = []
    try:
        reply = llm.decide(AxisList, "propose_axes",
                           {"goal": policy.goal or policy.title, "policy": summary},
                           max_tokens=max_tokens)
        # unvalidated on purpose: merge_axes cleans the model's names and values
        proposed = [VariableAxis.model_construct(
            name=a.name, fairness=a.fairness,
            values=[AxisValue(value=v.strip()[:64]) for v in a.values if v.strip()])
            for a in reply.axes]
    except ExternalError as e:
        log.warning("axis proposal failed: %s", e)
        notes.append(f"the model proposed no usable axes ({e.message[:100]}); using defaults")
    policy, n = merge_axes(policy, proposed)
    notes += n
    return policy
