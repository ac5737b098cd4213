"""The loop-efficacy benchmark's outputs: a Markdown report, the JSON, one plot per metric
per world."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from .efficacy_metrics import METRIC_TITLES, MIN_GAIN, MIN_SUPPORT, N_BOOT, THRESHOLDS, spread
from .results_io import write_table_and_json

PLOTTED = ("overall", "tracked_slice_recall", "worst_slice_recall", "control_recall",
           "loop_holdout_recall")
COMPARISON_TITLES = {
    "tracked_slice_recall": "slices weakest at iteration 0",
    "worst_slice_recall": "worst slice (control excluded)",
    "overall": "overall (whole holdout)",
    "loop_holdout_recall": "recall, loop's weighted holdout",
    "control_recall": "control slice",
    "worst5_slice_recall": "5 worst slices",
}


def _pm(s: dict[str, Any] | None) -> str:
    if not s or s.get("mean") is None:
        return "-"
    return f"{s['mean']:.3f}" + (f" ± {s['std']:.3f}" if s.get("std") is not None else "")


def _signed(x: float | None) -> str:
    return "-" if x is None else f"{x:+.3f}"


def _ci(ci: Any, fmt: str = "{:+.3f}") -> str:
    return "-" if not ci else f"[{fmt.format(ci[0])}, {fmt.format(ci[1])}]"


def _mark(passed: bool | None) -> str:
    return {True: "pass", False: "**FAIL**", None: "not measured"}[passed]


def _by_arm(runs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in runs:
        if not r.get("error") and r.get("iterations"):
            out.setdefault(r["arm"], []).append(r)
    return out


def overall_name(w: dict[str, Any]) -> str:
    for r in w["runs"]:
        for i in r.get("iterations", []):
            name = i["metrics"].get("overall_name")
            if name:
                return {"map50": "mAP50"}.get(name, name)
    return "mAP50" if w.get("task") == "detection" else "accuracy"


def verdict_table(result: dict[str, Any]) -> list[str]:
    """One row per world and targeted arm: the done-when numbers and the verdict."""
    out = ["| world | iteration 0: overall, loop-holdout recall | arm | tracked ratio (95 % CI of "
           "difference) | worst-slice ratio (95 % CI) | overall vs uniform | control flagged | verdict |",
           "|---|---:|---|---:|---:|---:|---|---|"]
    for w in result["worlds"]:
        it0 = {m: (w["summary"].get("uniform", {}).get(m) or [None])[0]
               for m in ("overall", "loop_holdout_recall")}
        start = f"{overall_name(w)} {_pm(it0['overall'])}, {_pm(it0['loop_holdout_recall'])}"
        for arm, v in w["verdicts"].items():
            c = v["comparisons"]
            checks = {k["check"]: k for k in v["checks"]}
            flag = checks.get("control flagged data-insensitive", {}).get("value", "no control")

            def ratio(m: dict[str, Any]) -> str:
                r = "undefined" if m["ratio"] is None else f"{m['ratio']:.2f}" + \
                    ("*" if m.get("floored") else "")
                return f"{r} ({_ci(m.get('ci95'))})"
            out.append(f"| {w['world']} | {start} | {arm} | {ratio(c['tracked_slice_recall'])} | "
                       f"{ratio(c['worst_slice_recall'])} | "
                       f"{_signed((c['overall'].get('difference') or {}).get('mean'))} | {flag} | "
                       f"{_mark(v['passed'])} |")
    return out


def checks_table(w: dict[str, Any]) -> list[str]:
    arms = list(w["verdicts"])
    if not arms:
        return []
    names = [c["check"] for c in w["verdicts"][arms[0]]["checks"]]
    out = ["| check | threshold | " + " | ".join(arms) + " |", "|---|---|" + "---|" * len(arms)]
    for i, name in enumerate(names):
        want = w["verdicts"][arms[0]]["checks"][i]["threshold"]
        cells = []
        for a in arms:
            c = w["verdicts"][a]["checks"][i]
            v = c["value"]
            shown = (_ci(v) if isinstance(v, list | tuple) else
                     f"{v:.3f}" if isinstance(v, float) else "-" if v is None else str(v))
            cells.append(f"{shown} — {_mark(c['passed'])}")
        out.append(f"| {name} | {want} | " + " | ".join(cells) + " |")
    return out


def comparison_table(w: dict[str, Any]) -> list[str]:
    """Per targeted arm and metric: mean gains, ratio, paired difference with its interval."""
    out = ["| arm | metric | gain targeted | gain uniform | ratio (bootstrap 95 %) | "
           "difference mean ± std | 95 % CI | seeds won |",
           "|---|---|---:|---:|---:|---:|---:|---:|"]
    for arm, per in w["comparisons"].items():
        for metric, c in per.items():
            if "gain_targeted" not in c:
                out.append(f"| {arm} | {COMPARISON_TITLES.get(metric, metric)} | - | - | - | - | - "
                           f"| {c['note']} |")
                continue
            rb = (c.get("ratio_bootstrap") or {}).get("ci95")
            ratio = "undefined" if c["ratio"] is None else f"{c['ratio']:.2f}" + \
                ("*" if c.get("floored") else "")
            if rb:
                ratio += f" {_ci(rb, '{:.2f}')}"
            d = c["difference"]
            out.append(f"| {arm} | {COMPARISON_TITLES.get(metric, metric)} | "
                       f"{c['gain_targeted']:+.3f} | {c['gain_baseline']:+.3f} | {ratio} | "
                       f"{_signed(d['mean'])}" + (f" ± {d['std']:.3f}" if d.get("std") is not None else "")
                       + f" | {_ci(c.get('ci95'))} | {c['targeted_wins']}/{len(c['seeds'])} |")
    return out


def metrics_table(w: dict[str, Any]) -> list[str]:
    cols = [("overall", overall_name(w)), ("tracked_slice_recall", "slices weakest at it. 0"),
            ("worst_slice_recall", "worst slice"), ("worst5_slice_recall", "worst-5 slices"),
            ("loop_holdout_recall", "loop holdout recall"),
            ("loop_holdout_precision", "loop holdout precision"),
            ("worst_class_recall", "worst class")]
    if w.get("control_slice"):
        cols.insert(4, ("control_recall", f"control {w['control_slice']}"))
    out = ["| arm | iteration | train images | " + " | ".join(t for _, t in cols) + " |",
           "|---|---:|---:|" + "---:|" * len(cols)]
    train_images: dict[tuple[str, int], list[int]] = {}
    for r in w["runs"]:
        for i in r.get("iterations", []):
            train_images.setdefault((r["arm"], i["iteration"]), []).append(i["train_images"] or 0)
    for arm, per in w["summary"].items():
        for it in range(len(per["overall"])):
            ti = train_images.get((arm, it), [0])
            out.append(f"| {arm} | {it} | {sum(ti) / len(ti):.0f} | "
                       + " | ".join(_pm(per.get(m, [None] * (it + 1))[it]) for m, _ in cols) + " |")
    return out


def _slice_columns(w: dict[str, Any], limit: int = 7) -> list[str]:
    cols: list[str] = []
    for b in w["bases"]:
        for k in [*b.get("tracked_slices", []), b.get("oracle_slice")]:
            if k and k not in cols:
                cols.append(k)
    cols = cols[:limit]
    if w.get("control_slice") and w["control_slice"] not in cols:
        cols.append(w["control_slice"])
    return cols


def slice_table(w: dict[str, Any]) -> list[str]:
    """Recall of the key slices (tracked, oracle, control) at the first and the last
    iteration, mean over seeds."""
    cols = _slice_columns(w)
    if not cols:
        return []
    out = ["| arm | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for arm, rs in _by_arm(w["runs"]).items():
        cells = []
        for c in cols:
            first = [r["iterations"][0]["metrics"].get("slices", {}).get(c) for r in rs]
            last = [r["iterations"][-1]["metrics"].get("slices", {}).get(c) for r in rs]
            first = [v for v in first if v is not None]
            last = [v for v in last if v is not None]
            cells.append(f"{sum(first) / len(first):.2f} → {_pm(spread(last))}" if first and last else "-")
        out.append(f"| {arm} | " + " | ".join(cells) + " |")
    return out


def _source(s: str) -> str:
    return "fallback" if s.startswith("fallback") else s


def added_table(w: dict[str, Any]) -> list[str]:
    """Images added over all targeted iterations, per arm, in the slices that matter."""
    cols = _slice_columns(w)
    if not cols:
        return []
    out = ["| arm | images added | " + " | ".join(cols) + " | plan sources |",
           "|---|---:|" + "---:|" * len(cols) + "---|"]
    for arm, rs in _by_arm(w["runs"]).items():
        total = sum(sum(i["images_added"] for i in r["iterations"]) for r in rs) / len(rs)
        cells = []
        for c in cols:
            v = sum(sum(i["added_per_slice"].get(c, 0) for i in r["iterations"]) for r in rs) / len(rs)
            cells.append(f"{v:.0f} ({v / total:.0%})" if total else "0")
        sources = Counter(_source(i["plan_source"]) for r in rs for i in r["iterations"][1:])
        out.append(f"| {arm} | {total:.0f} | " + " | ".join(cells) + " | "
                   + ", ".join(f"{k} ×{n}" for k, n in sources.most_common()) + " |")
    return out


def worst_slices_lines(w: dict[str, Any]) -> list[str]:
    lines = []
    for arm, rs in _by_arm(w["runs"]).items():
        names = Counter(r["iterations"][-1]["metrics"]["worst_slice"] for r in rs)
        lines.append(f"- {arm}: " + ", ".join(f"{k} ×{n}" for k, n in names.most_common()))
    return lines


def control_lines(w: dict[str, Any]) -> list[str]:
    if not w.get("control_slice"):
        return ["No control slice declared: the tracked and worst slices range over every slice."]
    lines = []
    for arm, rs in _by_arm(w["runs"]).items():
        flags = [r.get("control_flagged") for r in rs]
        notes = Counter(r.get("control_flag_note", "") for r in rs)
        lines.append(f"- {arm}: control flagged data-insensitive in {sum(f is True for f in flags)} "
                     f"of {len(rs)} seeds" + (f" ({sum(f is None for f in flags)} not measured)"
                                              if None in flags else "")
                     + " — " + "; ".join(f"{k} ×{n}" for k, n in notes.most_common() if k))
    return lines


def setup_line(w: dict[str, Any]) -> str:
    c = w["config"]
    sched = ("from scratch every iteration" if c["from_scratch"] else
             f"iteration 0 from scratch {c['base_epochs']} epochs"
             + (f" (lr0 {c['base_lr0']})" if c.get("base_lr0") else "")
             + f", then fine-tunes of its weights: {c['epochs']} epochs, lr0 {c['lr0']}, "
             f"warm-up {c['warmup_epochs']}")
    holdout = Counter()
    for b in w["bases"]:
        holdout.update(b.get("holdout") or {})
    n = max(1, sum(1 for b in w["bases"] if b.get("holdout")))
    parts = ", ".join(f"{k} {v / n:.0f}" for k, v in sorted(holdout.items()))
    model = "yolov8n-cls" if w["task"] == "classification" else "yolov8n"
    return (f"Task {w['task']}; seeds {list(c['seeds'])}; arms {', '.join(c['arms'])}. Initial set "
            f"{c['initial_images']} images, then {c['iterations']} × {c['images_per_iteration']} "
            f"images per arm. Holdout per seed (images): {parts or '-'} (loop = the loop's "
            f"weighted holdout; balanced = pairwise"
            + (", control value left out; control = the control value fixed"
               if w.get("control_slice") else ", weights ignored")
            + f"). Training: {model}, renders {c['image_size']} px, imgsz "
            f"{c['imgsz']}, batch {c['batch']}, nbs {c['nominal_batch']}, {sched}. "
            f"World wall time {w['wall_s'] / 60:.1f} min.")


def world_section(w: dict[str, Any]) -> list[str]:
    failed = [f"{r['arm']} (seed {r['seed']}): {r['error']}" for r in w["runs"] if r.get("error")]
    llm = [r["llm"] for r in w["runs"] if r["arm"] == "targeted-llm" and r.get("llm")]
    parts = [f"## World `{w['world']}` ({w['source']})", "",
             *([w["description"], ""] if w.get("description") else []), setup_line(w), "",
             "### Done-when checks (targeted arm vs uniform)", "", *checks_table(w), "",
             "### Gains, targeted vs uniform (paired by seed)", "", *comparison_table(w), "",
             f"### Metrics per arm and iteration (mean ± std over seeds; {overall_name(w)} on "
             "the whole holdout)", "", *metrics_table(w), "",
             "### Key slices: iteration 0 → last iteration (tracked, oracle, control)", "",
             *slice_table(w), "",
             "### Images added per slice (all targeted iterations, mean over seeds)", "",
             *added_table(w), "",
             "### Worst slice at the last iteration (control excluded)", "",
             *worst_slices_lines(w), "",
             "### Control slice", "", *control_lines(w), ""]
    if llm:
        parts += ["### LLM planner", "",
                  f"{sum(x['calls'] for x in llm)} calls ({sum(x['errors'] for x in llm)} failed "
                  f"attempts), {sum(x['completion_tokens'] for x in llm)} completion tokens, "
                  f"{sum(x['latency_s'] for x in llm):.0f} s in all.", ""]
    if failed:
        parts += ["### Failed runs", "", *[f"- {f}" for f in failed], ""]
    return parts


def render_markdown(result: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    m = result["machine"]
    wall_min = result["wall_s"] / 60
    limit = THRESHOLDS["wall_minutes"]
    time_check = ("" if result.get("quick") else
                  f" Done-when: the full run within {limit:.0f} min on 2 cores — "
                  f"{'pass' if wall_min <= limit else '**FAIL**'}"
                  + ("" if m.get("cpus") == 2 else f" (measured on {m.get('cpus')} CPUs)") + ".")
    parts = [
        "# Loop efficacy" + (" (quick smoke run: the numbers mean nothing)" if result.get("quick") else ""),
        "",
        f"Measured {result.get('measured_at', '?')}; worlds "
        f"{', '.join(w['world'] for w in result['worlds'])}. Wall time {wall_min:.1f} min on "
        f"{m['cpus']} CPU(s), 1-min load {m['load_1m_start']} → {m['load_1m_end']}.{time_check}",
        "",
        "## Verdict", "", *verdict_table(result), "",
        f"Ratio = mean gain(targeted) / max(mean gain(uniform), {MIN_GAIN}), gain = last iteration "
        f"− iteration 0 (shared by every arm of a seed); * marks a ratio where uniform gained less "
        f"than {MIN_GAIN} (nothing, or it lost) and its gain was floored at {MIN_GAIN}, so 2.0 "
        f"asks the targeted arm for a gain of at least {2 * MIN_GAIN:.2f}. "
        f"Intervals: paired percentile bootstrap ({N_BOOT:,} draws over seeds) of the mean "
        f"difference targeted − uniform. Done-when per arm and world: ≥ "
        f"{THRESHOLDS['min_seeds']:.0f} seeds; tracked ratio ≥ {THRESHOLDS['tracked_ratio']} and "
        f"worst-slice ratio ≥ {THRESHOLDS['worst_ratio']}, both with the interval above 0; final "
        f"overall no more than {THRESHOLDS['overall_drop']} below uniform's; the control flagged "
        "data-insensitive in every seed.",
        "",
        f"Slices: axis=value pooled over classes, ≥ {MIN_SUPPORT} holdout objects (classification: "
        "images); the control slice is measured on its own images and every other slice on the "
        "images without the control value. Tracked = the 3 slices weakest at iteration 0 of each "
        "seed, control excluded. The loop holdout's recall and precision are at the report's "
        "confidence threshold; its mAP50 is not computed (the report keeps only predictions above "
        "that threshold).",
        "",
    ]
    for w in result["worlds"]:
        parts += world_section(w)
    return "\n".join(parts)


def plot_metric(w: dict[str, Any], metric: str, path: Path) -> Path:
    """Mean over seeds per iteration, one line per arm, a band of ± one std."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    title = METRIC_TITLES.get(metric, metric)
    if metric == "overall":
        title = f"{overall_name(w)}, whole holdout"
    elif metric == "control_recall" and w.get("control_slice"):
        title = f"recall of the control {w['control_slice']}"
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for arm, per in w["summary"].items():
        pts = per.get(metric) or []
        xs = [i for i, s in enumerate(pts) if s["mean"] is not None]
        ys = [pts[i]["mean"] for i in xs]
        sd = [pts[i]["std"] or 0.0 for i in xs]
        ax.plot(xs, ys, marker="o", label=arm)
        ax.fill_between(xs, [y - s for y, s in zip(ys, sd, strict=True)],
                        [y + s for y, s in zip(ys, sd, strict=True)], alpha=0.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("iteration (0 = initial set, shared)")
    ax.set_ylabel(title)
    ax.set_title(f"{w['world']}: {title} (mean ± std over seeds)", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_results(result: dict[str, Any], out: Path, stem: str) -> dict[str, Any]:
    """Write `<stem>.md`, `<stem>.json` and `<stem>_<world>_<metric>.png` under `out`."""
    md, js = write_table_and_json(result, render_markdown(result), out, stem)
    plots = [plot_metric(w, m, out / f"{stem}_{w['world']}_{m}.png")
             for w in result["worlds"] for m in PLOTTED
             if m != "control_recall" or w.get("control_slice")]
    return {"markdown": md, "json": js, "plots": plots}


def print_summary(result: dict[str, Any], paths: dict[str, Any]) -> None:
    """The verdict table on the terminal, and where the files are."""
    from rich.console import Console
    from rich.markdown import Markdown

    con = Console()
    con.print(Markdown("\n".join(["## Loop efficacy: verdict", *verdict_table(result)])))
    con.print(f"report: {paths['markdown']}\njson: {paths['json']}\nplots: "
              + ", ".join(str(p) for p in paths["plots"]))


def main(argv: list[str] | None = None) -> int:
    """Re-render the Markdown and the plots of a saved result JSON (after a code change)."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("json", type=Path)
    args = ap.parse_args(argv)
    result = json.loads(args.json.read_text(encoding="utf-8"))
    if "worlds" not in result:
        raise SystemExit(f"{args.json} is a result of the earlier single-world benchmark; "
                         "it cannot be re-rendered by this version")
    paths = write_results(result, args.json.parent, args.json.stem)
    print(f"wrote {paths['markdown']} and {len(paths['plots'])} plots")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
