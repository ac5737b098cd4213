"""The class floor: images spread over every scenario each iteration, so no class is ever
forgotten however the targeted images are spent."""

from __future__ import annotations

from synthloop.tools.models import Policy


def floor_size(policy: Policy, budget: int, fraction: float) -> int:
    """At least one image per class, `fraction` of the budget, never more than the budget."""
    if budget <= 0:
        return 0
    return min(budget, max(len(policy.classes), round(budget * fraction)))
