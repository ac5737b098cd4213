"""generate (+ filter): make the images of every spec of this policy that has none yet,
through the quality filters (blank images, near-duplicates). Idempotent: a killed
generation resumes where it stopped, with nothing lost or duplicated."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from synthloop.tools.generate.engines import make_engine
from synthloop.tools.generate.runner import generate_samples
from synthloop.tools.quality import default_filters

from ..cancel import StopChecked
from ..context import LoopContext
from ..state import LoopState
from .common import settings_of, stage


def generate(state: LoopState, runtime: Runtime[LoopContext]) -> dict[str, Any]:
    ws = runtime.context.workspace
    s = settings_of(state)
    policy = ws.get_policy(state["policy_version"])
    if state.get("iteration", 0) == 0 and s.eval_set:
        from synthloop.tools.dataset import import_real_images

        stage(runtime, f"importing the real eval set from {s.eval_set}")
        imported = import_real_images(ws, s.eval_set, split="test", labels="yolo",
                                      class_names=policy.class_names(), progress=runtime.context.progress)
        runtime.context.console.print(f"real eval images: {imported}")
    todo = list(ws.iter_specs(policy_version=policy.version, without_sample=True))
    engine = "" if s.generation.engine == "local" else f" on {s.generation.engine}"
    stage(runtime, f"generating {len(todo)} images ({s.generator.name}{engine})")
    generator = make_engine(s.generator, s.generation)
    try:
        result = generate_samples(ws, policy, StopChecked(todo), generator, progress=runtime.context.progress,
                                  filters=default_filters())
    finally:
        generator.close()
    summary = {"requested": result.requested, "generated": result.generated,
               "skipped": result.skipped_existing, "dropped": result.dropped,
               "failed": len(result.failed)}
    runtime.context.console.print(f"generation: {summary}")
    return {"generation": summary}
