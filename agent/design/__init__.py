"""Policy design with the LLM: draft a policy from a goal (with a critic pass on lint
errors), derive scenarios, propose variable axes. Each step is a plain function the agent
graph calls node by node; `design_policy` runs them all. The deterministic checks and
repairs they rely on live in tools.design."""

from .axes import propose_axes
from .draft import DraftResult, critic_pass, draft_policy
from .goal import MAX_GOAL_CHARS, check_goal, guess_language
from .pipeline import DesignResult, design_policy
from .scenarios import derive_scenarios

__all__ = [
    "MAX_GOAL_CHARS", "DesignResult", "DraftResult", "check_goal", "critic_pass",
    "derive_scenarios", "design_policy", "draft_policy", "guess_language", "propose_axes",
]
