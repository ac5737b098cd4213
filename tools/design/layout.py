"""Plausible scene layouts in normalised xyxy coordinates, known before any pixel exists.

People stand on the ground, side by side; what is worn on the head sits in the top of the
wearer's box, what is worn on the body on the torso, what is held at the hand, and
standalone things on the ground (beside a person when there is one). A distance-like
variable sets the scale: far gives small people, near big ones.

The work per image is a few dozen float operations on a precompiled `ScenePlan`, because
expansion has to make hundreds of thousands of specs cheaply.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..models import Policy, Scenario
from .names import spaced, with_article

MAX_PEOPLE = 3
# Person height (fraction of the image) for each distance word; see `scale_for`.
_SCALE_WORDS = (
    ("extreme_close", 0.92), ("close_up", 0.88), ("closeup", 0.88), ("very_near", 0.88),
    ("very_close", 0.88), ("very_far", 0.16), ("extreme_far", 0.12), ("near", 0.72),
    ("close", 0.72), ("mid", 0.48), ("medium", 0.48), ("far", 0.26), ("distant", 0.26),
    ("wide", 0.3), ("long", 0.3), ("aerial", 0.2),
)
DEFAULT_SCALE = 0.5
DISTANCE_AXES = ("distance", "scale", "camera_distance", "subject_distance", "shot_size", "zoom")


def scale_for(value: str | None) -> float:
    """Person height as a fraction of the image for a distance value: 'near' 0.72, 'mid'
    0.48, 'far' 0.26, 'very_far' 0.16; a number ('0.3', '30%') is taken as is; anything
    else (including values no axis declared) falls back to 0.5."""
    if not value:
        return DEFAULT_SCALE
    v = value.lower().replace("-", "_").replace(" ", "_")
    for word, s in _SCALE_WORDS:
        if word in v:
            return s
    try:
        num = float(v.rstrip("%")) / (100.0 if v.endswith("%") else 1.0)
    except ValueError:
        return DEFAULT_SCALE
    return min(max(num, 0.05), 0.95)


@dataclass(frozen=True)
class Item:
    """A worn, held or standalone object with the person it belongs to (or None)."""

    cls: str
    appears: str
    phrase: str
    person: int | None


@dataclass
class ScenePlan:
    """What one scenario puts in a scene, independent of the variables."""

    person_cls: str | None
    person_phrase: str
    people: int
    items: list[Item] = field(default_factory=list)


def plan_scene(policy: Policy, scenario: Scenario) -> ScenePlan:
    """The people and objects of `scenario`, with each worn or held item given to a person:
    the first k people wear an item that appears k times, so a violating scenario with one
    hard hat for two people has the second person bare-headed. Classes the policy does not
    know are skipped."""
    kinds = {c.name: c for c in policy.classes}
    person_cls = next((c.name for c in policy.classes if c.appears == "person"), None)
    counts = [(kinds[c.name], c.count) for c in scenario.classes if c.name in kinds and c.count]
    people = sum(k for c, k in counts if c.appears == "person")
    carried = [k for c, k in counts if c.appears in ("worn_on_head", "worn_on_body", "held")]
    if not people and carried:
        people = max(carried)
    people = min(people, MAX_PEOPLE)
    items: list[Item] = []
    for c, k in counts:
        if c.appears == "person":
            continue
        phrase = c.description or with_article(spaced(c.name))
        if c.appears == "standalone":
            items += [Item(c.name, c.appears, phrase, (j % people) if people else None)
                      for j in range(k)]
        elif people:
            items += [Item(c.name, c.appears, phrase, j) for j in range(min(k, people))]
    person_phrase = (kinds[person_cls].description or "a person") if person_cls else "a person"
    return ScenePlan(person_cls, person_phrase[:200], people, items)


def place_layout(plan: ScenePlan, scale: float, rng: random.Random) -> list[tuple]:
    """Boxes for one image as (cls, phrase, (x0, y0, x1, y1), parent) tuples; parent is the
    index (in this list) of the person box an item belongs to. Person boxes come first.

    Coordinates are rounded to 4 decimals (short, stable spec hashes). Person boxes are
    rounded first and worn items derived from them, so rounding, being monotonic, keeps
    every worn item inside its wearer's box."""
    rnd = rng.random
    out: list[tuple] = []
    people: list[tuple[float, float, float, float]] = []
    n = plan.people
    if n:
        slot = 0.96 / n
        for i in range(n):
            h = scale * (0.88 + 0.24 * rnd())
            h = 0.96 if h > 0.96 else h
            w = h * (0.36 + 0.1 * rnd())
            if slot >= w:
                cx = 0.02 + slot * i + w / 2 + (slot - w) * rnd()
            else:  # crowded: people overlap, evenly spread
                cx = 0.02 + slot * (i + 0.5)
            cx = min(max(cx, w / 2 + 0.005), 0.995 - w / 2)
            foot = 0.985 - (1.0 - scale) * 0.3 * rnd()
            top = foot - h
            if top < 0.005:
                top, foot = 0.005, 0.005 + h
            box = (round(cx - w / 2, 4), round(top, 4), round(cx + w / 2, 4), round(foot, 4))
            people.append(box)
            if plan.person_cls is not None:
                out.append((plan.person_cls, plan.person_phrase, box, None))
    has_person = plan.person_cls is not None
    heads: dict[int, int] = {}
    bodies: dict[int, int] = {}
    for it in plan.items:
        j = it.person
        if j is None:
            out.append((it.cls, it.phrase, _clipped(_on_ground(scale, rnd)), None))
            continue
        p = people[j]
        if it.appears == "worn_on_head":
            k = heads[j] = heads.get(j, -1) + 1
            box = _on_head(p, k)
        elif it.appears == "worn_on_body":
            k = bodies[j] = bodies.get(j, -1) + 1
            box = _on_torso(p, k)
        elif it.appears == "held":
            box = _at_hand(p)
        else:
            out.append((it.cls, it.phrase, _clipped(_beside(p, rnd)), None))
            continue
        out.append((it.cls, it.phrase, box, j if has_person else None))
    return out


def _on_head(p, k: int):
    x0, y0, x1, y1 = p
    w, h, cx = x1 - x0, y1 - y0, (x0 + x1) / 2
    if k == 0:  # a hat: the top of the head, a little wider than the face
        return (round(cx - 0.27 * w, 4), y0, round(cx + 0.27 * w, 4), round(y0 + 0.13 * h, 4))
    return (round(cx - 0.2 * w, 4), round(y0 + 0.06 * h, 4),  # eyes, ears
            round(cx + 0.2 * w, 4), round(y0 + 0.15 * h, 4))


def _on_torso(p, k: int):
    x0, y0, x1, y1 = p
    w, h, cx = x1 - x0, y1 - y0, (x0 + x1) / 2
    half = 0.36 * w if k == 0 else 0.3 * w
    return (round(cx - half, 4), round(y0 + 0.19 * h, 4), round(cx + half, 4),
            round(y0 + (0.55 if k == 0 else 0.5) * h, 4))


def _at_hand(p):
    x0, y0, x1, y1 = p
    w, h = x1 - x0, y1 - y0
    return (round(x1 - 0.2 * w, 4), round(y0 + 0.46 * h, 4), round(min(0.999, x1 + 0.12 * w), 4),
            round(y0 + 0.6 * h, 4))


def _beside(p, rnd):
    x0, y0, x1, y1 = p
    w, h = x1 - x0, y1 - y0
    shift = (rnd() - 0.5) * 0.8 * w
    return (x0 - 0.15 * w + shift, y1 - 0.4 * h, x1 + 0.15 * w + shift, y1)


def _on_ground(scale: float, rnd):
    w = scale * (0.3 + 0.25 * rnd())
    h = scale * (0.15 + 0.2 * rnd())
    x0 = 0.02 + (0.96 - w) * rnd()
    y1 = 0.99 - (1.0 - scale) * 0.3 * rnd()
    return (x0, y1 - h, x0 + w, y1)


def _clipped(b) -> tuple[float, float, float, float]:
    # Clipped into the image; float() keeps 0 and 1 from turning into ints, which would
    # change the spec hash.
    x0 = float(round(min(max(b[0], 0.0), 0.995), 4))
    y0 = float(round(min(max(b[1], 0.0), 0.995), 4))
    x1 = float(round(min(max(b[2], x0 + 0.004), 1.0), 4))
    y1 = float(round(min(max(b[3], y0 + 0.004), 1.0), 4))
    return (x0, y0, x1, y1)
