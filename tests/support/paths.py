"""Where things are: the repository root and this support folder (so a test's own depth
under tests/ never decides what it reads)."""

from __future__ import annotations

from pathlib import Path

SUPPORT = Path(__file__).resolve().parent
ROOT = SUPPORT.parents[1]
PROMPTS = SUPPORT / "prompts"  # the test-only prompt templates (_test_decide, _test_chat)
LANGGRAPH_DEV_SERVER = SUPPORT / "langgraph_dev_server.py"
