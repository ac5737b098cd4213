"""Small hand-made domain records for the tests: policies, specs, samples, datasets, runs,
reports and PNG bytes, built in code (no YAML, no generator, no LLM).

Policies, by what they describe:
  hard_hat_policy()      person + hard_hat on a site, one rule, a lighting axis
  helmet_policy(**kw)    person + helmet + e_bike, lint-clean, three axes (one fairness)
  axes_policy(levels)    helmet_policy's scenarios with axes of the given sizes
  detection_policy(ws)   stored: person + hard_hat, two scenarios, no rules or axes
  classification_policy(ws)  stored: two labelled scenarios, no classes
The PPE records (ppe_sample, ppe_samples) follow the example policy "ppe"."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

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

# --- PNG bytes ---------------------------------------------------------------------------


def png_bytes(seed: int, size: tuple[int, int] = (64, 48)) -> bytes:
    """A PNG of random pixels, `size` = (width, height), the same for the same seed."""
    arr = np.random.default_rng(seed).integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    return png_of(arr)


def png_of(a: np.ndarray) -> bytes:
    """The PNG of an HxWx3 array (values cast to uint8)."""
    buf = io.BytesIO()
    Image.fromarray(a.astype(np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def solid_png(colour: tuple[int, int, int], size: tuple[int, int] = (64, 64)) -> bytes:
    """A PNG of one colour, `size` = (width, height)."""
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="PNG")
    return buf.getvalue()


# --- policies ----------------------------------------------------------------------------


def hard_hat_policy() -> Policy:
    """Hard hats on a site: person + hard_hat, rule R1, a compliant and a violating
    scenario, a lighting axis (day, night at half weight)."""
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


def helmet_policy(**changes) -> Policy:
    """A small, lint-clean helmet policy for e-bike riders (four scenarios of every kind,
    axes lighting, distance and the fairness axis skin_tone); `changes` replace fields."""
    data = dict(
        title="Helmets on e-bikes",
        goal="E-bike riders wear a helmet.",
        context="A street camera over a bike lane.",
        classes=[ObjectClass(name="person", description="a rider", appears="person"),
                 ObjectClass(name="helmet", description="a bike helmet", appears="worn_on_head"),
                 ObjectClass(name="e_bike", description="an electric bicycle", appears="standalone")],
        rules=[Rule(id="R1", text="Riders wear a helmet.", severity="high",
                    classes=["person", "helmet", "e_bike"])],
        scenarios=[
            Scenario(id="with_helmet", rule_id="R1", kind="compliant",
                     classes=[ClassCount(name="person"), ClassCount(name="helmet"),
                              ClassCount(name="e_bike")]),
            Scenario(id="no_helmet", rule_id="R1", kind="violating",
                     classes=[ClassCount(name="person"), ClassCount(name="e_bike")]),
            Scenario(id="cap", rule_id="R1", kind="hard_negative", description="a cap",
                     classes=[ClassCount(name="person"), ClassCount(name="e_bike")], weight=0.5),
            Scenario(id="pair", rule_id="R1", kind="edge_case",
                     classes=[ClassCount(name="person", count=2), ClassCount(name="helmet"),
                              ClassCount(name="e_bike", count=2)], weight=0.5),
        ],
        axes=[VariableAxis(name="lighting", values=[AxisValue(value="day"),
                                                    AxisValue(value="night", weight=0.5)]),
              VariableAxis(name="distance", values=[AxisValue(value="near"),
                                                    AxisValue(value="far")]),
              VariableAxis(name="skin_tone", fairness=True,
                           values=[AxisValue(value="light"), AxisValue(value="dark")])],
    )
    data.update(changes)
    return Policy(**data)


def axes_policy(levels: list[int], n_scenarios: int = 2) -> Policy:
    """helmet_policy's first `n_scenarios` scenarios with axes axis0, axis1, ... of the
    given sizes (values v0, v1, ...), for expansion tests."""
    base = helmet_policy()
    axes = [VariableAxis(name=f"axis{i}", values=[AxisValue(value=f"v{j}") for j in range(k)])
            for i, k in enumerate(levels)]
    return Policy(**{**base.model_dump(), "axes": [a.model_dump() for a in axes],
                     "scenarios": [s.model_dump() for s in base.scenarios[:n_scenarios]]})


def detection_policy(ws) -> Policy:
    """Stored in `ws`: a detection policy with person + hard_hat, scenarios with_hat and
    bare_head, no rules and no axes."""
    return ws.save_policy(Policy(
        title="site safety",
        classes=[ObjectClass(name="person", appears="person"),
                 ObjectClass(name="hard_hat", appears="worn_on_head")],
        scenarios=[Scenario(id="with_hat", kind="compliant",
                            classes=[ClassCount(name="person"), ClassCount(name="hard_hat")]),
                   Scenario(id="bare_head", kind="violating", classes=[ClassCount(name="person")])]))


def classification_policy(ws) -> Policy:
    """Stored in `ws`: a classification policy with the labels 'helmet on' and
    '../no helmet' (a label that is not a safe folder name)."""
    return ws.save_policy(Policy(
        title="helmet or not", task="classification",
        scenarios=[Scenario(id="helmet_on", kind="compliant", label="helmet on"),
                   Scenario(id="no_helmet", kind="violating", label="../no helmet")]))


# --- specs, samples and the records that follow them ---------------------------------------


def make_spec(seed: int = 1, **kw) -> GenerationSpec:
    """A with_hat spec of hard_hat_policy (version 1): a person box and a hat box on it."""
    base = dict(policy_version=1, scenario_id="with_hat", prompt="a worker with a hard hat",
                layout=[LayoutBox(cls="person", box=(0.2, 0.2, 0.5, 0.9)),
                        LayoutBox(cls="hard_hat", box=(0.28, 0.2, 0.42, 0.3), parent=0)],
                seed=seed, variables={"lighting": "night"})
    base.update(kw)
    return GenerationSpec(**base)


def sample_for_spec(spec: GenerationSpec, image: str) -> Sample:
    """The 64x64 train sample `spec` would give: a person and a partly occluded hard hat."""
    return Sample(
        id=f"s-{spec.id}", spec_id=spec.id, image=image, width=64, height=64,
        annotations=[Annotation(cls="person", box=(12, 12, 32, 58)),
                     Annotation(cls="hard_hat", box=(18, 12, 27, 19), occluded=0.25)],
        scenario_id=spec.scenario_id, variables=spec.variables, split="train",
        provenance=Provenance(generator="test", seed=spec.seed, elapsed_s=0.01),
    )


def store_sample(ws, n: int, *, source="synthetic", split="train",
                 anns=(("person", (4, 4, 30, 40)),), label=None, parent=None, spec=True,
                 variables=None, size=(64, 48)) -> Sample:
    """Store sample number `n` (a random PNG, scenario with_hat) in `ws`; synthetic ones get
    a stored spec with a prompt. Lighting alternates night/day with n unless given."""
    rel = ws.put_bytes(png_bytes(n, size), "png")
    spec_id = None
    variables = variables if variables is not None else {"lighting": "night" if n % 2 else "day"}
    if source == "synthetic" and spec:
        sp = GenerationSpec(policy_version=1, scenario_id="with_hat", prompt=f"a worker {n}",
                            seed=n, split=split, variables=variables, label=label)
        ws.save_specs([sp])
        spec_id = sp.id
    s = Sample(id=f"{source[:3]}-{n:04d}", spec_id=spec_id, image=rel, width=size[0],
               height=size[1], annotations=[Annotation(cls=c, box=b) for c, b in anns],
               label=label, scenario_id="with_hat", variables=variables, split=split,
               source=source,
               provenance=Provenance(generator="procedural" if source == "synthetic" else source,
                                     seed=n if source == "synthetic" else None,
                                     parent_sample=parent))
    ws.save_samples([s])
    return s


def make_dataset(sample_ids: list[str]) -> DatasetVersion:
    """A dataset version of hard_hat_policy with every sample in train."""
    return DatasetVersion(policy_version=1, class_names=["person", "hard_hat"],
                          splits={"train": sample_ids, "test": []})


def make_run(ds_id: str) -> TrainRun:
    """A one-epoch training run record of dataset `ds_id`."""
    return TrainRun(dataset_id=ds_id, config={"epochs": 1, "imgsz": 64})


def make_report(run_id: str) -> MisclassificationReport:
    """A small report of run `run_id`: hard hats half missed, worst at night."""
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


# --- PPE samples (the example policy "ppe"), placed by hand on a 300x220 image ---------------


def person(x0: float, *, hat: bool = False, vest: bool = False, w: float = 40.0):
    """A person box at x0 on a 300-px-wide image, with the worn items inside it."""
    out = [Annotation(cls="person", box=(x0, 60, x0 + w, 200))]
    if hat:
        out.append(Annotation(cls="hard_hat", box=(x0 + 8, 60, x0 + w - 8, 75)))
    if vest:
        out.append(Annotation(cls="hi_vis_vest", box=(x0 + 4, 90, x0 + w - 4, 140)))
    return out


def ppe_sample(sid: str, anns, *, scenario: str = "fully_equipped", source: str = "synthetic",
               variables: dict | None = None, label: str | None = None, split=None,
               parent: str | None = None) -> Sample:
    """A 300x220 PPE sample; `anns` is a list of annotations or of person() groups."""
    flat = [a for group in anns for a in group] if anns and isinstance(anns[0], list) else anns
    return Sample(id=sid, image=f"files/{sid}.png", width=300, height=220, annotations=flat,
                  scenario_id=scenario, source=source, label=label, split=split,
                  variables=variables if variables is not None else
                  {"lighting": "night", "distance": "near", "clothing_colour": "orange"},
                  provenance=Provenance(generator="procedural", seed=1, parent_sample=parent))


def ppe_samples() -> list[Sample]:
    """Nine PPE samples: synthetic, augmented and real, compliant and violating."""
    return [
        ppe_sample("syn-ok", [person(20, hat=True, vest=True)]),
        ppe_sample("syn-crew", [person(20, hat=True, vest=True), person(200, hat=True, vest=True)],
                   scenario="crew_fully_equipped"),
        ppe_sample("syn-bare", [person(130, vest=True)], scenario="no_hard_hat"),
        ppe_sample("syn-one-of-two", [person(20, hat=True, vest=True), person(200, vest=True)],
                   scenario="one_of_two_bare_headed"),
        ppe_sample("syn-group", [person(10, hat=True, vest=True), person(120, hat=True, vest=True),
                                 person(240, hat=True)], scenario="group_one_without_vest"),
        ppe_sample("syn-none", [person(130)], scenario="no_ppe_at_all",
                   variables={"lighting": "day", "weather": "fog"}),
        ppe_sample("aug-ok", [person(22, hat=True, vest=True)], source="augmented",
                   parent="syn-ok"),
        ppe_sample("real-1", [person(200, hat=True, vest=True)], source="real", split="test"),
        ppe_sample("real-2", [person(30, vest=True)], source="real", split="test",
                   scenario="no_hard_hat"),
    ]


def with_stored_pngs(ws, samples: list[Sample]) -> list[Sample]:
    """`samples` with real 300x220 PNG files in the workspace, saved there."""
    out = [s.model_copy(update={"image": ws.put_bytes(png_bytes(i, (300, 220)), "png")})
           for i, s in enumerate(samples)]
    ws.save_samples(out)
    return out
