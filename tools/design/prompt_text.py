"""Prompt text for a spec: the scenario's scene, who wears what, then one phrase per
variable. Phrases are precomputed per (axis, value) so a spec costs a join, not a render."""

from __future__ import annotations

from ..models import Policy, Scenario
from .layout import ScenePlan
from .names import spaced, with_article

MAX_PROMPT = 2000
NEGATIVE_BASE = ("blurry, deformed, distorted, disfigured, extra limbs, duplicate, cartoon, "
                 "drawing, text, watermark, lowres")
# How each known axis reads in a prompt; unknown axes read "<axis>: <value>".
AXIS_PHRASES = {
    "lighting": "{v} lighting",
    "time_of_day": "at {v}",
    "weather": "{v} weather",
    "skin_tone": "people with {v} skin tone",
    "age": "{v} people",
    "gender_presentation": "{v} presentation",
    "clothing_colour": "{v} clothing",
    "accessory": "wearing {v}",
    "background": "{v} in the background",
    "camera_angle": "{v} camera angle",
    "distance": "{v} shot",
    "occlusion": "{v} occlusion",
}
_NUMBERS = {1: "one", 2: "two", 3: "three"}


def axis_phrase(axis: str, value: str) -> str:
    """The phrase for one variable: axis_phrase('lighting', 'night') -> 'night lighting';
    a value 'none' reads 'no <axis>'."""
    v = spaced(value)
    if value in ("none", "no"):
        return f"no {spaced(axis)}"
    template = AXIS_PHRASES.get(axis)
    return template.format(v=v) if template else f"{spaced(axis)}: {v}"


def scene_text(policy: Policy, scenario: Scenario, plan: ScenePlan) -> str:
    """The fixed head of every prompt of a scenario: what the scene shows and who wears
    what, spelling out the missing item of a violating scenario ('without a hard hat')."""
    rule = next((r for r in policy.rules if r.id == scenario.rule_id), None)
    rule_items = [n for n in (rule.classes if rule else [])
                  if (c := policy.get_class(n)) is not None and c.appears != "person"]
    parts = ["a realistic photo"]
    if scenario.description:
        parts.append(scenario.description.rstrip(". "))
    if plan.people:
        person = plan.person_cls or "person"
        people = []
        for j in range(plan.people):
            worn = [it for it in plan.items if it.person == j and it.appears != "standalone"]
            names = [spaced(it.cls) for it in worn]
            missing = [spaced(n) for n in rule_items if spaced(n) not in names
                       and policy.get_class(n).appears != "standalone"]
            desc = with_article(spaced(person))
            if names:
                desc += " with " + _and(with_article(n) for n in names)
            if missing:
                desc += (" and" if names else "") + " without " + _and(with_article(n) for n in missing)
            people.append(desc)
        count = _NUMBERS.get(plan.people, str(plan.people))
        parts.append(f"{count} {'person' if plan.people == 1 else 'people'}: " + "; ".join(people))
    loose = [spaced(it.cls) for it in plan.items if it.appears == "standalone"]
    if loose:
        parts.append("with " + _and(with_article(n) for n in loose))
    if policy.context:
        parts.append(policy.context.split(".")[0][:150])
    return ", ".join(parts)


def negative_text(policy: Policy, scenario: Scenario) -> str:
    """The negative prompt: the usual artefacts, plus the rule's items this scenario must
    not show (so a violating image does not sprout a hard hat)."""
    rule = next((r for r in policy.rules if r.id == scenario.rule_id), None)
    shown = {c.name for c in scenario.classes if c.count}
    absent = [spaced(n) for n in (rule.classes if rule else []) if n not in shown
              and policy.get_class(n) is not None and policy.get_class(n).appears != "person"]
    return ", ".join([NEGATIVE_BASE, *absent])


def _and(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
