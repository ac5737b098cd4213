"""Planted label faults (benchmark mode): off changes nothing, on plants what it records."""

from __future__ import annotations

from collections import Counter

import pytest

from synthloop.tools.design import expand_specs, load_example_policy
from synthloop.tools.generate.procedural import FaultPlan, ProceduralGenerator


@pytest.fixture(scope="module")
def world():
    policy = load_example_policy("ppe")
    policy.version = 1
    return policy, list(expand_specs(policy, 160, seed=5, split="train"))


def render(policy, specs, **kw):
    gen = ProceduralGenerator(96, 96, workers=1, **kw)
    return gen, {i.spec.id: i for i in gen.generate(specs, policy)}


def test_faults_are_planted_recorded_and_off_by_default(world):
    policy, specs = world
    _, clean = render(policy, specs)
    gen, faulty = render(policy, specs, faults=FaultPlan(fraction=0.05, seed=1))
    kinds = Counter(p.kind for p in gen.planted.values())
    assert set(kinds) == {"missing", "swapped", "shifted", "extra"} and 12 <= sum(kinds.values()) <= 55
    assert all("label faults planted" in i.provenance.note for i in faulty.values())
    assert all("label faults" not in i.provenance.note for i in clean.values())
    for sid, img in faulty.items():
        a, b = clean[sid], img
        p = gen.planted.get(sid)
        if p is None:   # untouched images are byte-identical to the option off
            assert (a.png, a.annotations) == (b.png, b.annotations)
            continue
        assert a.png != b.png or p.kind == "shifted"
        if p.kind == "shifted":
            assert a.png == b.png and a.annotations[p.index].box != b.annotations[p.index].box
            assert [x.cls for x in a.annotations] == [x.cls for x in b.annotations]
        elif p.kind in ("missing", "swapped"):   # same labels, different picture
            assert [x.cls for x in a.annotations] == [x.cls for x in b.annotations]
            assert b.annotations[p.index].cls == p.cls
            if p.kind == "swapped":
                assert p.drawn_as and p.drawn_as != p.cls
        else:   # extra: an object drawn that no label covers
            assert a.annotations == b.annotations and p.index == -1 and p.box


def test_the_plan_is_reproducible_and_seeded(world):
    policy, specs = world
    g1, i1 = render(policy, specs[:60], faults=FaultPlan(seed=3))
    g2, i2 = render(policy, specs[:60], faults=FaultPlan(seed=3))
    g3, _ = render(policy, specs[:60], faults=FaultPlan(seed=4))
    assert g1.planted == g2.planted and [i.png for i in i1.values()] == [i.png for i in i2.values()]
    assert g1.planted != g3.planted
    with pytest.raises(ValueError):
        FaultPlan(fraction=0.5)


def test_extras_stand_on_the_ground_line_unless_asked_to_float(world):
    policy, specs = world
    feet = {}
    for placement in ("grounded", "anywhere"):
        gen, imgs = render(policy, specs, faults=FaultPlan(fraction=0.2, seed=2, kinds=("extra",),
                                                           extra_placement=placement))
        extras = [p for p in gen.planted.values() if p.kind == "extra"]
        assert len(extras) >= 10
        gaps = []
        for p in extras:
            h = p.box[3] - p.box[1]
            same = [a.box for a in imgs[p.spec_id].annotations if a.cls == p.cls]
            gaps.append(min(abs(b[3] - p.box[3]) for b in same) / h)
        feet[placement] = gaps
    assert max(feet["grounded"]) <= 0.08  # feet within ~a twentieth of the height, rounding
    assert max(feet["anywhere"]) > 0.3    # the old planter floats some
