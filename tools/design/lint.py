"""Policy lint: deterministic checks a reviewer (or the critic pass) can act on.

An error means the policy cannot be turned into a sound dataset as it stands (a rule that
points at a class that does not exist, a rule without a violating scenario, a class a camera
cannot see). A warning is worth a look but does not block (no fairness axis, a class that no
rule uses).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..models import Policy
from ..models.base import SNAKE_CASE
from .names import name_key, normalise_text

Level = Literal["error", "warning"]

MAX_CLASSES = 20
MAX_RULES = 30
MAX_SCENARIOS = 200
MAX_AXES = 12
MAX_AXIS_VALUES = 12

# Head nouns that name an idea, a judgement or a property of the image rather than a thing
# a detector can draw a box around. English compounds put the head noun last, so
# 'safety_vest' (a vest) passes while 'image_quality' and 'helmet_compliance' do not.
ABSTRACT_NOUNS = frozenset("""
    compliance noncompliance compliant violation violations violating infraction breach
    quality safety safe unsafe risk risks danger status state condition behaviour behavior
    rule rules policy score level label category class type object objects thing things other
    unknown misc none normal abnormal anomaly incident event issue problem result outcome
    presence absence detection classification confidence accuracy ok good bad correct
    incorrect proper improper usage use requirement requirements regulation
""".split())
# Names that are variables of the scene: they belong on an axis, not in the class list.
AXIS_LIKE = frozenset("""
    lighting light brightness blur blurriness noise weather time time_of_day day night
    background scene environment camera_angle angle distance occlusion resolution exposure
    contrast season
""".split())
NEGATIVE_PREFIXES = ("no_", "not_", "without_", "missing_", "non_", "lack_of_")
WORN = ("worn_on_head", "worn_on_body", "held")


class LintFinding(BaseModel):
    """One lint result: `where` points at the part of the policy, `message` says what is
    wrong and what would fix it, in words a reviewer understands."""

    model_config = ConfigDict(frozen=True)

    level: Level
    code: str
    where: str
    message: str

    def one_line(self) -> str:
        """'error [rule_unknown_class] rules[R1]: ...' for terminals and prompts."""
        return f"{self.level} [{self.code}] {self.where}: {self.message}"


# Checks of what derive_scenarios and propose_axes add later: not a draft's fault.
LATER_STAGE_CODES = frozenset({"rule_no_compliant", "rule_no_violating", "no_hard_negatives",
                               "no_axes", "no_fairness_axis", "no_contrast", "one_label"})


def lint_policy(policy: Policy, *, stage: Literal["full", "draft"] = "full") -> list[LintFinding]:
    """Every finding for `policy`, errors first, in a stable order. `stage="draft"` leaves
    out the checks of scenarios and axes, which a freshly drafted policy cannot have yet.

    >>> from synthloop.tools.design import load_example_policy
    >>> [f for f in lint_policy(load_example_policy("ppe")) if f.level == "error"]
    []
    """
    out: list[LintFinding] = []
    out += _lint_classes(policy)
    out += _lint_rules(policy)
    out += _lint_scenarios(policy)
    out += _lint_axes(policy)
    if stage == "draft":
        out = [f for f in out if f.code not in LATER_STAGE_CODES]
    return sorted(out, key=lambda f: f.level != "error")


def has_errors(findings: list[LintFinding]) -> bool:
    """True when any finding is an error."""
    return any(f.level == "error" for f in findings)


def _err(code: str, where: str, message: str) -> LintFinding:
    return LintFinding(level="error", code=code, where=where, message=message)


def _warn(code: str, where: str, message: str) -> LintFinding:
    return LintFinding(level="warning", code=code, where=where, message=message)


def _lint_classes(p: Policy) -> list[LintFinding]:
    out: list[LintFinding] = []
    n = len(p.classes)
    if n == 0:
        out.append(_err("no_classes", "classes", "the policy has no classes; add the people and "
                        "objects a camera must see, e.g. person, hard_hat"))
    elif n > MAX_CLASSES:
        out.append(_err("too_many_classes", "classes", f"{n} classes; at most {MAX_CLASSES} keep "
                        "a detector trainable on synthetic data: merge or drop some"))
    seen: dict[str, str] = {}
    for c in p.classes:
        where = f"classes[{c.name}]"
        if not SNAKE_CASE.match(c.name):
            out.append(_err("class_name_invalid", where, "class names must be snake_case"))
        key = name_key(c.name)
        if key in seen:
            out.append(_err("class_near_duplicate", where,
                            f"'{c.name}' and '{seen[key]}' name the same thing; keep one"))
        seen.setdefault(key, c.name)
        head = c.name.split("_")[-1]
        if c.name in AXIS_LIKE or all(w in AXIS_LIKE for w in c.name.split("_")):
            out.append(_err("class_is_axis", where, f"'{c.name}' is a condition of the scene, "
                            "not an object: make it a variable axis instead"))
        elif head in ABSTRACT_NOUNS:
            out.append(_err("abstract_class", where, f"'{c.name}' is not something a camera can "
                            "see and box; name the visible object instead (e.g. hard_hat, "
                            "person), and express compliance through rules and scenarios"))
        elif c.name.startswith(NEGATIVE_PREFIXES):
            out.append(_warn("negative_class", where, f"'{c.name}' names an absence; a missing "
                             "item is usually a violating scenario without that item's class"))
    has_person = any(c.appears == "person" for c in p.classes)
    worn = [c.name for c in p.classes if c.appears in WORN]
    if worn and not has_person:
        out.append(_err("no_person_class", "classes", f"{', '.join(worn)} is worn or held, but "
                        "no class has appears=person to wear or hold it; add a person class"))
    used = {n for r in p.rules for n in r.classes} | {c.name for s in p.scenarios
                                                      for c in s.classes}
    for c in p.classes:
        if c.name not in used and c.appears != "person":
            out.append(_warn("class_unused", f"classes[{c.name}]", f"no rule or scenario uses "
                             f"'{c.name}'; drop it or say which rule it serves"))
    return out


def _lint_rules(p: Policy) -> list[LintFinding]:
    out: list[LintFinding] = []
    n = len(p.rules)
    if n == 0:
        out.append(_err("no_rules", "rules", "the policy has no rules; state at least one "
                        "requirement, e.g. 'workers wear a hard hat'"))
    elif n > MAX_RULES:
        out.append(_err("too_many_rules", "rules", f"{n} rules; at most {MAX_RULES}"))
    names = set(p.class_names())
    seen: dict[str, str] = {}
    for r in p.rules:
        where = f"rules[{r.id}]"
        for cname in r.classes:
            if cname not in names:
                out.append(_err("rule_unknown_class", where, f"rule refers to class '{cname}', "
                                f"which is not in the class list ({', '.join(sorted(names)) or 'empty'})"))
        if not r.classes:
            out.append(_warn("rule_no_classes", where, "the rule names no class, so no image can "
                             "show it being kept or broken; list the classes it is about"))
        key = normalise_text(r.text)
        if key in seen:
            out.append(_err("duplicate_rule", where, f"says the same as rule {seen[key]}"))
        seen.setdefault(key, r.id)
        kinds = {s.kind for s in p.scenarios if s.rule_id == r.id}
        for kind in ("compliant", "violating"):
            if kind not in kinds:
                out.append(_err(f"rule_no_{kind}", where, f"no {kind} scenario for this rule; "
                                f"add one that shows the rule being "
                                f"{'kept' if kind == 'compliant' else 'broken'}"))
        _check_contrast(p, r.id, where, out)
    return out


def _check_contrast(p: Policy, rule_id: str, where: str, out: list[LintFinding]) -> None:
    """A compliant and a violating scenario with identical classes would give images a
    detector cannot tell apart: the rule would be untestable."""
    sig = {s.kind: {(c.name, c.count) for c in s.classes if c.count}
           for s in p.scenarios if s.rule_id == rule_id and s.kind in ("compliant", "violating")}
    if "compliant" in sig and "violating" in sig and sig["compliant"] == sig["violating"]:
        out.append(_warn("no_contrast", where, "its compliant and violating scenarios show the "
                         "same classes; the violating one should lack (or add) the item at stake"))


def _lint_scenarios(p: Policy) -> list[LintFinding]:
    out: list[LintFinding] = []
    if len(p.scenarios) > MAX_SCENARIOS:
        out.append(_err("too_many_scenarios", "scenarios", f"{len(p.scenarios)} scenarios; at most "
                        f"{MAX_SCENARIOS}"))
    names = set(p.class_names())
    rule_ids = {r.id for r in p.rules}
    for s in p.scenarios:
        where = f"scenarios[{s.id}]"
        if s.rule_id is not None and s.rule_id not in rule_ids:
            out.append(_err("scenario_unknown_rule", where, f"belongs to rule '{s.rule_id}', "
                            "which does not exist"))
        for c in s.classes:
            if c.name not in names:
                out.append(_err("scenario_unknown_class", where, f"shows class '{c.name}', which "
                                "is not in the class list"))
        if p.task == "detection" and s.kind in ("compliant", "violating") and \
                not any(c.count for c in s.classes):
            out.append(_warn("scenario_empty", where, f"a {s.kind} scenario with no objects "
                             "gives images with nothing to detect"))
    if p.scenarios and not any(s.kind == "hard_negative" for s in p.scenarios):
        out.append(_warn("no_hard_negatives", "scenarios", "no hard-negative scenario (something "
                         "that looks like a violation but is not, e.g. a cap instead of a hard "
                         "hat); false alarms will go unmeasured"))
    if p.task == "classification":
        labels = {s.label or s.kind for s in p.scenarios}
        if len(labels) < 2:
            out.append(_err("one_label", "scenarios", "a classification policy needs scenarios "
                            f"with at least two labels; found {sorted(labels) or 'none'}"))
    return out


def _lint_axes(p: Policy) -> list[LintFinding]:
    out: list[LintFinding] = []
    if len(p.axes) > MAX_AXES:
        out.append(_err("too_many_axes", "axes", f"{len(p.axes)} axes; at most {MAX_AXES} keep "
                        "slices large enough to measure"))
    for a in p.axes:
        where = f"axes[{a.name}]"
        if not a.values:
            out.append(_err("axis_empty", where, "the axis has no values"))
            continue
        if len(a.values) > MAX_AXIS_VALUES:
            out.append(_err("axis_too_many_values", where, f"{len(a.values)} values; at most "
                            f"{MAX_AXIS_VALUES}"))
        keys = [normalise_text(v.value) for v in a.values]
        dupes = sorted({v.value for v, k in zip(a.values, keys, strict=True) if keys.count(k) > 1})
        if dupes:
            out.append(_err("axis_duplicate_value", where, f"duplicate value(s): {', '.join(dupes)}"))
        if len(a.values) == 1:
            out.append(_warn("axis_single_value", where, f"only '{a.values[0].value}': the axis "
                             "does not vary anything"))
    has_person = any(c.appears == "person" for c in p.classes)
    if has_person and p.axes and not any(a.fairness for a in p.axes):
        out.append(_warn("no_fairness_axis", "axes", "no fairness axis (e.g. skin_tone): the "
                         "report cannot show whether some groups of people are detected worse"))
    if not p.axes:
        out.append(_warn("no_axes", "axes", "no variable axes: every image would look alike; "
                         "add lighting, distance, occlusion..."))
    return out

