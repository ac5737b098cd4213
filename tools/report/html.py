"""A standalone HTML page for a report: <workspace>/reports/<report id>/index.html.

Pictures are embedded as data URIs so the page can be mailed or archived alone; the same
PNGs, the JSON form and the Markdown summary are written beside it. Every file is written
atomically.
"""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from ..errors import SynthloopError, ValidationError
from ..models import MisclassificationReport
from ..models.report import ReportComparison
from .summary import summarize_report

if TYPE_CHECKING:
    from ..store import Workspace

log = logging.getLogger(__name__)

_TEMPLATE = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""\
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>synthloop report {{ r.id }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:.9em}
th,td{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f2f2f2} td.l,th.l{text-align:left}
.weak{background:#fde2e2} .good{color:#1a7f37} .bad{color:#b42318}
pre{background:#f7f7f7;padding:1em;white-space:pre-wrap;font-size:.85em}
img{max-width:100%;border:1px solid #eee;margin:.5em 0}
.banner{padding:.6em 1em;background:{{ '#e8f4ff' if r.eval_set.kind == 'real' else '#fff4e0' }}}
</style></head><body>
<h1>Misclassification report <code>{{ r.id }}</code></h1>
<p class="banner"><b>Eval set:</b> {{ 'real held-out images' if r.eval_set.kind == 'real'
 else 'synthetic holdout (no real images were available)' }}, split <code>{{ r.eval_set.split }}</code>,
 {{ r.eval_set.n_images }} images{% if r.task == 'detection' %}, {{ r.eval_set.n_objects }} objects{% endif %}.
 Run <code>{{ r.train_run_id }}</code>, dataset <code>{{ r.dataset_id }}</code>, model <code>{{ r.model }}</code>.
 IoU &ge; {{ r.iou_threshold }}, confidence &ge; {{ r.conf_threshold }}.</p>
<h2>Overall</h2>
<table><tr>{% for k in r.overall %}<th>{{ k }}</th>{% endfor %}</tr>
<tr>{% for v in r.overall.values() %}<td>{{ '%.3f' % v }}</td>{% endfor %}</tr></table>
{% if cmp %}<h2>Change since <code>{{ cmp.old_id }}</code></h2>
<pre>{{ cmp.text }}</pre>
<table><tr><th class="l">class</th><th class="l">metric</th><th>old</th><th>new</th><th>delta</th></tr>
{% for d in cmp.classes %}<tr><td class="l">{{ d.key }}</td><td class="l">{{ d.metric }}</td>
<td>{{ fmt(d.old) }}</td><td>{{ fmt(d.new) }}</td>
<td class="{{ 'good' if d.improved() else ('bad' if d.improved() is false else '') }}">{{ sfmt(d.delta) }}</td></tr>
{% endfor %}</table>{% endif %}
<h2>Summary for the planner</h2><pre>{{ summary }}</pre>
<h2>Per class</h2>
<table><tr><th class="l">class</th><th>support</th><th>TP</th><th>FP</th><th>FN</th><th>precision</th>
<th>recall</th><th>mAP50</th><th>mAP50-95</th></tr>
{% for c in r.classes %}<tr{% if c.support and c.recall < r.overall.get('recall', 0) %} class="weak"{% endif %}>
<td class="l">{{ c.name }}</td><td>{{ c.support }}</td><td>{{ c.tp }}</td><td>{{ c.fp }}</td><td>{{ c.fn }}</td>
<td>{{ fmt(c.precision) }}</td><td>{{ fmt(c.recall) if c.support else 'n/a' }}</td><td>{{ fmt(c.map50) }}</td>
<td>{{ fmt(c.map50_95) }}</td></tr>{% endfor %}</table>
{% for title, png in pictures %}<h3>{{ title }}</h3><img alt="{{ title }}" src="data:image/png;base64,{{ png }}">
{% endfor %}
<h2>Weakest slices</h2><p>{{ r.score_method }}</p>
<table><tr><th class="l">slice</th><th>images</th><th>support</th><th>TP</th><th>FN</th><th>FP</th>
<th>recall</th><th>95% CI</th><th>precision</th><th>score</th></tr>
{% for s in slices %}<tr{% if s.score > 0 %} class="weak"{% endif %}><td class="l">{{ s.key() }}</td>
<td>{{ s.n_images }}</td><td>{{ s.support }}</td><td>{{ s.tp }}</td><td>{{ s.fn }}</td><td>{{ s.fp }}</td>
<td>{{ fmt(s.recall) if s.support else 'n/a' }}</td><td>{{ fmt(s.recall_ci[0]) }}–{{ fmt(s.recall_ci[1]) }}</td>
<td>{{ fmt(s.precision) }}</td><td>{{ '%.2f' % s.score }}</td></tr>{% endfor %}</table>
{% if more_slices %}<p>{{ more_slices }} more slices in report.json.</p>{% endif %}
<h2>Images with errors</h2>
<table><tr><th class="l">sample</th><th class="l">slice</th><th>TP</th><th>FP</th><th>FN</th>
<th class="l">missed</th><th class="l">confused (true→pred)</th></tr>
{% for i in failures %}<tr><td class="l"><code>{{ i.sample_id }}</code></td>
<td class="l">{{ i.variables.items()|map('join', '=')|join(', ') }}{% if i.scenario_id %} / {{ i.scenario_id }}{% endif %}</td>
<td>{{ i.tp }}</td><td>{{ i.fp }}</td><td>{{ i.fn }}</td><td class="l">{{ i.missed|join(', ') }}</td>
<td class="l">{% for t, p in i.confusions %}{{ t }}→{{ p }} {% endfor %}</td></tr>{% endfor %}</table>
{% if analysis %}<h2>Weakness analysis</h2>
<p><small>{{ analysis.method }}</small></p>
{% if analysis.candidates %}<table><tr><th class="l">id</th><th class="l">candidate</th><th class="l">evidence</th><th>expected gain</th></tr>
{% for c in analysis.candidates %}<tr><td class="l">{{ c.id }}</td><td class="l">{{ c.key }}</td><td class="l">{{ c.evidence() }}</td><td>{{ "%.1f"|format(c.expected_gain) }}</td></tr>{% endfor %}</table>{% endif %}
{% if analysis.notes %}<ul>{% for n in analysis.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}{% endif %}
{% if outcomes %}<h2>What the last plan's targets did</h2><table><tr><th class="l">target</th><th>images</th><th class="l">evidence</th><th class="l">hypothesis</th><th>recall before</th><th>after</th></tr>
{% for o in outcomes %}<tr><td class="l">{{ o.key }}{% if o.purpose != "exploit" %} [{{ o.purpose }}]{% endif %}</td><td>{{ o.images }}</td><td class="l">{{ o.evidence or "-" }}</td><td class="l">{{ o.hypothesis or "-" }}</td><td>{{ fmt(o.before) }}</td><td>{{ fmt(o.after) }}</td></tr>{% endfor %}</table>
{% if plan_notes %}<p>What code changed in that plan:</p><ul>{% for n in plan_notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}{% endif %}
{% if flags %}<h2>Quarantined by label verification</h2>
<p>{{ flags|length }} sample(s) left out of training until a person releases them
(<code>synthloop quarantine release ID</code>) or confirms them; nothing is deleted.</p>
<table><tr><th class="l">image</th><th class="l">sample</th><th class="l">verifier</th><th class="l">status</th><th>score</th><th class="l">reason</th></tr>
{% for src, f in flags %}<tr><td class="l">{% if src %}<img src="{{ src }}" width="120" alt="{{ f.sample_id }}">{% endif %}</td><td class="l"><code>{{ f.sample_id }}</code></td><td class="l">{{ f.verifier }}</td><td class="l">{{ f.status }}</td><td>{{ "%.2f"|format(f.score) }}</td><td class="l">{{ f.reason }}</td></tr>{% endfor %}</table>{% endif %}
{% if r.notes %}<h2>Notes</h2><ul>{% for n in r.notes %}<li>{{ n }}</li>{% endfor %}</ul>{% endif %}
<p><small>Also here: report.json, summary.md and the PNG files.</small></p>
</body></html>
""")


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _sfmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:+.3f}"


def _pictures(ws: Workspace, report: MisclassificationReport) -> list[tuple[str, str, bytes]]:
    """(title, file name, png) for every picture that can be drawn for this report."""
    # matplotlib is imported here, not at module import: `import tools.report` stays light
    from .gallery import render_failure_gallery, worst_images
    from .plots import plot_class_bars, plot_confusion, plot_epochs, plot_slice_heatmap

    out: list[tuple[str, str, bytes]] = []
    makers = [("Per-class metrics", "classes.png", plot_class_bars),
              ("Confusion matrix", "confusion.png", plot_confusion),
              ("Recall per slice and class", "slices.png", plot_slice_heatmap)]
    for title, name, make in makers:
        try:
            out.append((title, name, make(report)))
        except ValueError as e:
            log.info("no %s: %s", name, e)
    try:
        ids = [i.sample_id for i in worst_images(report, 12)]
        samples = {s.id: s for s in ws.get_samples(ids)} if ids else {}
        png = render_failure_gallery(report, samples, ws.root)
        if png:
            out.append(("Failure gallery (worst images)", "gallery.png", png))
    except SynthloopError as e:
        log.warning("failure gallery skipped: %s", e.one_line())
    if report.train_run_id:
        try:
            run = ws.get_train_run(report.train_run_id)
            if run.epochs:
                out.append(("Training curves", "training.png", plot_epochs(run.epochs)))
        except SynthloopError:
            pass
    return out


def _quarantine(ws: Workspace):
    """The flags still keeping samples out of training, with thumbnails (as on the review page)."""
    from ..design.review_html import quarantine_thumbnails

    try:
        policy = ws.get_policy()
    except SynthloopError:  # no policy stored: boxes in one colour
        policy = None
    return quarantine_thumbnails(ws, policy)


def render_report_html(ws: Workspace, report: MisclassificationReport, *,
                       comparison: ReportComparison | None = None,
                       max_slices: int = 50, analysis=None,
                       outcomes: list[dict] | None = None,
                       plan_notes: list[str] | None = None) -> Path:
    """Write the report's page and its files under <ws>/reports/<report id>/ and return
    the path of index.html. The report must have an id (save it with ws.save_report).
    `analysis` (a WeaknessAnalysis) and `outcomes` (the last plan's targets: evidence,
    hypothesis, recall before and after) add the loop's reading of the report, in words and
    numbers; `plan_notes` say what code changed in that plan (adjusted, refused)."""
    if not report.id:
        raise ValidationError("the report has no id yet", "store it first with ws.save_report")
    base = f"reports/{report.id}"
    summary = summarize_report(report, comparison=comparison)
    pictures = _pictures(ws, report)
    for _title, name, png in pictures:
        ws.write_artifact(f"{base}/{name}", png)
    ws.write_artifact(f"{base}/report.json", report.model_dump_json(indent=1).encode())
    ws.write_artifact(f"{base}/summary.md", summary.encode())
    if comparison is not None:
        ws.write_artifact(f"{base}/comparison.json", comparison.model_dump_json(indent=1).encode())
    failures = sorted((i for i in report.images if i.fn or i.fp),
                      key=lambda i: (-(i.fn + i.fp), i.sample_id))[:100]
    flags = _quarantine(ws)
    html = _TEMPLATE.render(
        r=report, cmp=comparison, summary=summary, fmt=_fmt, sfmt=_sfmt,
        pictures=[(t, base64.b64encode(png).decode()) for t, _n, png in pictures],
        slices=report.slices[:max_slices], more_slices=max(0, len(report.slices) - max_slices),
        failures=failures, analysis=analysis, outcomes=outcomes or [],
        plan_notes=plan_notes or [], flags=flags,
    )
    return ws.write_artifact(f"{base}/index.html", html.encode())
