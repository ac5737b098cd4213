"""How a training that fails is recorded (no real training: the model is a stand-in that
fails the way Ultralytics would)."""

from __future__ import annotations

import pytest
import torch

from synthloop.tools.config import TrainingConfig
from synthloop.tools.errors import ExternalError, ValidationError
from synthloop.tools.evaluate import evaluate_model
from synthloop.tools.train import train
from tests.support.tiny_data import make_tiny_dataset


class FailingModel:
    def __init__(self, exc: BaseException):
        self.exc = exc
        self.callbacks = {}

    def add_callback(self, name, fn):
        self.callbacks[name] = fn

    def train(self, **kwargs):
        self.kwargs = kwargs
        raise self.exc


@pytest.fixture
def tiny(ws):
    return make_tiny_dataset(ws, n_train=6, n_val=2, n_test=2)


def _fail_with(monkeypatch, exc):
    model = FailingModel(exc)
    monkeypatch.setattr(train, "load_model", lambda *a, **k: model)
    return model


def test_cuda_out_of_memory_fails_the_run_and_suggests_a_smaller_batch(ws, tiny, monkeypatch):
    _fail_with(monkeypatch, torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 1 GiB"))
    cfg = TrainingConfig(epochs=1, batch=32, device="cpu")
    with pytest.raises(ExternalError, match="out of memory") as e:
        train.train_model(ws, tiny, cfg, progress=False)
    assert "--batch 16" in e.value.hint
    run = ws.list_train_runs()[0]
    assert run.status == "failed" and "out of memory" in run.error
    with pytest.raises(ValidationError, match="failed, not finished"):
        evaluate_model(ws, run)


def test_unexpected_error_fails_the_run_with_its_message(ws, tiny, monkeypatch):
    _fail_with(monkeypatch, RuntimeError("dataloader exploded"))
    with pytest.raises(ExternalError, match="dataloader exploded"):
        train.train_model(ws, tiny, TrainingConfig(epochs=1, device="cpu"), progress=False)
    run = ws.list_train_runs()[0]
    assert run.status == "failed" and "dataloader exploded" in run.error


def test_ctrl_c_marks_the_run_interrupted(ws, tiny, monkeypatch):
    _fail_with(monkeypatch, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        train.train_model(ws, tiny, TrainingConfig(epochs=1, device="cpu"), progress=False)
    assert ws.list_train_runs()[0].status == "interrupted"


def test_training_arguments_are_the_documented_defaults(ws, tiny, monkeypatch):
    import ultralytics.utils.torch_utils as ultralytics_torch

    model = _fail_with(monkeypatch, KeyboardInterrupt())
    cfg = TrainingConfig(epochs=3, imgsz=96, batch=4, lr0=0.003, device="cpu", patience=7, threads=1)
    monkeypatch.setattr(ultralytics_torch, "NUM_THREADS", ultralytics_torch.NUM_THREADS)
    monkeypatch.setattr(torch, "set_num_threads", lambda n: seen.append(n))
    seen: list[int] = []
    with pytest.raises(KeyboardInterrupt):
        train.train_model(ws, tiny, cfg, progress=False, class_weights=0.5)
    assert seen == [1] and ultralytics_torch.NUM_THREADS == 1  # the configured thread count
    a = model.kwargs
    assert (a["optimizer"], a["cos_lr"], a["lr0"], a["epochs"], a["imgsz"], a["batch"]) == \
        ("AdamW", True, 0.003, 3, 96, 4)
    assert a["amp"] is False and a["plots"] is False and a["device"] == "cpu"
    assert a["patience"] == 7 and a["cls_pw"] == 0.5
    assert a["project"] == str(ws.root / "runs") and a["exist_ok"] is True
    assert a["data"].endswith("data.yaml")
    assert {"on_fit_epoch_end", "on_train_epoch_start"} <= set(model.callbacks)


def test_a_full_disk_fails_the_run_as_the_users_disk(ws, tiny, monkeypatch):
    """Issue 14, item 7: a full disk is the user's environment (exit 2, what to do), and
    the run is recorded as failed."""
    import errno

    from synthloop.tools.errors import StorageError

    _fail_with(monkeypatch, OSError(errno.ENOSPC, "No space left on device", "last.pt"))
    with pytest.raises(StorageError, match="no space left") as e:
        train.train_model(ws, tiny, TrainingConfig(epochs=1, device="cpu"), progress=False)
    assert e.value.exit_code == 2 and "free some disk space" in e.value.hint
    run = ws.list_train_runs()[0]
    assert run.status == "failed" and "no space left" in run.error


def test_a_run_that_could_not_record_its_end_is_not_running_forever(ws, tiny, monkeypatch):
    import errno
    import sqlite3

    from synthloop.tools.errors import StorageError
    from synthloop.tools.store import Workspace

    _fail_with(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    real_save = type(ws).save_train_run

    def save(self, run):  # the database is on the full disk too: only "running" got in
        if run.status != "running":
            raise sqlite3.OperationalError("database or disk is full")
        return real_save(self, run)

    monkeypatch.setattr(type(ws), "save_train_run", save)
    with pytest.raises(StorageError):
        train.train_model(ws, tiny, TrainingConfig(epochs=1, device="cpu"), progress=False)
    assert ws.list_train_runs()[0].status == "running"
    monkeypatch.setattr(type(ws), "save_train_run", real_save)
    ws.close()  # the process ends; the next writer finds the run orphaned
    with Workspace.open(ws.root, write=True) as again:
        (run,) = again.list_train_runs()
        assert run.status == "interrupted" and "--resume" in run.error


def test_train_on_a_full_disk_exits_2_in_one_line(ws, tiny, monkeypatch, capsys):
    import errno

    from synthloop.agent.cli import run

    _fail_with(monkeypatch, OSError(errno.ENOSPC, "No space left on device", "last.pt"))
    root = str(ws.root)
    ws.close()
    assert run(["-w", root, "train", "--epochs", "1", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "no space left" in err and "internal error" not in err
    assert [ln for ln in err.splitlines() if "error" in ln.lower()] == \
        ["error: cannot write last.pt: no space left on the device (hint: free some disk "
         "space, or write elsewhere)"]
