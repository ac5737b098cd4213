"""Policy YAML: round trip, import errors that name the field and leave stored versions
untouched, versioning with parents, diff, and the built-in examples."""

from __future__ import annotations

import pytest

from synthloop.tools.design import (
    diff_policies,
    example_names,
    export_policy,
    import_policy,
    load_example_policy,
    load_policy_yaml,
    policy_from_yaml,
    policy_to_yaml,
    save_policy_yaml,
)
from synthloop.tools.errors import NotFound, ValidationError
from synthloop.tools.models import AxisValue, Policy
from tests.support.factories import helmet_policy


@pytest.mark.parametrize("name", ["ppe", "scooter_helmet", "floor_spill"])
def test_examples_load_and_round_trip(name, tmp_path):
    assert name in example_names()
    p = load_example_policy(name)
    path = save_policy_yaml(p, tmp_path / "p.yaml")
    again = load_policy_yaml(path)
    assert again == p and again.content_hash() == p.content_hash()


def test_ppe_example_has_what_the_loop_needs():
    p = load_example_policy("ppe")
    assert p.class_names() == ["person", "hard_hat", "hi_vis_vest"]
    kinds = {s.kind for s in p.scenarios}
    assert kinds == {"compliant", "violating", "hard_negative", "edge_case"}
    assert any("cap" in s.description for s in p.scenarios if s.kind == "hard_negative")
    axes = {a.name: a for a in p.axes}
    assert {"lighting", "clothing_colour", "occlusion", "distance", "weather", "background",
            "skin_tone"} <= set(axes)
    assert axes["lighting"].value_names() == ["day", "dusk", "night"]
    assert "dark" in axes["clothing_colour"].value_names()
    assert axes["occlusion"].value_names() == ["none", "partial", "heavy"]
    assert axes["distance"].value_names() == ["near", "mid", "far"]
    assert axes["skin_tone"].fairness


def test_unknown_example():
    with pytest.raises(NotFound, match="nope") as e:
        load_example_policy("nope")
    assert "ppe" in e.value.hint


def test_yaml_uses_readable_shorthands():
    text = policy_to_yaml(helmet_policy())
    assert "classes:\n    person: 1\n" in text or "person: 1" in text
    assert "values:\n  - day\n  - {value: night, weight: 0.5}" in text
    assert "classes: [person, helmet, e_bike]" in text
    assert policy_from_yaml(text) == helmet_policy()


BAD = [
    ("unknown key", lambda t: t.replace("title:", "colour: red\ntitle:", 1), "unknown key 'colour'"),
    ("unknown nested key", lambda t: t.replace("  appears: person", "  appears: person\n  size: 3", 1),
     "unknown key 'size' in classes[0: person]"),
    ("path-like class name", lambda t: t.replace("name: helmet", "name: ../x"),
     "classes[1: ../x].name"),
    ("class name with a space", lambda t: t.replace("name: helmet", "name: a b"), "'a b'"),
    ("wrong type", lambda t: t.replace("severity: high", "severity: [1, 2]"), "rules[0: R1].severity"),
    ("bad enum", lambda t: t.replace("appears: worn_on_head", "appears: flying"), "appears"),
    ("not yaml", lambda t: t + "\n  - : : [", "not valid YAML at line"),
    ("not a mapping", lambda t: "- just\n- a list\n", "must hold a mapping"),
    ("missing title", lambda t: t.replace("title: Helmets on e-bikes\n", ""), "missing required field title"),
]


@pytest.mark.parametrize("what,mutate,expect", BAD, ids=[b[0] for b in BAD])
def test_bad_yaml_names_the_problem(what, mutate, expect):
    text = mutate(policy_to_yaml(helmet_policy()))
    with pytest.raises(ValidationError) as e:
        policy_from_yaml(text, source="p.yaml")
    assert expect in e.value.message, e.value.message
    assert e.value.message.startswith("p.yaml: ") and e.value.hint


@pytest.mark.parametrize("mutate,expect", [
    (BAD[0][1], "unknown key"),
    (BAD[2][1], "../x"),
    (lambda t: t.replace("classes: [person, helmet, e_bike]", "classes: [person, goggles]"),
     "goggles"),
])
def test_import_errors_leave_versions_untouched(ws, tmp_path, mutate, expect):
    v1 = ws.save_policy(helmet_policy())
    path = tmp_path / "p.yaml"
    path.write_text(mutate(policy_to_yaml(v1)))
    before = ws.list_policies()
    with pytest.raises(ValidationError, match=expect):
        import_policy(ws, path)
    assert ws.list_policies() == before
    assert ws.get_policy() == v1


def test_import_stores_a_new_version_with_its_parent(ws, tmp_path):
    v1 = ws.save_policy(helmet_policy())
    ws.save_policy(helmet_policy(title="unrelated v2"))
    _, path = export_policy(ws, tmp_path / "v1.yaml", version=1)
    edited = path.read_text().replace("severity: high", "severity: medium")
    path.write_text(edited)
    stored, findings = import_policy(ws, path)
    assert stored.version == 3 and stored.parent_version == 1
    assert stored.rules[0].severity == "medium"
    assert ws.get_policy(1) == v1  # never overwritten
    assert not [f for f in findings if f.level == "error"]


def test_import_of_a_fresh_file_takes_the_latest_as_parent(ws, tmp_path):
    ws.save_policy(helmet_policy())
    path = save_policy_yaml(load_example_policy("ppe"), tmp_path / "ppe.yaml")
    stored, _ = import_policy(ws, path)
    assert (stored.version, stored.parent_version) == (2, 1)


def test_missing_file(ws, tmp_path):
    with pytest.raises(NotFound):
        import_policy(ws, tmp_path / "nope.yaml")


def test_diff_finds_added_removed_changed():
    old = helmet_policy()
    new = Policy(**{**old.model_dump(), "title": "Helmets v2",
                    "classes": [c.model_dump() for c in old.classes if c.name != "e_bike"]
                    + [{"name": "gloves", "appears": "worn_on_body"}],
                    "rules": [{**old.rules[0].model_dump(), "severity": "low",
                               "classes": ["person", "helmet"]}],
                    "scenarios": [s.model_dump() for s in old.scenarios if s.id != "cap"],
                    "axes": [a.model_dump() for a in old.axes[:2]]
                    + [{"name": "skin_tone", "fairness": True,
                        "values": [{"value": "light"}, {"value": "dark"}, {"value": "medium"}]}]})
    d = diff_policies(old, new)
    lines = [e.one_line() for e in d.entries]
    assert "~ fields title: 'Helmets on e-bikes' -> 'Helmets v2'" in lines
    assert "- classes e_bike" in lines
    assert any(line.startswith("+ classes gloves") for line in lines)
    assert any(line.startswith("~ rules R1") and "severity: 'high' -> 'low'" in line for line in lines)
    assert "- scenarios cap" in lines
    assert any(line.startswith("~ axes skin_tone") and "medium" in line for line in lines)
    assert d.summary() == "1 added, 2 removed, 3 changed"
    assert diff_policies(old, old).empty


def test_versioning_round_trip_through_the_store(ws, tmp_path):
    v1 = ws.save_policy(load_example_policy("ppe"))
    p = v1.model_copy(update={"axes": [
        a.model_copy(update={"values": [*a.values, AxisValue(value="snow", weight=0.2)]})
        if a.name == "weather" else a for a in v1.axes]})
    path = save_policy_yaml(p, tmp_path / "p.yaml")
    v2, _ = import_policy(ws, path)
    d = diff_policies(ws.get_policy(1), ws.get_policy(2))
    assert [e.key for e in d.entries] == ["weather"] and "snow(0.2)" in d.entries[0].detail[0]
    assert v2.parent_version == 1
