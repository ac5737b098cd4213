"""`synthloop verify`: flag samples whose labels a model that never saw them disagrees with,
and quarantine them (never delete; `synthloop quarantine` lists, explains, releases)."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from synthloop.tools.errors import NotFound, ValidationError

from .app import console, services

SHEET_MAX = 32  # flagged samples drawn in the contact sheet


def verify(
    run_id: str | None = typer.Option(None, "--model", metavar="RUN_ID",
                                      help="Judge with this training run's model (default: "
                                           "the latest finished run) the samples it never saw."),
    folds: int | None = typer.Option(None, "--folds", min=2, max=10,
                                     help="Judge every sample with K out-of-fold models "
                                          "instead (costs K trainings)."),
    crops: bool = typer.Option(False, "--crops",
                               help="Judge every label with out-of-fold object-crop "
                                    "classifiers (small CNNs on the boxes, no detector "
                                    "training; K = --folds or verify.crops.folds) and scan "
                                    "for unlabelled objects."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report only; quarantine nothing."),
) -> None:
    """Verify labels by model disagreement (cleanlab + an unmatched-label rule)."""
    from synthloop.tools.config import load_config
    from synthloop.tools.quality.crops import ObjectCropVerifier
    from synthloop.tools.quality.disagreement import ModelDisagreementVerifier
    from synthloop.tools.quality.heldout import HeldOutModelVerifier
    from synthloop.tools.quality.run import verify_samples

    if run_id is not None and (folds is not None or crops):
        raise ValidationError("--model judges with a trained detector; --folds and --crops "
                              "train their own models: give one way",
                              "e.g. synthloop verify --crops")
    with services(write=True) as sv:
        ws = sv.workspace
        cfg = load_config(ws.root)
        policy = ws.get_policy()
        samples = [s for s in ws.iter_samples() if s.source != "real"]
        if crops:
            cc = cfg.verify.crops.model_copy(update={"folds": folds or cfg.verify.crops.folds})
            verifier = ObjectCropVerifier(cc)
            todo, how = samples, f"{cc.folds} out-of-fold object-crop classifiers"
        elif folds is not None:
            verifier = ModelDisagreementVerifier(cfg.training,
                                                 cfg.verify.model_copy(update={"folds": folds}))
            todo, how = samples, f"{folds} out-of-fold models ({folds} trainings)"
        else:
            run = _run(ws, run_id)
            verifier = HeldOutModelVerifier.from_run(ws, run, config=cfg.verify)
            todo = [s for s in samples if s.id not in verifier.trained_on]
            how = f"model {run.id} (trained on {len(verifier.trained_on)} others)"
            if not todo:
                raise ValidationError(f"model {run.id} was trained on every sample: nothing "
                                      "it could judge", "generate new images first, or use "
                                      "--folds 2 (two trainings)")
        if len(todo) < cfg.verify.min_samples:
            raise ValidationError(f"{len(todo)} samples to verify, fewer than [verify] "
                                  f"min_samples {cfg.verify.min_samples}",
                                  "generate more images, or lower verify.min_samples")
        console.print(f"verifying {len(todo)} samples with {how}")
        rep = verify_samples(ws, policy, todo, [verifier], progress=True, quarantine=not dry_run)
        suspects = [v for v in rep.verdicts if v.flagged]
        t = Table(title=f"{len(suspects)} of {len(todo)} flagged"
                        f"{' (dry run: nothing quarantined)' if dry_run else ' and quarantined'}",
                  title_justify="left")
        for col in ("sample", "scenario", "score", "reason"):
            t.add_column(col, overflow="fold")
        by_id = {s.id: s for s in todo}
        for v in sorted(suspects, key=lambda v: v.score)[:50]:
            t.add_row(v.sample_id, by_id[v.sample_id].scenario_id or "-", f"{v.score:.2f}", v.reason)
        console.print(t)
        if suspects:
            from synthloop.tools.quality import save_contact_sheet

            worst = [by_id[v.sample_id] for v in sorted(suspects, key=lambda v: v.score)]
            path = save_contact_sheet(ws, worst[:SHEET_MAX], f"reports/flagged-{time.strftime('%Y%m%d-%H%M%S')}.png",
                                      class_names=policy.class_names())
            console.print(f"flagged images, labels drawn: {path}")
        if suspects and not dry_run:
            console.print("quarantined samples are left out of the next dataset version; "
                          "synthloop quarantine list | why ID | release ID | confirm ID")


def _run(ws, run_id: str | None):
    if run_id is not None:
        return ws.get_train_run(run_id)
    done = [r for r in ws.list_train_runs() if r.status == "finished" and r.weights]
    if not done:
        raise NotFound("no finished training run to verify with",
                       "train first (synthloop train), or use --folds 2 (two trainings)")
    return done[-1]
