"""Variable values -> rendering effects: keyword rules, axis context, hash fallbacks."""

from __future__ import annotations

import pytest

from synthloop.tools.generate.procedural.appearance import COLOURS, derive_looks, look_for
from synthloop.tools.generate.procedural.effects import (
    Effects,
    axis_kind,
    effect_changes,
    resolve_effects,
)
from synthloop.tools.generate.procedural.generator import scenario_decoys
from synthloop.tools.models import Policy, Scenario


@pytest.mark.parametrize("axis, value, field, check", [
    ("lighting", "night", "brightness", lambda v: v < 0.5),
    ("time_of_day", "dusk", "brightness", lambda v: 0.5 < v < 0.8),
    ("lighting", "low light", "noise", lambda v: v > 0),
    ("weather", "fog", "fog", lambda v: v >= 0.4),
    ("weather", "heavy fog", "fog", lambda v: v > 0.5),
    ("weather", "light rain", "rain", lambda v: 0 < v < 0.5),
    ("weather", "snow", "snow", lambda v: v > 0),
    ("occlusion", "heavy", "occlusion", lambda v: v >= 0.6),
    ("occlusion", "partial", "occlusion", lambda v: 0.2 <= v < 0.5),
    ("occlusion", "behind a pillar", "occlusion", lambda v: v > 0),
    ("occlusion", "none", "occlusion", lambda v: v == 0),
    ("distance", "far", "blur", lambda v: v > 0),
    ("motion", "blurry", "blur", lambda v: v >= 1),
    ("background", "warehouse", "background", lambda v: v == "warehouse"),
    ("scene", "building site", "background", lambda v: v == "site"),
    ("clutter", "busy", "distractors", lambda v: v > 0),
    ("camera_angle", "overhead", "horizon", lambda v: v < 0.3),
    ("camera", "tilted", "tilt", lambda v: v != 0),
])
def test_known_values_map_to_their_effect(axis, value, field, check):
    fx = resolve_effects({axis: value})
    assert check(getattr(fx, field)), (axis, value, getattr(fx, field))


def test_the_axis_decides_what_an_ambiguous_word_means():
    assert resolve_effects({"clothing_colour": "dark"}).clothing == COLOURS["dark"]
    assert resolve_effects({"clothing_colour": "dark"}).brightness == 1.0
    assert resolve_effects({"lighting": "dark"}).brightness < 0.5
    assert resolve_effects({"skin_tone": "dark"}).skin is not None
    assert resolve_effects({"clutter": "low"}).brightness == 1.0  # 'low' is not low light here
    assert resolve_effects({"lighting": "low"}).brightness < 1.0


def test_colour_axes_target_the_class_they_name():
    fx = resolve_effects({"vest_colour": "orange"}, ("person", "hard_hat", "vest"))
    assert fx.item_colours == (("vest", COLOURS["orange"]),)
    assert resolve_effects({"item_colour": "green"}, ("vest",)).item_colours == (("*", COLOURS["green"]),)


def test_combined_values_apply_every_part():
    fx = resolve_effects({"conditions": "night rain", "background": "dark warehouse"})
    assert fx.rain > 0 and fx.brightness < 0.5 and fx.background == "warehouse"


def test_unknown_pairs_get_a_deterministic_nonneutral_effect():
    a, how = effect_changes("mood", "whimsical", ())
    assert how == "hash" and a and a == effect_changes("mood", "whimsical", ())[0]
    assert resolve_effects({"mood": "whimsical"}) != Effects()
    assert resolve_effects({"mood": "whimsical"}) != resolve_effects({"mood": "grumpy"})


def test_known_axis_with_unknown_value_keeps_the_axis_meaning():
    assert effect_changes("occlusion", "zzz", ())[1] == "axis"
    assert resolve_effects({"background": "moonbase"}).background is not None


def test_effects_are_order_independent_and_bounded():
    v = {"lighting": "night", "weather": "storm", "tunnel": "dark tunnel", "occlusion": "heavy heavy"}
    fx = resolve_effects(v)
    assert fx == resolve_effects(dict(reversed(list(v.items()))))
    assert 0.18 <= fx.brightness and fx.occlusion <= 0.8


def test_axis_kinds():
    assert axis_kind("time_of_day") == "lighting"
    assert axis_kind("weather_conditions") == "weather"
    assert axis_kind("clothing_colour") == "clothing"
    assert axis_kind("frobnication") is None


def test_keyword_looks_and_negations():
    assert look_for("hard_hat", "worn_on_head").painter == "dome"
    assert look_for("no_hard_hat", "worn_on_head").painter == "bare_head"
    assert look_for("hi_vis_vest", "worn_on_body").painter == "vest"
    assert look_for("e_scooter", "standalone").painter == "scooter"
    assert look_for("wet_floor_sign", "standalone").painter == "sign"
    assert look_for("thingamajig", "held").painter in ("phone", "tool", "bottle", "clipboard", "bag",
                                                     "orb", "stick")
    # a description may pick the painter, but never turns an item into a person
    assert look_for("gizmo", "worn_on_head", "worn by a worker").painter != "person"


def test_looks_do_not_depend_on_the_order_classes_are_listed():
    a = derive_looks([("x_helmet", "worn_on_head", ""), ("y_helmet", "worn_on_head", "")])
    b = derive_looks([("y_helmet", "worn_on_head", ""), ("x_helmet", "worn_on_head", "")])
    assert a == b and a["x_helmet"] != a["y_helmet"]


def test_hard_negative_scenarios_get_decoys():
    p = Policy(title="t", scenarios=[
        Scenario(id="cap", kind="hard_negative", description="a worker wearing a baseball cap"),
        Scenario(id="shirt", kind="hard_negative", description="a plain orange T-shirt, no vest"),
        Scenario(id="floor", kind="hard_negative", description="a polished floor with reflections"),
        Scenario(id="plain", kind="violating", description="a baseball cap")])
    d = scenario_decoys(p)
    assert d["cap"] == ("head:cap",)
    assert d["shirt"] == ("shirt:" + ",".join(map(str, COLOURS["orange"])),)
    assert d["floor"] == ("gloss",)
    assert "plain" not in d
