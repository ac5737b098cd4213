"""Small hand-made domain records for foundation tests."""

from __future__ import annotations

from synthloop.tools.models import (
    Annotation,
    AxisValue,
    ClassCount,
    ClassMetrics,
    ConfusionMatrix,
    DatasetVersion,
    EvalSetInfo,
    GenerationSpec,
    LayoutBox,
    MisclassificationReport,
    ObjectClass,
    Policy,
    Provenance,
    Rule,
    Sample,
    Scenario,
    SliceMetrics,
    TrainRun,
    VariableAxis,
)


def make_policy() -> Policy:
    return Policy(
        title="Hard hats on site",
        goal="workers wear a hard hat",
        context="fixed camera over a loading bay",
        classes=[
            ObjectClass(name="person", description="a worker", appears="person"),
            ObjectClass(name="hard_hat", description="a rigid helmet", appears="worn_on_head"),
        ],
        rules=[Rule(id="R1", text="Workers wear a hard hat", severity="high",
                    classes=["person", "hard_hat"], compliant="hat on head",
                    violating="bare head")],
        hard_cases=["a cap that looks like a hard hat"],
        scenarios=[
            Scenario(id="with_hat", rule_id="R1", kind="compliant",
                     classes=[ClassCount(name="person"), ClassCount(name="hard_hat")]),
            Scenario(id="no_hat", rule_id="R1", kind="violating", weight=2.0, risk="high",
                     classes=[ClassCount(name="person")]),
        ],
        axes=[VariableAxis(name="lighting", values=[AxisValue(value="day"),
                                                    AxisValue(value="night", weight=0.5)])],
    )


def make_spec(seed: int = 1, **kw) -> GenerationSpec:
    base = dict(policy_version=1, scenario_id="with_hat", prompt="a worker with a hard hat",
                layout=[LayoutBox(cls="person", box=(0.2, 0.2, 0.5, 0.9)),
                        LayoutBox(cls="hard_hat", box=(0.28, 0.2, 0.42, 0.3), parent=0)],
                seed=seed, variables={"lighting": "night"})
    base.update(kw)
    return GenerationSpec(**base)


def make_sample(spec: GenerationSpec, image: str) -> Sample:
    return Sample(
        id=f"s-{spec.id}", spec_id=spec.id, image=image, width=64, height=64,
        annotations=[Annotation(cls="person", box=(12, 12, 32, 58)),
                     Annotation(cls="hard_hat", box=(18, 12, 27, 19), occluded=0.25)],
        scenario_id=spec.scenario_id, variables=spec.variables, split="train",
        provenance=Provenance(generator="test", seed=spec.seed, elapsed_s=0.01),
    )


def make_dataset(sample_ids: list[str]) -> DatasetVersion:
    return DatasetVersion(policy_version=1, class_names=["person", "hard_hat"],
                          splits={"train": sample_ids, "test": []})


def make_run(ds_id: str) -> TrainRun:
    return TrainRun(dataset_id=ds_id, config={"epochs": 1, "imgsz": 64})


def make_report(run_id: str) -> MisclassificationReport:
    return MisclassificationReport(
        train_run_id=run_id,
        eval_set=EvalSetInfo(kind="synthetic", n_images=10, n_objects=20),
        overall={"map50": 0.5},
        classes=[ClassMetrics(name="hard_hat", support=10, tp=5, fn=5, recall=0.5)],
        confusion=ConfusionMatrix(labels=["person", "hard_hat", "background"],
                                  matrix=[[9, 0, 1], [0, 5, 5], [1, 2, 0]]),
        slices=[SliceMetrics(axis="lighting", value="night", cls="hard_hat", n_images=5,
                             support=5, tp=1, fn=4, recall=0.2, recall_ci=(0.04, 0.62))],
    )
