"""verify: the previous iteration's model judges this iteration's new images (it never saw
them) and what it flags is quarantined: left out of the dataset version that `dataset`
builds next, listed by `synthloop quarantine list`, released or confirmed by a person.
Nothing is deleted. Iteration 0 has no model yet, so its images are not verified here
(`synthloop verify --folds 2` checks them at the cost of two trainings); nor are they when
the model's last evaluation is below [verify] min_model_score (its flags would be noise)."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.quality.crops import ObjectCropVerifier
from synthloop.tools.quality.heldout import HeldOutModelVerifier
from synthloop.tools.quality.run import verify_samples

from ..context import LoopContext
from ..metrics import overall_metric
from ..state import LoopState
from .common import settings_of, stage


def verify(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = runtime.context.workspace
    s = settings_of(state)
    if not s.verify.loop:
        return {"verification": {"skipped": "off ([verify] loop = false)"}}
    run_id = state.get("train_run_id")
    if not run_id:
        return {"verification": {"skipped": "no model yet: the initial images are not verified"}}
    if state.get("report_id"):
        name, score = overall_metric(ws.get_report(state["report_id"]))
        if score < s.verify.min_model_score:
            why = (f"model {run_id} scored {name} {score:.2f}, below [verify] min_model_score "
                   f"{s.verify.min_model_score}: too weak to judge labels")
            runtime.context.console.print(f"verification skipped: {why}")
            return {"verification": {"skipped": why}}
    policy = ws.get_policy(state["policy_version"])
    v = HeldOutModelVerifier.from_run(ws, ws.get_train_run(run_id), config=s.verify)
    spec_ids = {sp.id for sp in ws.iter_specs(policy_version=policy.version)}
    flagged = {f.sample_id for f in ws.list_flags()}
    new = [sm for sm in ws.iter_samples() if sm.source == "synthetic" and sm.spec_id in spec_ids
           and sm.id not in v.trained_on and sm.id not in flagged]
    if len(new) < s.verify.min_samples:
        return {"verification": {"skipped": f"{len(new)} new images, fewer than "
                                            f"[verify] min_samples {s.verify.min_samples}"}}
    how = f"model {run_id}"
    verifier = v
    if s.verify.method == "crops":
        previous = [sm for sm in ws.iter_samples() if sm.id in v.trained_on]
        verifier = ObjectCropVerifier(s.verify.crops, reference=previous, detector=v)
        how += f" and a crop classifier trained on its {len(previous)} training images"
    stage(runtime, f"verifying {len(new)} new images with {how}")
    rep = verify_samples(ws, policy, new, [verifier], progress=runtime.context.progress)
    summary = {"checked": len(new), "flagged": rep.flagged, "model": run_id,
               "method": s.verify.method,
               "seconds": round(sum(verifier.seconds.values()), 2)}
    runtime.context.console.print(
        f"verification: {rep.flagged} of {len(new)} new images flagged and quarantined "
        f"(synthloop quarantine list; release with synthloop quarantine release ID)"
        if rep.flagged else f"verification: none of {len(new)} new images flagged")
    return {"verification": summary}
