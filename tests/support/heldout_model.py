"""A trained detection run without training: a stored dataset version and run record, and
a stand-in model whose predictions are the labels (minus the objects a test drops)."""

from __future__ import annotations

from synthloop.tools.design import load_example_policy
from synthloop.tools.evaluate.matching import Prediction
from synthloop.tools.models import DatasetVersion, TrainRun

from .factories import store_sample

ANNS = [("person", (4.0, 4.0, 30.0, 40.0)), ("hard_hat", (10.0, 2.0, 22.0, 10.0))]


def _lower(box, dy: float = 20.0):
    return (box[0], box[1] + dy, box[2], box[3] + dy)


def fake_model(monkeypatch, drop: set[str]):
    """Predictions equal to each sample's labels (confident), except for samples in `drop`,
    whose hard hat the model finds 20 px lower than its label (the label's box is off its
    object: evidence the strict rule acts on)."""
    import synthloop.tools.evaluate.predict as predict
    import synthloop.tools.train as train

    seen: list[str] = []

    def predict_samples(model, root, samples, **kw):
        out = {}
        for s in samples:
            seen.append(s.id)
            out[s.id] = [Prediction(a.cls, 0.95, _lower(a.box) if s.id in drop
                                    and a.cls == "hard_hat" else a.box) for a in s.annotations]
        return out, 100.0

    monkeypatch.setattr(predict, "predict_samples", predict_samples)
    monkeypatch.setattr(train, "load_model", lambda root, weights, task: object())
    return seen


def trained_workspace(ws):
    """(policy, 10 samples the run trained on, 30 new ones, the run)."""
    policy = ws.save_policy(load_example_policy("ppe"))
    old = [store_sample(ws, i, anns=ANNS) for i in range(10)]
    new = [store_sample(ws, 100 + i, anns=ANNS) for i in range(30)]
    ds = ws.save_dataset(DatasetVersion(policy_version=policy.version, task="detection",
                                        class_names=policy.class_names(),
                                        splits={"train": [s.id for s in old[:8]],
                                                "val": [s.id for s in old[8:]]}))
    run = ws.save_train_run(TrainRun(dataset_id=ds.id, config={"imgsz": 64, "device": "cpu"},
                                     status="finished", weights="runs/x/best.pt"))
    return policy, old, new, run
