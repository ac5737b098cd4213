"""Scene facts: what a sample's labels say, computed by code, before any text is written.

Detection (and classification samples that carry boxes): people are the boxes of the
policy's `appears: person` class; a worn or held item belongs to the person whose box holds
most of it. A rule that names a person class and worn/held classes is about people: a person
complies when they wear every one of them; a rule that also names standalone classes (an
e-scooter) applies only when each of those is in the image. A rule without a person class
reads its first class as the trigger and the others as required beside it (a spill needs a
sign). Classification: the image label is compliant when a `compliant` scenario carries it
and no `violating` one does (the reverse for violating); otherwise compliance is unknown.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..models import Policy, Sample
from .vocab import COLOURS, tokens

WORN = ("worn_on_head", "worn_on_body", "held")


class PersonFacts(BaseModel):
    index: int
    position: str = Field(description="left, centre or right (relative when several people)")
    wears: list[str] = Field(default_factory=list)
    lacks: list[str] = Field(default_factory=list, description="worn classes a rule asks for")


class ObjectFacts(BaseModel):
    cls: str
    position: str
    person: int | None = None


class RuleFacts(BaseModel):
    id: str
    text: str
    applies: bool
    compliant: bool | None = Field(description="None where the labels cannot say")
    subjects: int = 0
    required: list[str] = Field(default_factory=list, description="worn classes asked for")
    missing: dict[str, list[int]] = Field(default_factory=dict, description="class -> people")
    classes: list[str] = Field(default_factory=list)


class SceneFacts(BaseModel):
    sample_id: str
    task: str
    objects_known: bool
    person_class: str | None
    class_names: list[str]
    counts: dict[str, int]
    persons: list[PersonFacts] = Field(default_factory=list)
    objects: list[ObjectFacts] = Field(default_factory=list)
    rules: list[RuleFacts] = Field(default_factory=list)
    compliant: bool | None = None
    label: str | None = None
    labels: list[str] = Field(default_factory=list, description="all labels of the policy")
    scenario_id: str | None = None
    scenario_description: str = ""
    variables: dict[str, str] = Field(default_factory=dict)
    axis_values: dict[str, list[str]] = Field(default_factory=dict)
    colours: list[str] = Field(default_factory=list, description="colour words the labels give")
    source: str = "synthetic"

    def rule(self, rid: str) -> RuleFacts | None:
        return next((r for r in self.rules if r.id == rid), None)


def _position(cx: float) -> str:
    return "left" if cx < 1 / 3 else "right" if cx > 2 / 3 else "centre"


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    area = (a[2] - a[0]) * (a[3] - a[1])
    return max(w, 0) * max(h, 0) / area if area > 0 else 0.0


def label_compliance(policy: Policy, label: str | None) -> bool | None:
    if not label:
        return None
    kinds = {s.kind for s in policy.scenarios if (s.label or s.kind) == label}
    if label == "compliant" or ("compliant" in kinds and "violating" not in kinds):
        return True
    if label == "violating" or ("violating" in kinds and "compliant" not in kinds):
        return False
    return None


def scene_facts(policy: Policy, sample: Sample) -> SceneFacts:
    """The facts of `sample` under `policy`, from its labels only."""
    appears = {c.name: c.appears for c in policy.classes}
    person_cls = next((c.name for c in policy.classes if c.appears == "person"), None)
    anns = list(sample.annotations)
    known = policy.task == "detection" or bool(anns)
    counts = {c: 0 for c in policy.class_names()}
    for a in anns:
        counts[a.cls] = counts.get(a.cls, 0) + 1
    people = sorted((a for a in anns if a.cls == person_cls), key=lambda a: a.box[0] + a.box[2])
    w = float(sample.width)
    if len(people) == 1:
        ppos = [_position((people[0].box[0] + people[0].box[2]) / 2 / w)]
    else:
        ppos = ["left"] + ["centre"] * (len(people) - 2) + ["right"] if people else []
    persons = [PersonFacts(index=i, position=ppos[i]) for i in range(len(people))]
    objects: list[ObjectFacts] = []
    for a in anns:
        if a.cls == person_cls:
            continue
        owner = None
        if appears.get(a.cls) in WORN and people:
            best = max(range(len(people)), key=lambda i: _overlap(a.box, people[i].box))
            owner = best if _overlap(a.box, people[best].box) > 0.5 else None
        pos = persons[owner].position if owner is not None else _position(
            (a.box[0] + a.box[2]) / 2 / w)
        objects.append(ObjectFacts(cls=a.cls, position=pos, person=owner))
        if owner is not None and a.cls not in persons[owner].wears:
            persons[owner].wears.append(a.cls)
    rules = [_rule_facts(r, appears, person_cls, counts, persons) for r in policy.rules]
    for p in persons:
        p.lacks = sorted({c for r in rules for c in r.required if c not in p.wears})
    label_ok = label_compliance(policy, sample.label) if policy.task == "classification" else None
    if policy.task == "classification":
        compliant = label_ok
    else:
        verdicts = [r.compliant for r in rules if r.applies]
        compliant = None if None in verdicts else all(verdicts)
    sc = policy.get_scenario(sample.scenario_id) if sample.scenario_id else None
    values = {a.name: a.value_names() for a in policy.axes}
    colours = sorted({t for v in sample.variables.values() for t in tokens(v) if t in COLOURS})
    labels = []
    for s in policy.scenarios:
        lab = s.label or s.kind
        if lab not in labels:
            labels.append(lab)
    return SceneFacts(
        sample_id=sample.id, task=policy.task, objects_known=known, person_class=person_cls,
        class_names=policy.class_names(), counts=counts, persons=persons, objects=objects,
        rules=rules, compliant=compliant, label=sample.label, labels=labels,
        scenario_id=sample.scenario_id, scenario_description=sc.description if sc else "",
        variables=dict(sample.variables), axis_values=values, colours=colours,
        source=sample.source)


def _rule_facts(rule, appears: dict, person_cls: str | None, counts: dict,
                persons: list[PersonFacts]) -> RuleFacts:
    classes = [c for c in rule.classes if c in appears]
    worn = [c for c in classes if appears[c] in WORN]
    standalone = [c for c in classes if appears[c] == "standalone"]
    if person_cls in classes and worn:
        applies = all(counts.get(c, 0) > 0 for c in standalone) and bool(persons)
        missing = {c: [p.index for p in persons if c not in p.wears] for c in worn}
        compliant = not any(missing.values()) if applies else True
        return RuleFacts(id=rule.id, text=rule.text, applies=applies, compliant=compliant,
                         subjects=len(persons) if applies else 0, required=worn,
                         missing=missing if applies else {}, classes=classes)
    if not classes:
        return RuleFacts(id=rule.id, text=rule.text, applies=False, compliant=None)
    trigger, needed = classes[0], classes[1:]
    applies = counts.get(trigger, 0) > 0
    ok = all(counts.get(c, 0) > 0 for c in needed) if applies else True
    return RuleFacts(id=rule.id, text=rule.text, applies=applies, compliant=ok,
                     classes=classes)
