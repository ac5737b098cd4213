"""Variable axes: a sane default set, and the checks and merge that turn a proposed set
(from an LLM or a person) into a bounded, duplicate-free one.

A small model proposes two or three axes at best; merging with the defaults means even a
shallow draft varies lighting, distance, occlusion and the people in view, which is where
detectors trained on synthetic data fail first.
"""

from __future__ import annotations

from ..models import AxisValue, Policy, VariableAxis
from .fill import with_changes
from .lint import MAX_AXES, MAX_AXIS_VALUES
from .names import normalise_text, to_snake

# Name variants a model writes for the same axis; the key is the name we keep.
SYNONYMS = {
    "lighting": ("light", "illumination", "light_level", "lighting_condition", "lighting_conditions"),
    "time_of_day": ("time", "daytime", "hour"),
    "weather": ("weather_condition", "weather_conditions", "climate"),
    "skin_tone": ("skin", "skin_color", "skin_colour", "complexion", "ethnicity"),
    "age": ("age_group", "age_range"),
    "gender_presentation": ("gender", "sex"),
    "clothing_colour": ("clothing_color", "clothes_colour", "clothes_color", "outfit_colour",
                        "outfit_color", "clothing"),
    "background": ("location", "setting", "scene", "environment", "place", "site"),
    "camera_angle": ("angle", "viewpoint", "view", "camera_view", "perspective"),
    "distance": ("scale", "camera_distance", "subject_distance", "zoom", "shot_size"),
    "occlusion": ("occluded", "occlusion_level", "visibility"),
    "accessory": ("accessories",),
}
_CANONICAL = {alias: name for name, aliases in SYNONYMS.items() for alias in aliases}
FAIRNESS_AXES = frozenset({"skin_tone", "age", "gender_presentation", "body_type",
                           "mobility_aid", "hair_style", "head_covering"})
# More axes make thinner slices: defaults fill a policy up to this many, no further.
DEFAULT_TOP_UP = 8
# Axes that describe people; they only make sense when a policy shows people.
PERSON_AXES = FAIRNESS_AXES | {"clothing_colour", "accessory", "pose"}


def _axis(name: str, values: list[str | tuple[str, float]], fairness: bool = False) -> VariableAxis:
    vals = [AxisValue(value=v) if isinstance(v, str) else AxisValue(value=v[0], weight=v[1])
            for v in values]
    return VariableAxis(name=name, values=vals, fairness=fairness)


def default_axes(*, with_people: bool = True) -> list[VariableAxis]:
    """The default axes, in priority order (the first ones survive when space runs out).
    Rare but hard conditions (night, heavy occlusion, far) keep a lower weight so they are
    present in every dataset without dominating it."""
    axes = [
        _axis("lighting", ["day", ("overcast", 0.8), ("dusk", 0.6), ("night", 0.5)]),
        _axis("distance", ["near", "mid", ("far", 0.7)]),
        _axis("occlusion", ["none", ("partial", 0.6), ("heavy", 0.3)]),
        _axis("skin_tone", ["light", "medium", "dark"], fairness=True),
        _axis("weather", ["clear", ("rain", 0.5), ("fog", 0.3)]),
        _axis("camera_angle", ["eye_level", ("high_angle", 0.7), ("low_angle", 0.4)]),
        _axis("gender_presentation", ["feminine", "masculine"], fairness=True),
        _axis("age", ["young_adult", "middle_aged", ("older", 0.7)], fairness=True),
        _axis("clothing_colour", ["dark", "light", "bright", ("patterned", 0.5)]),
    ]
    return [a for a in axes if with_people or a.name not in PERSON_AXES]


def canonical_axis_name(name: str) -> str:
    """The name we keep for an axis a model called e.g. 'Light level' or 'skin colour'."""
    snake = to_snake(name)
    return _CANONICAL.get(snake, snake)


def clean_axis(name: str, values: list[tuple[str, float]], *,
               fairness: bool = False) -> tuple[VariableAxis | None, list[str]]:
    """One axis from raw (value, weight) pairs: names snake_cased, duplicate and empty values
    dropped, weights clamped into the model's range, at most MAX_AXIS_VALUES values kept.
    Returns (axis or None when nothing usable is left, notes on what was changed)."""
    notes: list[str] = []
    axis_name = canonical_axis_name(name)
    if not axis_name:
        return None, [f"dropped an axis with an unusable name {name!r}"]
    kept: list[AxisValue] = []
    seen: set[str] = set()
    for raw, weight in values:
        value = to_snake(raw, max_len=64)
        key = normalise_text(value)
        if not value or key in seen:
            notes.append(f"axis {axis_name}: dropped {'duplicate' if value else 'empty'} value {raw!r}")
            continue
        seen.add(key)
        kept.append(AxisValue(value=value, weight=min(max(float(weight or 1.0), 0.01), 100.0)))
    if len(kept) > MAX_AXIS_VALUES:
        notes.append(f"axis {axis_name}: kept the first {MAX_AXIS_VALUES} of {len(kept)} values")
        kept = kept[:MAX_AXIS_VALUES]
    if not kept:
        return None, notes + [f"dropped axis {axis_name}: no usable values"]
    fair = fairness or axis_name in FAIRNESS_AXES
    if fair and not fairness:
        notes.append(f"axis {axis_name}: marked as a fairness axis")
    return VariableAxis(name=axis_name, values=kept, fairness=fair), notes


def merge_axes(policy: Policy, proposed: list[VariableAxis], *, max_axes: int = MAX_AXES,
               top_up_to: int = DEFAULT_TOP_UP) -> tuple[Policy, list[str]]:
    """`policy` with `proposed` axes merged into its own, then topped up with the defaults
    (people axes only when the policy shows people) until it has `top_up_to` axes; at most
    `max_axes` are kept. Axes the policy already has win over proposed ones of the same
    name; proposed ones win over defaults. Returns (new policy, notes)."""
    notes: list[str] = []
    merged: dict[str, VariableAxis] = {}
    for source, axes in (("policy", policy.axes), ("proposed", proposed)):
        for a in axes:
            axis, n = clean_axis(a.name, [(v.value, v.weight) for v in a.values],
                                 fairness=a.fairness)
            notes += n
            if axis is None:
                continue
            if axis.name in merged:
                if source == "proposed":
                    notes.append(f"axis {axis.name}: kept the policy's values, not the proposed ones")
                continue
            merged[axis.name] = axis
    with_people = any(c.appears == "person" for c in policy.classes)
    added = []
    for d in default_axes(with_people=with_people):
        if len(merged) >= min(top_up_to, max_axes):
            break
        if d.name not in merged:
            merged[d.name] = d
            added.append(d.name)
    if added:
        notes.append(f"added default axes: {', '.join(added)}")
    axes = list(merged.values())
    if len(axes) > max_axes:
        notes.append(f"kept {max_axes} of {len(axes)} axes")
        axes = axes[:max_axes]
    return with_changes(policy, axes=axes), notes
