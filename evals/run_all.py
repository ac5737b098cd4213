"""Every evaluation suite, one after the other (`make eval`).

    .venv/bin/python -m synthloop.evals.run_all            # loop efficacy, then policy quality
    .venv/bin/python -m synthloop.evals.run_all --quick    # both smoke runs (a few minutes on 2 cores)
    .venv/bin/python -m synthloop.evals.run_all --only policy

Results go to evals/results/ (Markdown, JSON, plots); see evals/README.md. The two suites
run in sequence because on a small CPU the embedded LLM and training slow each other down.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import loop_efficacy, policy_quality
from .goals import QUICK_GOALS


def main(argv: list[str] | None = None) -> int:
    from .efficacy_report import print_summary

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smoke runs of both suites")
    ap.add_argument("--only", choices=["efficacy", "policy"], help="run one suite")
    ap.add_argument("--world", action="append",
                    help="efficacy world (built-in name or world file; repeat; default: all built-in)")
    ap.add_argument("--out", type=Path, default=loop_efficacy.RESULTS, help="results folder")
    args = ap.parse_args(argv)
    suffix = "_quick" if args.quick else ""
    code = 0
    t0 = time.perf_counter()
    if args.only in (None, "efficacy"):
        result = loop_efficacy.run_benchmark(loop_efficacy.preset(args.quick, worlds=args.world))
        from .efficacy_report import write_results

        paths = write_results(result, args.out, f"efficacy{suffix}")
        print_summary(result, paths)
        code |= any(r.get("error") for r in result["runs"])
    if args.only in (None, "policy"):
        result = policy_quality.run_suite(list(QUICK_GOALS) if args.quick else None)
        paths = policy_quality.write_results(result, args.out, f"policy_quality{suffix}")
        print(policy_quality.render_markdown(result))
        print(f"report: {paths['markdown']}")
    print(f"evals finished in {(time.perf_counter() - t0) / 60:.1f} min")
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
