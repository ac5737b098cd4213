"""A compact Markdown summary of a report for an LLM planner, most important first, within
a token budget.

Tokens are estimated as ceil(characters / 3.5). English prose runs about 4 characters per
token on BPE tokenizers; tables of numbers and ids tokenize more densely, so 3.5 keeps the
estimate on the safe side. Sections, in order: eval-set provenance, overall metrics, change
since the compared report, weakest classes, weakest slices (with counts and a 95% Wilson
interval), top confusions, failure examples by sample id, notes. When the text is over
budget, items are dropped from the lowest-priority section first (each keeps a minimum),
then whole sections from the end, and as a last resort the text is cut at a line.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from ..models import MisclassificationReport
from ..models.report import ReportComparison

CHARS_PER_TOKEN = 3.5


def estimate_tokens(text: str) -> int:
    """A conservative token estimate: ceil(len / 3.5)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass
class _Section:
    title: str
    head: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    min_items: int = 1
    fixed: bool = False

    def render(self) -> str:
        lines = [f"## {self.title}"] if self.title else []
        return "\n".join(lines + self.head + self.items)


def _f(x: float | None, nd: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{nd}f}"


def _provenance(r: MisclassificationReport) -> _Section:
    es = r.eval_set
    kind = ("REAL held-out images" if es.kind == "real" else
            "SYNTHETIC holdout (seeds and layouts never trained on; no real images)")
    head = [f"# Misclassification report {r.id or '(unsaved)'}",
            f"Model: run {r.train_run_id or '-'}; dataset {r.dataset_id or '-'}; task {r.task}.",
            f"Eval set: {kind}, split '{es.split}', {es.n_images} images"
            + (f", {es.n_objects} objects" if r.task == "detection" else "")
            + (f". Matching: IoU >= {r.iou_threshold}, confidence >= {r.conf_threshold}."
               if r.task == "detection" else ". Each image's label is the top-1 class.")]
    return _Section("", head=head, fixed=True)


def _overall(r: MisclassificationReport) -> _Section:
    o = r.overall
    order = (("accuracy", "accuracy"), ("recall", "recall"), ("precision", "precision"),
             ("map50", "mAP50"), ("map50_95", "mAP50-95"), ("macro_recall", "macro recall"),
             ("worst_class_recall", "worst-class recall"), ("fp_per_image", "FP/image"))
    parts = [f"{label} {_f(o[k])}" for k, label in order if k in o]
    return _Section("", head=["Overall: " + ", ".join(parts) + "."], fixed=True)


def _comparison(c: ReportComparison) -> _Section:
    return _Section(f"Change since report {c.old_id}", items=c.text.splitlines() or ["no change"],
                    min_items=1)


def _classes(r: MisclassificationReport, cap: int) -> _Section:
    present = sorted((c for c in r.classes if c.support), key=lambda c: (c.recall, c.name))
    items = []
    for c in present[:cap]:
        extra = f", mAP50 {_f(c.map50)}" if c.map50 is not None else ""
        items.append(f"- {c.name}: recall {_f(c.recall)} ({c.tp}/{c.support}), precision "
                     f"{_f(c.precision)}, FP {c.fp}{extra}")
    absent = [c.name for c in r.classes if not c.support]
    head = [f"({len(present)} classes with objects; the weakest first)"] if len(present) > 3 else []
    sec = _Section("Weakest classes (by recall)", head=head, items=items, min_items=3)
    if absent:
        sec.items.append(f"- not in the eval set (unmeasured): {', '.join(absent)}")
    return sec


def _slices(r: MisclassificationReport, cap: int) -> _Section:
    weak = [s for s in r.slices if s.score > 0]
    head = ["Score = max(0, overall recall - upper 95% bound of slice recall) × sqrt(support); "
            "0 = not significantly weaker."]
    if not weak:
        head.append("No slice is significantly below the overall recall.")
    items = [f"- {s.key()}: recall {_f(s.recall, 2)} (CI {_f(s.recall_ci[0], 2)}–"
             f"{_f(s.recall_ci[1], 2)}), {s.tp}/{s.support} found in {s.n_images} images, "
             f"FP {s.fp}, score {s.score:.2f}" for s in weak[:cap]]
    if weak:
        head.append(f"{len(weak)} of {len(r.slices)} slices are significantly weak; worst first:")
    return _Section("Weakest slices", head=head, items=items, min_items=3)


def _confusions(r: MisclassificationReport, cap: int) -> _Section:
    cm = r.confusion
    if cm is None:
        return _Section("Top confusions", items=[])
    cells = []
    for i, t in enumerate(cm.labels):
        for j, p in enumerate(cm.labels):
            if i != j and cm.matrix[i][j]:
                what = ("missed" if p == "background" else
                        "false positive" if t == "background" else "confused")
                cells.append((cm.matrix[i][j], f"- {t} → {p}: {cm.matrix[i][j]} ({what})"))
    cells.sort(key=lambda c: (-c[0], c[1]))
    return _Section("Top confusions (true → predicted)", items=[c[1] for c in cells[:cap]])


def _failures(r: MisclassificationReport, cap: int) -> _Section:
    bad = sorted((i for i in r.images if i.fn or i.fp), key=lambda i: (-(i.fn + i.fp), i.sample_id))
    items = []
    for im in bad[:cap]:
        ctx = ", ".join(f"{k}={v}" for k, v in sorted(im.variables.items()))
        if im.scenario_id:
            ctx = f"{ctx}, scenario {im.scenario_id}" if ctx else f"scenario {im.scenario_id}"
        what = []
        if im.missed:
            what.append("missed " + _counted(im.missed))
        if im.confusions:
            what.append("confused " + _counted(f"{t}→{p}" for t, p in im.confusions))
        bg_fp = im.fp - len(im.confusions)
        if bg_fp:
            what.append(f"{bg_fp} FP")
        items.append(f"- {im.sample_id} ({ctx}): {'; '.join(what)}")
    return _Section(f"Failure examples ({len(bad)} images with errors)", items=items, min_items=1)


def _counted(items) -> str:
    """'a, a, b' -> '2× a, b', in first-seen order."""
    return ", ".join(f"{n}× {k}" if n > 1 else k for k, n in Counter(items).items())


def _notes(r: MisclassificationReport) -> _Section:
    return _Section("Notes", items=[f"- {n}" for n in r.notes], min_items=0)


def _render(sections: list[_Section]) -> str:
    return "\n\n".join(s.render() for s in sections if s.fixed or s.items or s.head).strip() + "\n"


def summarize_report(report: MisclassificationReport, *, max_tokens: int = 1500,
                     comparison: ReportComparison | None = None, failure_examples: int = 5) -> str:
    """Markdown for an LLM: what was evaluated, how good, where it fails, most important
    first; never longer than `max_tokens` by `estimate_tokens`. `failure_examples=0`
    leaves out the per-image examples (a reader that plans by slice has no use for them)."""
    if max_tokens < 20:
        raise ValueError(f"max_tokens={max_tokens} is too small for any summary (use >= 20)")
    sections = [_provenance(report), _overall(report)]
    if comparison is not None:
        sections.append(_comparison(comparison))
    sections += [_classes(report, 10), _slices(report, 12), _confusions(report, 8)]
    if failure_examples > 0:
        sections.append(_failures(report, failure_examples))
    sections.append(_notes(report))
    text = _render(sections)
    # trim items from the least important section that still has more than its minimum
    while estimate_tokens(text) > max_tokens:
        trimmable = [s for s in sections if not s.fixed and len(s.items) > s.min_items]
        if not trimmable:
            break
        trimmable[-1].items.pop()
        text = _render(sections)
    while estimate_tokens(text) > max_tokens and not sections[-1].fixed:
        sections.pop()
        text = _render(sections)
    if estimate_tokens(text) > max_tokens:
        text = _cut(text, max_tokens)
    return text


def _cut(text: str, max_tokens: int) -> str:
    marker = "\n…(cut to fit the token budget)\n"
    limit = int(max_tokens * CHARS_PER_TOKEN) - len(marker)
    head = text[:max(limit, 0)]
    if "\n" in head:
        head = head[:head.rindex("\n")]
    return head + marker
