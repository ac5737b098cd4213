"""The procedural generator: determinism, exact boxes, variable effects that change pixels."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from synthloop.tools.generate.base import GeneratedImage, SpecFailed
from synthloop.tools.generate.procedural import ProceduralGenerator
from synthloop.tools.generate.procedural.examples import person_layout, ppe_policy, ppe_specs
from synthloop.tools.generate.procedural.painters import SILHOUETTES, paint_person
from synthloop.tools.generate.procedural.png import encode_rgb_png
from synthloop.tools.models import (
    AxisValue,
    ClassCount,
    GenerationSpec,
    LayoutBox,
    ObjectClass,
    Policy,
    Scenario,
    VariableAxis,
)

W = H = 160  # small images keep the tests quick; effects scale with size
DAY = {"lighting": "day", "weather": "clear", "occlusion": "none", "distance": "near"}


@pytest.fixture(scope="module")
def gen():
    g = ProceduralGenerator(W, H, workers=1)
    yield g
    g.close()


def one(gen, spec: GenerationSpec, policy: Policy | None = None) -> GeneratedImage:
    (img,) = list(gen.generate([spec], policy or ppe_policy()))
    return img


def pixels(img: GeneratedImage) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(img.png)).convert("RGB"), dtype=np.float32)


def spec_with(variables: dict[str, str], seed: int = 7, **kw) -> GenerationSpec:
    (spec,) = ppe_specs(1, seed=seed, variables={**DAY, **variables}, **kw)
    return spec


def lum(a: np.ndarray) -> np.ndarray:
    return a @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def test_same_spec_gives_same_png_bytes_in_process_and_in_workers(gen):
    specs = ppe_specs(12, seed=3)
    first = [i.png for i in gen.generate(specs, ppe_policy())]
    again = [i.png for i in gen.generate(specs, ppe_policy())]
    with ProceduralGenerator(W, H, workers=2, chunk_size=3) as pooled:
        parallel = [i.png for i in pooled.generate(specs, ppe_policy())]
    assert first == again == parallel
    assert len(set(first)) == len(first)  # different seeds, different pictures


def test_png_is_standard_and_lossless():
    a = np.random.default_rng(0).integers(0, 256, (17, 23, 3), dtype=np.uint8)
    back = np.asarray(Image.open(io.BytesIO(encode_rgb_png(a))).convert("RGB"))
    assert np.array_equal(a, back)


def test_annotations_are_the_layout_boxes_in_pixels(gen):
    for spec in ppe_specs(10, seed=11):
        img = one(gen, spec)
        assert (img.width, img.height) == (W, H)
        assert [a.cls for a in img.annotations] == [b.cls for b in spec.layout]
        for a, b in zip(img.annotations, spec.layout, strict=True):
            assert 0 <= a.box[0] < a.box[2] <= W and 0 <= a.box[1] < a.box[3] <= H
            want = (b.box[0] * W, b.box[1] * H, b.box[2] * W, b.box[3] * H)
            assert a.box == pytest.approx(want, abs=0.01)


@pytest.mark.parametrize("painter", sorted(SILHOUETTES))
@pytest.mark.parametrize("size", [(40, 30), (9, 7), (12, 40)])
def test_every_silhouette_fills_its_box_to_the_edges(painter, size):
    w, h = size
    mask = Image.new("L", (w, h), 0)
    SILHOUETTES[painter](ImageDraw.Draw(mask), w, h)
    assert mask.getbbox() == (0, 0, w, h), f"{painter} leaves slack in a {w}x{h} box"


def test_a_bare_headed_person_fills_its_box():
    img = Image.new("RGB", (100, 200), (0, 0, 0))
    paint_person(ImageDraw.Draw(img), (20, 10, 70, 190), skin=(200, 150, 110), hair=(40, 30, 20),
                 shirt=(200, 40, 40), trousers=(40, 40, 90), pose="stand", has_hat=False)
    assert img.getbbox() == (20, 10, 70, 190)


def box_std(img: GeneratedImage, i: int) -> float:
    a = lum(pixels(img))
    x0, y0, x1, y1 = (int(v) for v in img.annotations[i].box)
    return float(a[y0:y1, x0:x1].std())


def test_night_with_dark_clothes_is_darker_and_flatter_than_day(gen):
    for seed in (1, 2, 3):
        day = one(gen, spec_with({}, seed=seed))
        hard = one(gen, spec_with({"lighting": "night", "clothing_colour": "dark"}, seed=seed))
        assert lum(pixels(hard)).mean() < 0.55 * lum(pixels(day)).mean()
        # person (0) and vest (2): far less contrast for a detector to find them by
        assert box_std(hard, 0) < 0.5 * box_std(day, 0)
        assert box_std(hard, 2) < 0.7 * box_std(day, 2)
        assert box_std(hard, 2) > 5  # ... but still there: hard, not impossible


def test_clothing_colour_changes_the_person(gen):
    dark = one(gen, spec_with({"clothing_colour": "dark"}))
    light = one(gen, spec_with({"clothing_colour": "light"}))
    x0, y0, x1, y1 = (int(v) for v in dark.annotations[0].box)
    assert lum(pixels(dark))[y0:y1, x0:x1].mean() < lum(pixels(light))[y0:y1, x0:x1].mean() - 20


def test_fog_lowers_contrast_and_rain_changes_pixels(gen):
    clear = pixels(one(gen, spec_with({})))
    fog = pixels(one(gen, spec_with({"weather": "fog"})))
    rain = pixels(one(gen, spec_with({"weather": "rain"})))
    assert lum(fog).std() < 0.8 * lum(clear).std()
    assert np.abs(rain - clear).mean() > 3


def test_heavy_occlusion_is_recorded_and_hides_more_than_partial(gen):
    none = [a.occluded for s in ppe_specs(6, seed=5, variables={**DAY, "occlusion": "none"})
            for a in one(gen, s).annotations]
    partial = [a.occluded for s in ppe_specs(6, seed=5, variables={**DAY, "occlusion": "partial"})
               for a in one(gen, s).annotations]
    heavy = [a.occluded for s in ppe_specs(6, seed=5, variables={**DAY, "occlusion": "heavy"})
             for a in one(gen, s).annotations]
    assert max(none) == 0.0
    assert np.mean(heavy) > np.mean(partial) > 0.05
    assert max(heavy) <= 0.85  # hard, never impossible
    hats = [a.occluded for s in ppe_specs(6, seed=5, variables={**DAY, "occlusion": "heavy"})
            for a in one(gen, s).annotations if a.cls == "hard_hat"]
    assert np.median(hats) > 0.5  # heavy occlusion hides most of a hard hat


def test_far_people_are_small_and_blurred(gen):
    near = one(gen, spec_with({"distance": "near"}))
    far = one(gen, spec_with({"distance": "far"}))
    area = lambda img: (img.annotations[0].box[2] - img.annotations[0].box[0]) * (  # noqa: E731
        img.annotations[0].box[3] - img.annotations[0].box[1])
    assert area(far) < 0.3 * area(near)
    sharpness = lambda a: np.abs(np.diff(lum(a), axis=1)).mean()  # noqa: E731
    assert sharpness(pixels(far)) < sharpness(pixels(near))


def test_unknown_axes_and_values_render_deterministically_and_differently(gen):
    base = spec_with({})
    odd = [spec_with({"mood": "whimsical"}), spec_with({"mood": "grumpy"}),
           spec_with({"zz_axis": "qq"}), spec_with({"lighting": "purple haze ~~"})]
    ref = pixels(one(gen, base))
    for spec in odd:
        a, b = one(gen, spec), one(gen, spec)
        assert a.png == b.png
        assert np.abs(pixels(a) - ref).mean() > 0.5, spec.variables


def test_any_policy_renders_including_classes_it_does_not_know(gen):
    policy = Policy(
        title="odd", task="classification",
        classes=[ObjectClass(name="wibble", appears="held"), ObjectClass(name="frob", appears="standalone"),
                 ObjectClass(name="rider", appears="person")],
        scenarios=[Scenario(id="s1", kind="compliant", label="ok",
                            classes=[ClassCount(name="rider"), ClassCount(name="wibble")])],
        axes=[VariableAxis(name="glorp", values=[AxisValue(value="x")])])
    spec = GenerationSpec(policy_version=1, scenario_id="s1", prompt="p", seed=4, label="ok",
                          variables={"glorp": "x"},
                          layout=[LayoutBox(cls="rider", box=(0.3, 0.2, 0.6, 0.9)),
                                  LayoutBox(cls="wibble", box=(0.5, 0.5, 0.7, 0.6), parent=0),
                                  LayoutBox(cls="not_in_policy", box=(0.05, 0.7, 0.25, 0.95))])
    img = one(gen, spec, policy)
    assert img.label == "ok" and len(img.annotations) == 3
    assert img.provenance.generator == "procedural" and "simulator" in img.provenance.note


def test_detection_samples_carry_no_image_label(gen):
    assert one(gen, spec_with({})).label is None


def test_classes_get_distinct_looks():
    from synthloop.tools.generate.procedural.appearance import derive_looks

    looks = derive_looks([("hard_hat", "worn_on_head", ""), ("helmet_a", "worn_on_head", ""),
                          ("helmet_b", "worn_on_head", ""), ("vest", "worn_on_body", ""),
                          ("person", "person", ""), ("visitor", "person", "")])
    keys = {(lk.painter, lk.colour) for lk in looks.values()}
    assert len(keys) == len(looks)
    assert looks["hard_hat"].painter == "dome" and looks["vest"].painter == "vest"


def test_a_failing_spec_raises_spec_failed_after_the_images_before_it(gen, monkeypatch):
    from synthloop.tools.generate.procedural import pool

    specs = ppe_specs(5, seed=2)
    real = pool.render_scene

    def flaky(job, *a, **k):
        if job.spec_id == specs[3].id:
            raise RuntimeError("boom")
        return real(job, *a, **k)

    monkeypatch.setattr(pool, "render_scene", flaky)
    out = []
    with pytest.raises(SpecFailed) as err:
        for img in gen.generate(specs, ppe_policy()):
            out.append(img.spec.id)
    assert out == [s.id for s in specs[:3]] and err.value.spec_id == specs[3].id


def test_worn_items_sit_on_their_person(gen):
    spec = spec_with({})
    img = one(gen, spec)
    person, hat, vest = img.annotations[:3]
    assert (hat.cls, vest.cls) == ("hard_hat", "vest")
    assert person.box[1] == pytest.approx(hat.box[1], abs=0.5)  # the hat tops the person
    assert person.box[0] < vest.box[0] < vest.box[2] < person.box[2]


def test_person_layout_helper_is_valid():
    import random

    boxes = person_layout(random.Random(0), 0.9, True, True, people=3)
    assert len(boxes) == 9 and all(0 <= b.box[0] < b.box[2] <= 1 for b in boxes)


def test_boxes_on_the_border_are_marked_truncated(gen):
    spec = GenerationSpec(policy_version=1, scenario_id="compliant_worker", prompt="p", seed=1,
                          layout=[LayoutBox(cls="person", box=(0.7, 0.2, 1.0, 0.9)),
                                  LayoutBox(cls="person", box=(0.1, 0.2, 0.4, 0.9))])
    a, b = one(gen, spec).annotations
    assert a.truncated and a.box[2] == W and not b.truncated
