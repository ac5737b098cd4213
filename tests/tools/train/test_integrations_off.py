"""Ultralytics' integrations (raytune, mlflow, wandb, ...) are off in the folders synthloop
owns: with the ray extra installed, raytune would import ray.tune for every training."""

from __future__ import annotations

import subprocess
import sys


def test_integrations_are_switched_off_in_our_settings_folder(tmp_path):
    from synthloop.tools.train.yolo import INTEGRATIONS, import_yolo

    import_yolo(tmp_path)
    from ultralytics.utils import SETTINGS

    assert [k for k in INTEGRATIONS if SETTINGS.get(k)] == []


def test_a_users_own_settings_folder_is_left_alone(tmp_path):
    code = ("import os, json; from pathlib import Path; "
            "from synthloop.tools.train.yolo import import_yolo; import_yolo(Path('ws')); "
            "from ultralytics.utils import SETTINGS; print(json.dumps(SETTINGS.get('raytune')))")
    env = {"YOLO_CONFIG_DIR": str(tmp_path / "mine"), "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, text=True,
                         capture_output=True, timeout=120, check=True).stdout
    assert out.strip().splitlines()[-1] == "true"
