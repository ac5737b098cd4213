"""Ultralytics' first-import notices ("Creating new Ultralytics Settings ...") never reach
the user's terminal: training selects its CPU threads, which imports Ultralytics, quietly."""

from __future__ import annotations

import os
import subprocess
import sys


def test_first_ultralytics_import_prints_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("YOLO_")}
    env["YOLO_CONFIG_DIR"] = str(tmp_path / "fresh")  # no settings file yet: the notice case
    code = ("from synthloop.tools.train.device import use_cpu_threads; "
            "print('threads', use_cpu_threads(1))")
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.strip() == "threads 1"
    assert (tmp_path / "fresh").exists()  # the settings file was created, silently
