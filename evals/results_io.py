"""Writing a suite's result: its Markdown table and its JSON, side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_table_and_json(result: dict[str, Any], markdown: str, out: Path,
                         stem: str) -> tuple[Path, Path]:
    """`<stem>.md` and `<stem>.json` under `out` (created); returns both paths."""
    out.mkdir(parents=True, exist_ok=True)
    md, js = out / f"{stem}.md", out / f"{stem}.json"
    md.write_text(markdown + "\n", encoding="utf-8")
    js.write_text(json.dumps(result, indent=1, default=str) + "\n", encoding="utf-8")
    return md, js
