"""Fast checks around training: devices, model sources, class weights (no training)."""

from __future__ import annotations

import pytest

from synthloop.tools.config import TrainingConfig
from synthloop.tools.errors import ConfigError, ExternalError, NotFound, ValidationError
from synthloop.tools.train import device as device_mod
from synthloop.tools.train import load_model, resolve_device, resolve_model_source, train_model
from synthloop.tools.train.device import is_out_of_memory, out_of_memory_error
from tests.support.tiny_data import make_tiny_dataset


def test_auto_device_is_cpu_without_cuda(monkeypatch):
    monkeypatch.setattr(device_mod, "cuda_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    assert resolve_device("CPU") == "cpu"


@pytest.mark.parametrize("asked", ["cuda", "gpu", "cuda:1", "0", "0,1"])
def test_cuda_without_a_gpu_is_a_clear_error(monkeypatch, asked):
    monkeypatch.setattr(device_mod, "cuda_available", lambda: False)
    with pytest.raises(ExternalError, match="no CUDA GPU") as e:
        resolve_device(asked)
    assert "--device cpu" in e.value.hint


def test_cuda_with_a_gpu_maps_to_indices(monkeypatch):
    monkeypatch.setattr(device_mod, "cuda_available", lambda: True)
    assert [resolve_device(d) for d in ("auto", "cuda", "cuda:1", "0,1")] == ["0", "0", "1", "0,1"]


def test_unknown_device_is_a_config_error():
    with pytest.raises(ConfigError, match="tpu"):
        resolve_device("tpu")


def test_out_of_memory_is_recognised_and_suggests_a_smaller_batch():
    try:
        try:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        except RuntimeError as inner:
            raise ValueError("wrapped") from inner
    except ValueError as e:
        assert is_out_of_memory(e)
    assert not is_out_of_memory(RuntimeError("shape mismatch"))
    err = out_of_memory_error(16, 320, "0")
    assert "--batch 8" in err.hint


def test_model_sources(tmp_path):
    assert resolve_model_source(tmp_path, "yolov8n.yaml", "detection").ref == "yolov8n.yaml"
    cls = resolve_model_source(tmp_path, "yolov8n.yaml", "classification")
    assert cls.name == "yolov8n-cls.yaml"
    with pytest.raises(NotFound, match="never downloads|not found") as e:
        resolve_model_source(tmp_path, "yolov8n.pt", "detection")
    assert "never downloads" in e.value.hint
    with pytest.raises(ValidationError):
        resolve_model_source(tmp_path, "https://example.com/yolo.pt", "detection")
    with pytest.raises(ValidationError, match=r"\.yaml or \.pt"):
        resolve_model_source(tmp_path, "model.onnx", "detection")
    local = tmp_path / "mine.pt"
    local.write_bytes(b"x")
    src = resolve_model_source(tmp_path, "mine.pt", "detection")
    assert src.kind == "pt" and src.sha256 and src.ref == str(local)


def test_corrupt_weights_are_a_clear_error(tmp_path, no_network):
    bad = tmp_path / "corrupt.pt"
    bad.write_bytes(b"not a torch checkpoint at all")
    with pytest.raises(ValidationError, match="cannot load model") as e:
        load_model(tmp_path, resolve_model_source(tmp_path, str(bad), "detection"), "detection")
    assert "corrupt" in e.value.hint
    assert no_network == []


def test_unknown_model_yaml_is_a_clear_error(tmp_path, no_network):
    with pytest.raises(NotFound, match="yolov99z"):
        load_model(tmp_path, resolve_model_source(tmp_path, "yolov99z.yaml", "detection"), "detection")


def test_class_weights_are_refused_for_classification(ws):
    ds = make_tiny_dataset(ws, n_train=4, n_val=2, n_test=2, task="classification")
    with pytest.raises(ValidationError, match="only supported for detection"):
        train_model(ws, ds, TrainingConfig(epochs=1), class_weights=0.5, progress=False)


@pytest.mark.parametrize("weights,match", [(1.5, r"\[0, 1\]"), ({"zebra": 2.0}, "zebra"),
                                           ({"red_box": 0.0}, "> 0")])
def test_bad_class_weights(ws, weights, match):
    ds = make_tiny_dataset(ws, n_train=4, n_val=2, n_test=2)
    with pytest.raises(ValidationError, match=match):
        train_model(ws, ds, TrainingConfig(epochs=1), class_weights=weights, progress=False)


def test_dataset_without_training_images_is_refused(ws):
    ds = make_tiny_dataset(ws, n_train=0, n_val=2, n_test=2)
    with pytest.raises(ValidationError, match="no training images"):
        train_model(ws, ds, TrainingConfig(epochs=1), progress=False)


def test_ultralytics_settings_and_font_live_in_the_workspace(tmp_path):
    import os
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; import tools; from tools.store import Workspace\n"
        "from tools.train.yolo import ultralytics_to_log\n"
        "ws = Workspace.init(Path(sys.argv[1]))\n"
        "with ultralytics_to_log(ws.log_path, ws_root=ws.root):\n"
        "    import ultralytics.utils as uu\n"
        "    print(uu.USER_CONFIG_DIR)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "YOLO_CONFIG_DIR"}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ws")], env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    folder = out.stdout.strip().splitlines()[-1]
    assert folder == str((tmp_path / "ws").resolve() / ".ultralytics" / "Ultralytics")
    assert (tmp_path / "ws" / ".ultralytics" / "Ultralytics" / "Arial.ttf").is_file()
