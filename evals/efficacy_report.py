"""The loop-efficacy benchmark's outputs: a Markdown report, the JSON, one plot per metric."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from .efficacy_metrics import METRIC_TITLES, MIN_GAIN, MIN_SUPPORT, spread
from .results_io import write_table_and_json

PLOTTED = ("overall", "worst_class_recall", "worst_slice_recall", "worst5_slice_recall",
           "tracked_slice_recall")


def _pm(s: dict[str, Any] | None) -> str:
    if not s or s.get("mean") is None:
        return "-"
    return f"{s['mean']:.3f}" + (f" ± {s['std']:.3f}" if s.get("std") is not None else "")


def _signed(s: dict[str, Any] | None) -> str:
    if not s or s.get("mean") is None:
        return "-"
    return f"{s['mean']:+.3f}" + (f" ± {s['std']:.3f}" if s.get("std") is not None else "")


def headline_lines(result: dict[str, Any]) -> list[str]:
    """One sentence per targeted arm: gains, the ratio (or why there is none), wins."""
    lines = []
    for arm, h in result["headline"].items():
        if "gain_targeted" not in h:
            lines.append(f"- **{arm}**: {h['note']}")
            continue
        ratio = f"ratio **{h['ratio']:.2f}**" if h["ratio"] is not None else "ratio **undefined**"
        lines.append(
            f"- **{arm}**: worst-slice gain {h['gain_targeted']:+.3f} against uniform's "
            f"{h['gain_baseline']:+.3f} (means over {len(h['seeds'])} seed(s)) → {ratio}; paired "
            f"difference {_signed(h['difference'])}, ahead of uniform in {h['targeted_wins']} of "
            f"{len(h['seeds'])} seed(s)." + (f" {h['note']}." if h["note"] else ""))
    return lines


def _slice_columns(result: dict[str, Any], limit: int = 6) -> list[str]:
    cols: list[str] = []
    for b in result["bases"]:
        for k in [b.get("oracle_slice"), *b.get("tracked_slices", [])]:
            if k and k not in cols:
                cols.append(k)
    return cols[:limit]


def added_table(result: dict[str, Any]) -> list[str]:
    """Images added over all targeted iterations, per arm, in the slices that matter."""
    cols = _slice_columns(result)
    if not cols:
        return []
    out = ["| arm | images added | " + " | ".join(cols) + " | plan sources |",
           "|---|---:|" + "---:|" * len(cols) + "---|"]
    by_arm: dict[str, list[dict[str, Any]]] = {}
    for r in result["runs"]:
        if not r.get("error"):
            by_arm.setdefault(r["arm"], []).append(r)
    for arm, rs in by_arm.items():
        total = sum(sum(i["images_added"] for i in r["iterations"]) for r in rs) / len(rs)
        cells = []
        for c in cols:
            v = sum(sum(i["added_per_slice"].get(c, 0) for i in r["iterations"]) for r in rs) / len(rs)
            cells.append(f"{v:.0f} ({v / total:.0%})" if total else "0")
        sources = Counter(_source(i["plan_source"]) for r in rs for i in r["iterations"][1:])
        out.append(f"| {arm} | {total:.0f} | " + " | ".join(cells) + " | "
                   + ", ".join(f"{k} ×{n}" for k, n in sources.most_common()) + " |")
    return out


def slice_table(result: dict[str, Any]) -> list[str]:
    """Recall of the slices that matter (the oracle's, the worst at iteration 0) at the
    first and the last iteration: the worst-slice minimum can move to another slice."""
    cols = _slice_columns(result)
    if not cols:
        return []
    out = ["| arm | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    by_arm: dict[str, list[dict[str, Any]]] = {}
    for r in result["runs"]:
        if not r.get("error") and r.get("iterations"):
            by_arm.setdefault(r["arm"], []).append(r)
    for arm, rs in by_arm.items():
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


def metrics_table(result: dict[str, Any]) -> list[str]:
    out = ["| arm | iteration | train images | overall mAP50 | worst-class recall | "
           "worst-slice recall | worst-5 slices | slices worst at it. 0 |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    train_images: dict[tuple[str, int], list[int]] = {}
    for r in result["runs"]:
        for i in r.get("iterations", []):
            train_images.setdefault((r["arm"], i["iteration"]), []).append(i["train_images"] or 0)
    for arm, per in result["summary"].items():
        for it in range(len(per["overall"])):
            ti = train_images.get((arm, it), [0])
            out.append(f"| {arm} | {it} | {sum(ti) / len(ti):.0f} | " + " | ".join(
                _pm(per[m][it]) for m in ("overall", "worst_class_recall", "worst_slice_recall",
                                          "worst5_slice_recall", "tracked_slice_recall")) + " |")
    return out


def worst_slices_line(result: dict[str, Any]) -> list[str]:
    lines = []
    for arm in result["summary"]:
        names = Counter(r["iterations"][-1]["metrics"]["worst_slice"] for r in result["runs"]
                        if r["arm"] == arm and not r.get("error") and r["iterations"])
        lines.append(f"- {arm}: " + ", ".join(f"{k} ×{n}" for k, n in names.most_common()))
    return lines


def render_markdown(result: dict[str, Any]) -> str:
    """The whole report as Markdown."""
    c = result["config"]
    policy = c["policy_file"] or c["example"]
    sched = ("from scratch every iteration" if c["from_scratch"] else
             f"iteration 0 from scratch {c['base_epochs']} epochs, then fine-tune its weights "
             f"{c['epochs']} epochs per iteration")
    m = result["machine"]
    failed = [f"{r['arm']} (seed {r['seed']}): {r['error']}" for r in result["runs"] if r.get("error")]
    llm = [r["llm"] for r in result["runs"] if r["arm"] == "targeted-llm" and r.get("llm")]
    parts = [
        f"# Loop efficacy: {policy}", "",
        f"Measured {result.get('measured_at', '?')}; seeds {list(c['seeds'])}; "
        f"arms {', '.join(c['arms'])}. Initial set {c['initial_images']} images, then "
        f"{c['iterations']} × {c['images_per_iteration']} images per arm; holdout: the loop's "
        f"{c['holdout_images']} + {c['balanced_holdout']} balanced (pairwise), identical for every "
        f"arm of a seed. Training: yolov8n, imgsz {c['imgsz']}, batch {c['batch']}, {sched}; "
        f"renders {c['image_size']} px.",
        f"Wall time {result['wall_s'] / 60:.1f} min on {m['cpus']} CPU(s), 1-min load "
        f"{m['load_1m_start']} → {m['load_1m_end']} (a shared machine: timings are noisy).", "",
        "## Headline: worst-slice gain, targeted vs uniform at equal budget", "",
        *headline_lines(result), "",
        f"Gain = final iteration − iteration 0 (shared by all arms of a seed). The ratio is left "
        f"undefined when uniform's mean gain is below {MIN_GAIN}.", "",
        "## Metrics per arm and iteration (mean ± std over seeds)", "", *metrics_table(result), "",
        f"Worst-slice recall: the lowest recall among axis=value slices pooled over classes with "
        f"≥ {MIN_SUPPORT} holdout objects (the same slice set for every arm); worst-5: the mean of "
        "the five lowest; last column: mean recall of the 3 slices worst at iteration 0 (per seed). "
        "The loop's own per-class headline is in the JSON (`product_*`).", "",
        "## Recall of the key slices: iteration 0 → last iteration (mean ± std over seeds)", "",
        *slice_table(result), "",
        "## Images added per slice (all targeted iterations, mean over seeds)", "",
        *added_table(result), "",
        "## Worst slice at the last iteration", "", *worst_slices_line(result), "",
    ]
    if llm:
        parts += ["## LLM planner", "",
                  f"{sum(x['calls'] for x in llm)} calls ({sum(x['errors'] for x in llm)} failed "
                  f"attempts), {sum(x['completion_tokens'] for x in llm)} completion tokens, "
                  f"{sum(x['latency_s'] for x in llm):.0f} s in all.", ""]
    if failed:
        parts += ["## Failed runs", "", *[f"- {f}" for f in failed], ""]
    return "\n".join(parts)


def plot_metric(result: dict[str, Any], metric: str, path: Path) -> Path:
    """Mean over seeds per iteration, one line per arm, a band of ± one std."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for arm, per in result["summary"].items():
        pts = per.get(metric) or []
        xs = [i for i, s in enumerate(pts) if s["mean"] is not None]
        ys = [pts[i]["mean"] for i in xs]
        sd = [pts[i]["std"] or 0.0 for i in xs]
        ax.plot(xs, ys, marker="o", label=arm)
        ax.fill_between(xs, [y - s for y, s in zip(ys, sd, strict=True)],
                        [y + s for y, s in zip(ys, sd, strict=True)], alpha=0.15)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("iteration (0 = initial set, shared)")
    ax.set_ylabel(METRIC_TITLES.get(metric, metric))
    ax.set_title(f"{METRIC_TITLES.get(metric, metric)} (mean ± std over seeds)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_results(result: dict[str, Any], out: Path, stem: str) -> dict[str, Any]:
    """Write `<stem>.md`, `<stem>.json` and `<stem>_<metric>.png` under `out`."""
    md, js = write_table_and_json(result, render_markdown(result), out, stem)
    plots = [plot_metric(result, m, out / f"{stem}_{m}.png") for m in PLOTTED]
    return {"markdown": md, "json": js, "plots": plots}


def print_summary(result: dict[str, Any], paths: dict[str, Any]) -> None:
    """The headline and the main table on the terminal, and where the files are."""
    from rich.console import Console
    from rich.markdown import Markdown

    con = Console()
    con.print(Markdown("\n".join(["## Headline", *headline_lines(result), "",
                                  *metrics_table(result)])))
    con.print(f"report: {paths['markdown']}\njson: {paths['json']}\nplots: "
              + ", ".join(str(p) for p in paths["plots"]))


def main(argv: list[str] | None = None) -> int:
    """Re-render the Markdown and the plots of a saved result JSON (after a code change)."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("json", type=Path)
    args = ap.parse_args(argv)
    result = json.loads(args.json.read_text(encoding="utf-8"))
    paths = write_results(result, args.json.parent, args.json.stem)
    print(f"wrote {paths['markdown']} and {len(paths['plots'])} plots")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
