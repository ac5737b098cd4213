"""The iteration's model as a verifier: it judges the images it was not trained on.

In the loop, iteration k's model has just been trained when iteration k+1's targeted images
are generated; it never saw them, so its predictions on them are out-of-sample like a
fold model's, at the cost of one prediction pass instead of K trainings. The judgement is
the model-disagreement one (`judge_predictions`: cleanlab and the unmatched-label
rule). Samples of the model's own dataset version are never judged by it
("unverified", with the reason), so no sample is judged by a model that learnt its labels.

    v = HeldOutModelVerifier.from_run(ws, ws.get_train_run(run_id))
    verify_samples(ws, policy, new_samples, [v])
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import ValidationError
from ..evaluate.matching import Prediction
from ..models import Policy, Sample, SampleVerdict, TrainRun
from .disagreement import DisagreementConfig, judge_predictions

if TYPE_CHECKING:
    from ..store import Workspace


class HeldOutModelVerifier:
    """Batch verifier over a trained run's weights; `trained_on` are the ids it must not judge."""

    name = "held_out_model"

    def __init__(self, weights: str, *, task: str, trained_on: set[str], imgsz: int,
                 device: str = "cpu", batch: int = 16, rename: dict[str, str] | None = None,
                 config: DisagreementConfig | None = None, run_id: str | None = None):
        self.weights = weights
        self.task = task
        self.trained_on = set(trained_on)
        self.imgsz = imgsz
        self.device = device
        self.batch = batch
        self.rename = rename
        self.config = config or DisagreementConfig()
        self.run_id = run_id
        self.seconds: dict[str, float] = {}
        self.by_cleanlab: set[str] = set()
        self.by_rule: set[str] = set()

    @classmethod
    def from_run(cls, ws: Workspace, run: TrainRun, *, config: DisagreementConfig | None = None,
                 device: str | None = None) -> HeldOutModelVerifier:
        """The verifier for a finished training run: its best weights, its image size, and
        every sample of its dataset version (train, val and test) as `trained_on`."""
        from ..evaluate.evaluate import _export_names

        if run.status != "finished" or not run.weights:
            raise ValidationError(f"training run {run.id} has no finished weights ({run.status})",
                                  "train a model first, or verify with --folds K")
        ds = ws.get_dataset(run.dataset_id)
        seen = {i for ids in ds.splits.values() for i in ids}
        return cls(run.weights, task=run.task, trained_on=seen,
                   imgsz=int(run.config.get("imgsz", 320)),
                   device=device or str(run.config.get("device", "cpu")),
                   batch=int(run.config.get("batch", 16)), rename=_export_names(ds),
                   config=config, run_id=run.id)

    def predict(self, ws: Workspace, samples: Sequence[Sample], *, conf: float | None = None,
                seen: bool = False, progress: bool = False) -> dict[str, list[Prediction]]:
        """The model's predictions (conf >= `conf`, by default config.conf) on `samples`,
        keyed by sample id; samples it was trained on are left out unless `seen` (its
        mistakes on its own training images: the crop verifier's hard negatives)."""
        from ..evaluate.predict import predict_samples
        from ..train import load_model, resolve_device
        from ..train.yolo import ultralytics_to_log

        fresh = [s for s in samples if seen or s.id not in self.trained_on]
        if not fresh:
            return {}
        t0 = time.perf_counter()
        with ultralytics_to_log(ws.log_path, ws_root=ws.root):
            model = load_model(ws.root, str(ws.root / self.weights), self.task)
            preds, _ = predict_samples(model, ws.root, fresh,
                                       conf=self.config.conf if conf is None else conf,
                                       imgsz=self.imgsz, device=resolve_device(self.device),
                                       batch=self.batch, progress=progress, rename=self.rename)
        self.seconds["predict"] = time.perf_counter() - t0
        return preds

    def verify_batch(self, ws: Workspace, policy: Policy, samples: Sequence[Sample], *,
                     progress: bool = False) -> list[SampleVerdict]:
        from ..dataset.versions import policy_labels

        samples = list(samples)
        fresh = [s for s in samples if s.id not in self.trained_on]
        out: dict[str, SampleVerdict] = {
            s.id: SampleVerdict(sample_id=s.id, verifier=self.name, verdict="unverified", score=1.0,
                                reason=f"model {self.run_id or self.weights} was trained on it")
            for s in samples if s.id in self.trained_on}
        if fresh:
            preds = self.predict(ws, fresh, progress=progress)
            t0 = time.perf_counter()
            verdicts, self.by_cleanlab, self.by_rule = judge_predictions(
                self.task, fresh, preds, policy_labels(policy), self.config, verifier=self.name)
            for v in verdicts:
                out[v.sample_id] = v
            self.seconds["judge"] = time.perf_counter() - t0
        return [out[s.id] for s in samples]
