"""The design review as one standalone HTML page (no scripts, no external files unless
sample images are linked instead of embedded)."""

from __future__ import annotations

import base64
import io
import logging
from html import escape

from ..models import GenerationSpec, Policy, Sample, SampleFlag
from .names import spaced
from .review_content import ReviewData, review_data

log = logging.getLogger(__name__)
THUMB = 160
SAMPLE_ROWS = 5000
"""Samples read to pick each scenario's thumbnails from."""
_PALETTE = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
            "#9a6324", "#469990", "#808000")
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f4f4f4}.error{color:#b00020;font-weight:600}
.warning{color:#8a6d00}.meta{color:#555}.bar{background:#4363d8;height:10px;display:inline-block}
.grid{display:flex;flex-wrap:wrap;gap:8px}.cell{width:170px;font-size:12px}
.cell img{width:160px;height:160px;object-fit:contain;background:#eee;border:1px solid #ccc}
code{background:#f4f4f4;padding:0 3px}.sketch{border:1px solid #ccc;background:#fafafa}
"""


def render_review_html(policy: Policy, findings=None, *, data: ReviewData | None = None) -> str:
    """The review page for `policy` as an HTML string (every value escaped)."""
    d = data or review_data(policy, findings)
    colours = class_colours(policy)
    title = f"Design review: {policy.title}" + (f" (v{policy.version})" if policy.version else "")
    h = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(title)}"
         f"</title><style>{_CSS}</style></head><body>", f"<h1>{_e(title)}</h1>"]
    meta = [("Goal", policy.goal), ("Context", policy.context), ("Task", policy.task)]
    if policy.parent_version:
        meta.append(("Parent version", f"v{policy.parent_version}"))
    if d.status:
        meta.append(("Review status", f"{d.status[0]} {d.status[1]}".strip()))
    h.append("<p class=\"meta\">" + "<br>".join(f"<b>{k}:</b> {_e(v or '-')}" for k, v in meta)
             + "</p>")
    h += _lint(d)
    h.append("<h2>Classes</h2>")
    h.append(_table(["class", "appears", "description"],
                    [(f"<span style=\"color:{colours[c.name]}\">&#9632;</span> {_e(c.name)}",
                      _e(c.appears), _e(c.description)) for c in policy.classes]))
    h.append("<h2>Rules</h2>")
    h.append(_table(["id", "severity", "rule", "classes", "compliant", "violating"],
                    [(_e(r.id), _e(r.severity), _e(r.text), _e(", ".join(r.classes)),
                      _e(r.compliant), _e(r.violating)) for r in policy.rules]))
    if policy.hard_cases:
        h.append("<h2>Hard cases</h2><ul>" + "".join(f"<li>{_e(x)}</li>" for x in policy.hard_cases)
                 + "</ul>")
    h += _scenarios(policy, d, colours)
    h.append("<h2>Variable axes</h2>")
    h.append(_table(["axis", "values (weight)", "fairness", "share of preview"],
                    [(_e(a.name), _e(", ".join(v.value if v.weight == 1 else f"{v.value} ({v.weight:g})"
                                               for v in a.values)),
                      "yes" if a.fairness else "", _shares(d, a)) for a in policy.axes]))
    h += _coverage(policy, d)
    h += _samples(policy, d)
    h += _quarantined(d)
    h.append("</body></html>\n")
    return "\n".join(h)


def _lint(d: ReviewData) -> list[str]:
    errors = sum(f.level == "error" for f in d.findings)
    out = [f"<h2>Lint: {errors} error(s), {len(d.findings) - errors} warning(s)</h2>"]
    if not d.findings:
        return out + ["<p>clean</p>"]
    return out + [_table(["level", "code", "where", "message"],
                         [(f"<span class=\"{f.level}\">{f.level}</span>", f"<code>{_e(f.code)}</code>",
                           _e(f.where), _e(f.message)) for f in d.findings])]


def _scenarios(policy: Policy, d: ReviewData, colours) -> list[str]:
    total = d.counts.total if d.counts else 0
    rows = []
    for s in policy.scenarios:
        n = d.counts.by_scenario.get(s.id, 0) if d.counts else 0
        ex = d.examples.get(s.id)
        shows = ", ".join(f"{c.count} {spaced(c.name)}" for c in s.classes if c.count) or "nothing"
        rows.append((_e(s.id), _e(s.rule_id or "-"), _e(s.kind), _e(s.description), _e(shows),
                     f"{s.weight:g}", _e(s.risk),
                     f"{100 * n / total:.1f}%" if total else "-",
                     _sketch(ex, colours) if ex else ""))
    return ["<h2>Scenarios</h2>",
            _table(["scenario", "rule", "kind", "description", "shows", "weight", "risk",
                    "share", "layout sketch"], rows)]


def _shares(d: ReviewData, axis) -> str:
    if not d.counts or not d.counts.total:
        return "-"
    c = d.counts.by_axis.get(axis.name, {})
    return "<br>".join(f"<span class=\"bar\" style=\"width:{int(100 * c.get(v, 0) / d.counts.total)}px\">"
                       f"</span> {_e(v)} {100 * c.get(v, 0) / d.counts.total:.0f}%"
                       for v in axis.value_names())


def _coverage(policy: Policy, d: ReviewData) -> list[str]:
    out = ["<h2>Coverage of a stratified preview</h2>"]
    if d.note:
        out.append(f"<p><i>{_e(d.note)}</i></p>")
    if not d.counts:
        return out
    missing = d.counts.missing_values(policy)
    out.append(f"<p>{d.counts.total} specs. Unused declared values: "
               f"{_e(str(missing)) if missing else 'none'}.")
    if d.pairwise:
        out.append(f" A pairwise design over scenario &times; axes needs {d.pairwise[0]} rows "
                   f"(full product {d.pairwise[1]:,}).")
    out.append("</p><h2>Example prompts</h2><ul>")
    out += [f"<li><code>{_e(sid)}</code>: {_e(e.prompt)}<br><small>negative: "
            f"{_e(e.negative_prompt)}</small></li>" for sid, e in d.examples.items()]
    out.append("</ul>")
    return out


def _samples(policy: Policy, d: ReviewData) -> list[str]:
    if not d.samples:
        return ["<h2>Samples</h2><p>No sample images for this version yet.</p>"]
    out = ["<h2>Samples</h2>"]
    for s in policy.scenarios:
        cells = d.samples.get(s.id)
        if not cells:
            continue
        out.append(f"<h3>{_e(s.id)} <small>({_e(s.kind)})</small></h3><div class=\"grid\">")
        out += [f"<div class=\"cell\"><img src=\"{_e(src)}\" alt=\"{_e(s.id)}\"><br>{_e(cap)}</div>"
                for src, cap in cells]
        out.append("</div>")
    return out


def _quarantined(d: ReviewData) -> list[str]:
    if not d.quarantined:
        return []
    out = [f"<h2>Quarantined by label verification ({len(d.quarantined)})</h2><p>Left out of "
           "training until released (<code>synthloop quarantine release ID</code>) or confirmed; "
           "nothing is deleted.</p><div class=\"grid\">"]
    for src, f in d.quarantined:
        img = f"<img src=\"{_e(src)}\" alt=\"{_e(f.sample_id)}\"><br>" if src else ""
        out.append(f"<div class=\"cell\">{img}<code>{_e(f.sample_id)}</code> {_e(f.status)} "
                   f"({_e(f.verifier)}, {f.score:.2f}): {_e(f.reason)}</div>")
    out.append("</div>")
    return out


def quarantine_thumbnails(ws, policy: Policy | None, *, limit: int = 24, embed: bool = True
                          ) -> list[tuple[str | None, SampleFlag]]:
    """The flags still keeping samples out of training, lowest score first, with thumbnails
    (boxes in the policy's class colours; red without a policy)."""
    flags = sorted((f for f in ws.list_flags() if f.status != "released"),
                   key=lambda f: (f.score, f.sample_id))[:limit]
    by_id = {s.id: s for s in ws.get_samples(list(dict.fromkeys(f.sample_id for f in flags)))}
    colours = class_colours(policy) if policy is not None else None
    return [((_thumbnail(ws, by_id[f.sample_id], colours) if embed
              else f"../{by_id[f.sample_id].image}"), f) for f in flags]


def _sketch(spec: GenerationSpec, colours) -> str:
    """The spec's layout as a small inline SVG: what the generator is asked to draw where."""
    w = 120
    parts = [f"<svg class=\"sketch\" width=\"{w}\" height=\"{w}\" viewBox=\"0 0 {w} {w}\" "
             f"xmlns=\"http://www.w3.org/2000/svg\">"]
    for b in spec.layout:
        x0, y0, x1, y1 = (v * w for v in b.box)
        colour = colours.get(b.cls, "#333")
        parts.append(f"<rect x=\"{x0:.1f}\" y=\"{y0:.1f}\" width=\"{x1 - x0:.1f}\" "
                     f"height=\"{y1 - y0:.1f}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\">"
                     f"<title>{_e(b.cls)}</title></rect>")
    parts.append("</svg>")
    return "".join(parts)


def sample_thumbnails(ws, policy: Policy, *, per_scenario: int = 6,
                      embed: bool = True) -> dict[str, list[tuple[str, str]]]:
    """Up to `per_scenario` sample images per scenario of this policy version, as (src,
    caption): base64 PNG thumbnails with their boxes drawn, or links relative to the
    reports folder. Samples of earlier versions stand in when this one has none."""
    samples = (ws.samples_of_policy(policy.version, limit=SAMPLE_ROWS)
               or list(ws.iter_samples(limit=SAMPLE_ROWS)))
    wanted = {s.id for s in policy.scenarios}
    out: dict[str, list[tuple[str, str]]] = {}
    for s in samples:
        if s.scenario_id not in wanted or len(out.get(s.scenario_id, [])) >= per_scenario:
            continue
        caption = ", ".join(f"{k}={v}" for k, v in list(s.variables.items())[:3])
        src = _thumbnail(ws, s, class_colours(policy)) if embed else f"../{s.image}"
        if src:
            out.setdefault(s.scenario_id, []).append((src, caption))
    return out


def class_colours(policy: Policy) -> dict[str, str]:
    """The legend's colour of each class (hex), also used for the boxes on thumbnails."""
    return {c.name: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(policy.classes)}


def _thumbnail(ws, s: Sample, colours: dict[str, str] | None = None) -> str | None:
    """The sample as an embedded PNG with its boxes drawn in the legend's class colours."""
    try:
        from PIL import Image, ImageDraw

        with Image.open(ws.path(s.image)) as im:
            im = im.convert("RGB")
            draw = ImageDraw.Draw(im)
            for a in s.annotations:
                draw.rectangle(a.box, outline=(colours or {}).get(a.cls, "#ff2828"),
                               width=max(1, im.width // 150))
            im.thumbnail((THUMB, THUMB))
            buf = io.BytesIO()
            im.save(buf, format="PNG", optimize=True)
        return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    except Exception as e:  # a missing or unreadable image must not sink the review page
        log.warning("no thumbnail for sample %s: %s", s.id, e)
        return None


def _table(head: list[str], rows) -> str:
    th = "".join(f"<th>{x}</th>" for x in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _e(text) -> str:
    return escape(str(text), quote=True)
