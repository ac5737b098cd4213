"""What a design review shows besides the policy itself: lint findings and a stratified
preview expansion. Both renderers read it (review.py: Markdown, review_html.py: HTML), so
it lives apart from either and neither renderer imports the other's module back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import GenerationSpec, Policy, SampleFlag
from .coverage import SpecCounts, count_specs
from .expand import expand_specs, pairwise_size
from .lint import LintFinding, lint_policy

PREVIEW_SPECS = 1000


@dataclass
class ReviewData:
    """Everything a review page shows besides the policy itself."""

    findings: list[LintFinding]
    counts: SpecCounts | None = None
    examples: dict[str, GenerationSpec] = field(default_factory=dict)
    pairwise: tuple[int, int] | None = None
    status: tuple[str, str] | None = None
    samples: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    quarantined: list[tuple[str | None, SampleFlag]] = field(default_factory=list)
    """Samples label verification left out of training: (thumbnail src or None, flag)."""
    note: str = ""


def review_data(policy: Policy, findings: list[LintFinding] | None = None, *,
                preview: int = PREVIEW_SPECS, seed: int = 0) -> ReviewData:
    """Lint (unless given) and a stratified preview expansion of `policy`: counts per
    scenario and axis value, one example spec per scenario, the pairwise design size. A
    policy that cannot be expanded (no scenarios) gets a note instead of numbers."""
    findings = lint_policy(policy) if findings is None else findings
    data = ReviewData(findings=findings)
    if not policy.scenarios:
        data.note = "no scenarios yet: nothing to expand"
        return data
    try:
        specs = list(expand_specs(policy, preview, strategy="stratified", seed=seed))
        data.counts = count_specs(specs)
        for s in specs:
            data.examples.setdefault(s.scenario_id, s)
        data.pairwise = pairwise_size(policy, seed=seed)
    except Exception as e:  # a broken draft still gets its review page, with the reason
        data.note = f"preview expansion failed: {e}"
    return data
