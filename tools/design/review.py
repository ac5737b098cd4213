"""Design review: a policy version as Markdown (terminals, the review gate) and as a
standalone HTML page (<workspace>/reports/review-v<N>.html) with classes, rules, scenarios,
axes, the coverage a stratified expansion would give, lint findings, example prompts, a
sketch of each scenario's layout and, when the workspace has them, sample images.
"""

from __future__ import annotations

from pathlib import Path

from ..models import Policy
from .lint import LintFinding
from .names import spaced
from .review_content import ReviewData, review_data
from .review_html import quarantine_thumbnails, render_review_html, sample_thumbnails


def render_review_markdown(policy: Policy, findings: list[LintFinding] | None = None, *,
                           data: ReviewData | None = None) -> str:
    """The review as Markdown: what a reviewer reads before approving or rejecting."""
    d = data or review_data(policy, findings)
    out = [f"# Design review: {policy.title}" + (f" (v{policy.version})" if policy.version else ""),
           ""]
    if d.status:
        out.append(f"**Review status:** {d.status[0]}" + (f" ({d.status[1]})" if d.status[1] else ""))
    out += [f"**Goal:** {policy.goal or '-'}", f"**Context:** {policy.context or '-'}",
            f"**Task:** {policy.task}" + (f"; parent version v{policy.parent_version}"
                                          if policy.parent_version else ""), ""]
    errors = [f for f in d.findings if f.level == "error"]
    warnings = [f for f in d.findings if f.level == "warning"]
    out.append(f"## Lint: {len(errors)} error(s), {len(warnings)} warning(s)")
    out += [f"- **{f.level}** `{f.code}` {f.where}: {f.message}" for f in d.findings] or ["- clean"]
    out += ["", "## Classes", "", "| class | appears | description |", "| --- | --- | --- |"]
    out += [f"| {c.name} | {c.appears} | {_md(c.description)} |" for c in policy.classes]
    out += ["", "## Rules", "", "| id | severity | rule | classes | compliant | violating |",
            "| --- | --- | --- | --- | --- | --- |"]
    out += [f"| {r.id} | {r.severity} | {_md(r.text)} | {', '.join(r.classes)} | "
            f"{_md(r.compliant)} | {_md(r.violating)} |" for r in policy.rules]
    if policy.hard_cases:
        out += ["", "## Hard cases", ""] + [f"- {_md(h)}" for h in policy.hard_cases]
    total = d.counts.total if d.counts else 0
    out += ["", "## Scenarios", "",
            "| scenario | rule | kind | shows | weight | risk | share of preview |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for s in policy.scenarios:
        n = d.counts.by_scenario.get(s.id, 0) if d.counts else 0
        share = f"{100 * n / total:.1f}%" if total else "-"
        out.append(f"| {s.id} | {s.rule_id or '-'} | {s.kind} | {_shows(s)} | {s.weight:g} | "
                   f"{s.risk} | {share} |")
    out += ["", "## Variable axes", "", "| axis | values (weight) | fairness |", "| --- | --- | --- |"]
    out += [f"| {a.name} | {', '.join(_value(v) for v in a.values)} | "
            f"{'yes' if a.fairness else ''} |" for a in policy.axes]
    out += ["", "## Coverage of a stratified preview", ""]
    if d.counts:
        out.append(f"{total} specs; every declared value used: "
                   f"{'yes' if not d.counts.missing_values(policy) else d.counts.missing_values(policy)}.")
        if d.pairwise:
            out.append(f"Pairwise design over scenario x axes: {d.pairwise[0]} rows "
                       f"(full product {d.pairwise[1]:,}).")
        for a in policy.axes:
            c = d.counts.by_axis.get(a.name, {})
            out.append(f"- {a.name}: " + ", ".join(f"{v} {100 * c.get(v, 0) / total:.0f}%"
                                                   for v in a.value_names()))
        out += ["", "## Example prompts", ""]
        out += [f"- `{sid}`: {e.prompt}" for sid, e in list(d.examples.items())[:4]]
    if d.note:
        out.append(f"_{d.note}_")
    return "\n".join(out) + "\n"


def write_review(ws, version: int | None = None, *, samples_per_scenario: int = 6,
                 embed: bool = True) -> tuple[Path, Path]:
    """Write reports/review-v<N>.md and .html for a stored version (default: the latest),
    atomically; returns (markdown path, html path). Sample images of that version, when
    there are any, are embedded as thumbnails (or linked, with embed=False)."""
    policy = ws.get_policy(version)
    data = review_data(policy)
    data.status = ws.review_status(policy.version)
    data.samples = sample_thumbnails(ws, policy, per_scenario=samples_per_scenario, embed=embed)
    data.quarantined = quarantine_thumbnails(ws, policy, embed=embed)
    md = render_review_markdown(policy, data=data)
    page = render_review_html(policy, data=data)
    md_path = ws.write_artifact(f"reports/review-v{policy.version}.md", md.encode())
    html_path = ws.write_artifact(f"reports/review-v{policy.version}.html", page.encode())
    return md_path, html_path


def _md(text: str) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _shows(s) -> str:
    return ", ".join(f"{c.count} {spaced(c.name)}" for c in s.classes if c.count) or "nothing"


def _value(v) -> str:
    return v.value if v.weight == 1.0 else f"{v.value} ({v.weight:g})"
