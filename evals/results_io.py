"""Writing a suite's result: its Markdown table and its JSON, side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def default_results_folder() -> Path:
    """`evals/results` in a source checkout (where the measured results are kept under
    version control); `./synthloop-eval-results` when running from an installed wheel, so a
    benchmark never writes into site-packages."""
    here = Path(__file__).resolve().parent
    if (here / "results").is_dir() and (here.parent / "pyproject.toml").is_file():
        return here / "results"
    return Path.cwd() / "synthloop-eval-results"


def write_table_and_json(result: dict[str, Any], markdown: str, out: Path,
                         stem: str) -> tuple[Path, Path]:
    """`<stem>.md` and `<stem>.json` under `out` (created); returns both paths."""
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / f"{stem}.md", out / f"{stem}.json"
    md.write_text(markdown + "\n", encoding="utf-8")
    js.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    return md, js
