"""Weakness analysis: from a report (and earlier ones), the candidates for targeted data.

Three kinds, each compared with the right reference so one weakness is named once:

- **class**: a class whose recall is significantly below the other classes' and stays below
  them in the best value of most axes ("low everywhere") becomes one `class=` candidate,
  instead of a `value × class` slice for every value it is weak in.
- **condition**: an axis value (or scenario) whose recall is significantly below what its
  objects' classes *and other conditions* predict: a logistic model of "found" on the class
  and every condition (logit.py), the value's coefficient contrasted with the other values
  of its axis. When one class carries >= 70 % of the deficit (per-class models) the
  candidate is `value × class`, otherwise the value for all classes.
- **interaction**: two values whose joint recall is significantly below what the model's
  main effects predict for them, where the eval set has enough objects in the pair.

"Significantly": |z| above a Bonferroni threshold for the number of values (or pairs)
tested at a 5 % family-wise rate, never below 2 (2.5 for pairs). Reports without per-image
class counts (older ones) fall back to a class-stratified comparison per slice.

Responsiveness comes from earlier iterations (`history`): a slice that got training images
since it was first measured and whose recall did not move is *data-insensitive*; it leaves
the candidate list, with a recommendation in words (a larger training size when its objects
are a few pixels, else a bigger model). Expected gain = excess misses x a responsiveness
factor (untried 1.0, or 0.3 when its objects are under 8 px at the training size; responsive
1.0; unclear 0.6), which is what the allocator ranks by.
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import NormalDist, median

from ..evaluate.ranking import wilson_interval
from ..models import MisclassificationReport, Policy
from .logit import contrast, expected_in, fit_rows
from .models import Candidate, HistoryPoint, WeaknessAnalysis
from .stats import stratified_z, two_proportion_z
from .tally import SCENARIO, Cell, Tally, class_key, pair_key, tally_report, value_key, with_class

Z_WEAK = 2.0            # least |z| for a weakness; raised for the number of tests made
Z_PAIR = 2.5            # the same for value pairs
ALPHA = 0.05            # family-wise error rate over all the values (or pairs) tested
MIN_SUPPORT = 10        # eval objects a slice needs to be judged
MIN_PAIR_SUPPORT = 20
MIN_EXCESS = 3.0        # objects a candidate must be able to win back
MAX_CANDIDATES = 12
MAX_PAIRS = 3
SMALL_PX = 8.0          # YOLO's finest stride: objects smaller than this barely register
MOVED = 0.05            # recall change that counts as "moved"
STUCK = 0.03            # and as "did not move"
Z_MOVED = 1.64          # a pixel-limited slice's rise must exceed this many standard errors
FACTORS = {"untried": 1.0, "responsive": 1.0, "unclear": 0.6, "data-insensitive": 0.0}

METHOD = ("candidates: class-wide (z < -2 vs other classes, low in most axes), condition "
          "(logistic model of found ~ class + conditions; value vs its axis, z below a "
          "Bonferroni threshold), interaction (pair vs the model's main effects); expected gain = excess misses x responsiveness factor; "
          "data-insensitive = got training images (>= max(5, a quarter of its count)) and "
          "recall moved < 0.03 and < 0.05 minus 1.64 standard errors over two reports; objects "
          "under 8 px are probed before images are spent and stay insensitive unless the probe moved them "
          "beyond noise")


def analyse_weakness(report: MisclassificationReport, policy: Policy | None = None, *,
                     history: list[HistoryPoint] | tuple = (),
                     train_counts: dict[str, int] | Callable[[list[str]], dict[str, int]]
                     | None = None,
                     imgsz: int | None = None) -> WeaknessAnalysis:
    """Candidates for the next iteration's data, best expected gain first.

    `history`: earlier reports' points (oldest first, see `history_point`); `train_counts`:
    training images per slice key for the model of `report` (see tally.train_counts), or a
    function that counts them for a list of keys; `imgsz`: the training size, to turn
    object sizes into pixels.
    """
    t = tally_report(report)
    cands: list[Candidate] = []
    notes: list[str] = []
    # a classifier's miss in a condition is a confusion between labels: its fix is images
    # of the condition with every label, never with one label only (which shifts the
    # condition's label prior and flips the miss to the other label, measured), so its
    # condition candidates are never split by class
    split = report.task != "classification"
    if t.has_images:
        _conditions_model(t, cands, split=split)
    else:
        _conditions(t, cands, split=split)
    wide = _class_wide(t, cands)
    cands = [c for c in cands if c.excess_misses >= MIN_EXCESS]
    counts = train_counts or {}
    if callable(counts):
        counts = counts(sorted({c.key for c in cands} | {k for h in history for k in h.recalls}))
    for c in cands:
        _sizes(c, t, imgsz)
        _respond(c, history, counts)
        c.near_miss = _near_miss(c, t)
        _gain(c, imgsz)
    # near misses never re-create a condition more images do not (or likely cannot) fix:
    # a night image missed because it was also pixel-limited is no night lesson
    avoid = {kv for c in cands if c.probe or c.responsiveness == "data-insensitive"
             for kv in c.fixed.items()}
    for c in cands:
        if not (c.probe or c.responsiveness == "data-insensitive"):
            c.near_miss = [m for m in c.near_miss if not avoid & set(m.items())]
    ranked = sorted((c for c in cands if c.responsiveness != "data-insensitive"),
                    key=lambda c: (-c.expected_gain, c.key))
    # probes (likely pixel-limited, untried) are kept whatever the cap: they must be measured
    actionable = [c for c in ranked if not c.probe][:MAX_CANDIDATES] + [c for c in ranked if c.probe]
    stuck = sorted((c for c in cands if c.responsiveness == "data-insensitive"),
                   key=lambda c: c.key)
    for i, c in enumerate(actionable, 1):
        c.id = f"C{i}"
    for i, c in enumerate(stuck, 1):
        c.id = f"X{i}"
        notes.append(f"{c.key} is data-insensitive: {c.evidence()}. {c.recommendation}")
    for c in actionable:
        if c.probe:
            notes.append(f"{c.key} is likely pixel-limited: {c.evidence()}. {c.recommendation}")
    for cls in wide:
        notes.append(f"{cls} is weak everywhere, not in one condition: one class-wide target")
    if not cands:
        notes.append("no class, condition or pair is significantly weaker than its reference")
    return WeaknessAnalysis(candidates=actionable, insensitive=stuck, notes=notes, method=METHOD)


def _candidate(kind, key: str, cls: str | None, fixed: dict[str, str], found: int, support: int,
               reference: float, label: str, z: float) -> Candidate:
    recall = found / support if support else 0.0
    return Candidate(id="", kind=kind, key=key, cls=cls, fixed=fixed, support=support,
                     found=found, recall=round(recall, 4),
                     recall_ci=tuple(round(x, 4) for x in wilson_interval(found, support)),
                     reference=round(reference, 4), reference_label=label, z=round(z, 2),
                     excess_misses=round(max(0.0, reference * support - found), 2))


def _class_wide(t: Tally, out: list[Candidate]) -> set[str]:
    """Classes significantly below the other classes even in the images that none of its
    condition candidates explains ("low everywhere"); one `class=` candidate each."""
    sup, fnd = t.totals.support, t.totals.found
    classes = [c for c in sup if sup[c] >= MIN_SUPPORT]
    if len(classes) < 2:
        return set()
    wide = set()
    for c in classes:
        explained = {next(iter(x.fixed.items())) for x in out
                     if x.kind == "condition" and x.cls in (None, c)}
        if t.has_images:
            rest = [(o, f) for conds, o, f in t.rows if not explained & set(conds)]
            n_c = sum(o.get(c, 0) for o, _ in rest)
            f_c = sum(f.get(c, 0) for _, f in rest)
            n_o = sum(v for o, _ in rest for k, v in o.items() if k != c)
            f_o = sum(v for _, f in rest for k, v in f.items() if k != c)
        else:
            n_c, f_c = sup[c], fnd[c]
            n_o, f_o = sum(sup.values()) - n_c, sum(fnd.values()) - f_c
        if n_c < MIN_SUPPORT or not n_o:
            continue
        z = two_proportion_z(f_c, n_c, f_o, n_o)
        if z > -Z_WEAK:
            continue
        wide.add(c)
        label = "for the other classes" + (" outside its weak conditions" if explained else "")
        cand = _candidate("class", class_key(c), c, {}, fnd[c], sup[c], f_o / n_o, label, z)
        # what is left to win once its weak conditions are fixed: the gap outside them
        cand.excess_misses = round(max(0.0, (f_o / n_o - f_c / n_c) * sup[c]), 2)
        out.append(cand)
    return wide


def _conditions(t: Tally, out: list[Candidate], *, split: bool = True) -> None:
    sup, fnd = t.totals.support, t.totals.found
    for (axis, value), cell in sorted(t.values.items()):
        strata, weak_cls = [], []
        for c, n in cell.support.items():
            n_rest, f_rest = sup[c] - n, fnd[c] - cell.found[c]
            if n <= 0 or n_rest <= 0:
                continue
            strata.append((cell.found[c], n, f_rest / n_rest))
            if n >= MIN_SUPPORT:
                z = two_proportion_z(cell.found[c], n, f_rest, n_rest)
                if z <= -Z_WEAK:
                    weak_cls.append((c, z, f_rest / n_rest))
        found, support = cell.total()
        if support < MIN_SUPPORT:
            continue
        z_all, expected = stratified_z(strata)
        fixed = {axis: value}
        key = value_key(axis, value)
        label = "expected from each class's recall elsewhere"
        if not split:
            weak_cls = []
        if z_all <= -Z_WEAK and (len(weak_cls) != 1 or _share(cell, weak_cls[0][0], strata) < 0.7):
            out.append(_candidate("condition", key, None, fixed, found, support, expected, label,
                                  z_all))
            continue
        for c, z, rest in weak_cls:
            out.append(_candidate("condition", with_class(key, c), c, fixed, cell.found[c],
                                  cell.support[c], rest, f"for {c} elsewhere", z))


def threshold(tests: int, floor: float) -> float:
    """|z| a deficit must reach when `tests` values are tested (Bonferroni at ALPHA, one-
    sided), never below `floor`: with 30 values tested, 2.9 instead of 2.0."""
    return max(floor, NormalDist().inv_cdf(1 - ALPHA / max(tests, 1)))


def _conditions_model(t: Tally, out: list[Candidate], *, split: bool = True) -> None:
    """Condition and pair candidates from the logistic model (class and every condition in
    one fit; per class, one fit per class with enough objects)."""
    pooled = fit_rows(t.rows)
    n_classes = sum(1 for n in t.totals.support.values() if n >= 3 * MIN_SUPPORT) if split else 0
    z_weak = threshold(len(t.values) * (1 + n_classes), Z_WEAK)
    z_pair = threshold(len(t.pairs), Z_PAIR)
    if pooled is None:
        return
    per = {c: fit_rows(t.rows, per_class=c) for c, n in t.totals.support.items()
           if split and n >= 3 * MIN_SUPPORT}
    label = "expected for its classes and other conditions"
    for (axis, value), cell in sorted(t.values.items()):
        found, support = cell.total()
        if support < MIN_SUPPORT:
            continue
        res = contrast(pooled, (axis, value))
        if res is None:
            continue
        z_all, expected, _, _, _ = res
        weak = []
        for c, fit in per.items():
            if fit is None or cell.support[c] < MIN_SUPPORT:
                continue
            rc = contrast(fit, (axis, value))
            if rc and rc[0] <= -z_weak:
                weak.append((c, rc))
        key, fixed = value_key(axis, value), {axis: value}
        deficit = {c: max(0.0, rc[1] * rc[4] - rc[3]) for c, rc in weak}
        total_deficit = max(0.0, expected * support - found)
        one_class = len(weak) == 1 and total_deficit > 0 and \
            deficit[weak[0][0]] >= 0.7 * total_deficit
        if z_all <= -z_weak and not one_class:
            out.append(_candidate("condition", key, None, fixed, found, support, expected, label,
                                  z_all))
            continue
        for c, (z, exp_c, _, f_c, n_c) in weak:
            out.append(_candidate("condition", with_class(key, c), c, fixed, f_c, n_c, exp_c,
                                  f"expected for {c} in its other conditions", z))
    pairs = []
    for (a, b), cell in t.pairs.items():
        found, support = cell.total()
        if support < MIN_PAIR_SUPPORT:
            continue
        z, expected, f, n = expected_in(pooled, {a, b})
        if z <= -z_pair and n and f / n < expected - MOVED:
            pairs.append(_candidate("interaction", pair_key(a, b), None, {a[0]: a[1], b[0]: b[1]},
                                    f, n, expected, "expected from the two values alone", z))
    out += sorted(pairs, key=lambda c: c.z)[:MAX_PAIRS]


def _share(cell: Cell, cls: str, strata) -> float:
    """The part of a condition's missing objects (vs expectation) that one class carries."""
    total = sum(max(0.0, n * p - f) for f, n, p in strata) or 1.0
    n, f = cell.support[cls], cell.found[cls]
    p = next((p for ff, nn, p in strata if nn == n and ff == f), 0.0)
    return max(0.0, n * p - f) / total


def _cell_of(c: Candidate, t: Tally) -> Cell | None:
    base = c.key.partition(" × ")[0]
    if c.kind == "class":
        return t.totals
    if c.kind == "interaction":
        a, b = (tuple(p.split("=", 1)) for p in base.split(" & "))
        return t.pairs.get(tuple(sorted([a, b])))  # type: ignore[arg-type]
    return t.values.get(tuple(base.split("=", 1)))  # type: ignore[arg-type]


def _sizes(c: Candidate, t: Tally, imgsz: int | None) -> None:
    cell = _cell_of(c, t)
    if imgsz and cell is not None and cell.sizes:
        c.object_px = round(median(cell.sizes) * imgsz, 1)


def _respond(c: Candidate, history, counts: dict[str, int]) -> None:
    """untried / responsive / unclear / data-insensitive, from the earliest earlier report
    that measured this slice and the training images it got since.

    Both verdicts need the move to stand out of sampling noise (Z_MOVED standard errors of
    the difference of the two recalls): a slice whose objects are under 8 px at the
    training size is presumed pixel-limited, so after its probe it is responsive only if
    its recall rose by more than MOVED and the noise, else data-insensitive; any other
    slice is presumed to respond to data, so it is data-insensitive only when even its
    recall plus the noise stays below MOVED, and only after two later reports (one noisy dip
    on 60 images is "unclear", and so is a first flat step: in a cold start a class stayed
    at recall 0.00 for one fine-tune and rose to 0.29 in the next, measured in the demo)."""
    past = [h for h in history if c.key in h.recalls and h.supports.get(c.key, 0) >= MIN_SUPPORT]
    if not past:
        return
    first = past[0]
    c.recall_history = [round(h.recalls[c.key], 4) for h in past]
    before = first.train_counts.get(c.key, 0)
    added = max(0, counts.get(c.key, before) - before)
    c.images_added = added
    if added < max(5, before // 4):
        return  # too few images since to tell: still untried
    moved = c.recall - first.recalls[c.key]
    gap = first.references.get(c.key, c.reference) - first.recalls[c.key]
    noise = Z_MOVED * _se_diff(first.recalls[c.key], first.supports[c.key], c.recall, c.support)
    small = c.object_px is not None and c.object_px < SMALL_PX
    if small and moved <= max(MOVED, noise):
        c.responsiveness = "data-insensitive"
        c.recommendation = _recommend(c)
    elif moved >= MOVED or (gap > 0 and moved >= 0.25 * gap):
        c.responsiveness = "responsive"
    elif moved < STUCK and moved + noise < MOVED and len(past) >= 2:
        c.responsiveness = "data-insensitive"
        c.recommendation = _recommend(c)
    else:
        c.responsiveness = "unclear"


def _se_diff(p0: float, n0: int, p1: float, n1: int) -> float:
    """Standard error of a difference of two recalls (add-one smoothed, so 0/15 has one)."""
    a = (p0 * n0 + 1) / (n0 + 2)
    b = (p1 * n1 + 1) / (n1 + 2)
    return (a * (1 - a) / max(n0, 1) + b * (1 - b) / max(n1, 1)) ** 0.5


def _recommend(c: Candidate) -> str:
    if c.object_px is not None and c.object_px < 2 * SMALL_PX:
        return (f"Its objects are ~{c.object_px:.0f} px at the training size: train at a "
                "larger imgsz (2x or more) or render them larger, instead of adding images.")
    return ("More images did not move it: try a bigger model (e.g. yolov8s), more epochs, or "
            "check that the generator renders this condition recognisably.")


def _near_miss(c: Candidate, t: Tally, limit: int = 20) -> list[dict[str, str]]:
    """Variable combinations of eval images where the candidate's objects were missed,
    most misses first; each includes its scenario."""
    if c.kind == "class":
        rows = t.missed_combos.get(("class", c.cls or ""), [])
    else:
        k = next(iter(c.fixed.items()))
        rows = t.missed_combos.get(k, [])
    out, seen = [], set()
    for _, combo, scenario in sorted(rows, key=lambda r: -r[0]):
        if any(combo.get(a) != v for a, v in c.fixed.items()):
            continue
        full = {**combo, **({SCENARIO: scenario} if scenario else {})}
        sig = tuple(sorted(full.items()))
        if sig not in seen:
            seen.add(sig)
            out.append(full)
        if len(out) >= limit:
            break
    return out


def _gain(c: Candidate, imgsz: int | None) -> None:
    factor = FACTORS[c.responsiveness]
    if c.responsiveness == "untried" and c.object_px is not None and c.object_px < SMALL_PX:
        factor = 0.0  # below the detector's finest stride: probe it before spending on it
        c.probe = True
        c.recommendation = c.recommendation or (
            f"Likely pixel-limited: its objects are ~{c.object_px:.0f} px at the training size. "
            "It gets a small probe of images first; if they do not move it, train at a "
            "larger imgsz instead.")
    c.expected_gain = round(c.excess_misses * factor, 2)


def tracked_keys(analysis: WeaknessAnalysis, classes: list[str] | tuple = ()) -> set[str]:
    """The slice keys a history point records: every candidate's key, its value without the
    class, and the value with each class, so the next analysis finds a past measurement even
    when the same weakness is keyed differently (`a=v × c` one time, `a=v` the next)."""
    keys = set()
    for c in [*analysis.candidates, *analysis.insensitive]:
        keys.add(c.key)
        base = c.key.partition(" × ")[0]
        if not base.startswith("class="):
            keys.add(base)
            keys |= {with_class(base, cls) for cls in classes}
    return keys


def history_point(report: MisclassificationReport, analysis: WeaknessAnalysis, iteration: int,
                  train_counts: dict[str, int]) -> HistoryPoint:
    """What a later analysis needs of this one: the recall, support and reference of every
    tracked key (see `tracked_keys`), and the training images each had."""
    t = tally_report(report)
    keys = {c.key: c for c in [*analysis.candidates, *analysis.insensitive]}
    recalls, supports = {}, {}
    for key in set(keys) | set(train_counts):
        fs = t.recall_of(key)
        if fs and fs[1]:
            recalls[key], supports[key] = round(fs[0] / fs[1], 4), fs[1]
    return HistoryPoint(iteration=iteration, recalls=recalls, supports=supports,
                        references={k: c.reference for k, c in keys.items()},
                        train_counts=dict(train_counts))
