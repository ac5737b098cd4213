"""Policy design tools (deterministic, no LLM): lint, gap filling, variable axes, prompt-set
expansion with layouts, pairwise designs, YAML import/export and diff, design review.

The LLM side (drafting, critic pass, scenario and axis proposals) lives in agent/design and
calls these to check and repair what the model proposes.
"""

from .axes import clean_axis, default_axes, merge_axes
from .coverage import SpecCounts, count_specs
from .diff import DiffEntry, PolicyDiff, diff_policies
from .expand import STRATEGIES, expand_specs, pairwise_size
from .fill import ensure_rule_scenarios, fill_policy, is_prohibition, with_changes
from .layout import scale_for
from .lint import LintFinding, has_errors, lint_policy
from .names import to_snake
from .pairwise import pairwise_design
from .policy_io import (
    example_names,
    export_policy,
    import_policy,
    load_example_policy,
    load_policy_yaml,
    policy_from_yaml,
    policy_to_yaml,
    save_policy_yaml,
)
from .review import render_review_markdown, write_review
from .review_content import ReviewData, review_data
from .review_html import render_review_html

# The names the agent's nodes and CLI use for the YAML pair.
read_policy_yaml = load_policy_yaml
write_policy_yaml = save_policy_yaml

__all__ = [
    "STRATEGIES", "DiffEntry", "LintFinding", "PolicyDiff", "ReviewData", "SpecCounts",
    "clean_axis", "count_specs", "default_axes", "diff_policies", "ensure_rule_scenarios",
    "example_names", "expand_specs", "export_policy", "fill_policy", "has_errors",
    "import_policy", "is_prohibition", "lint_policy", "load_example_policy", "load_policy_yaml",
    "merge_axes", "pairwise_design", "pairwise_size", "policy_from_yaml", "policy_to_yaml",
    "read_policy_yaml", "render_review_html", "render_review_markdown", "review_data",
    "save_policy_yaml", "scale_for", "to_snake", "with_changes", "write_policy_yaml",
    "write_review",
]
