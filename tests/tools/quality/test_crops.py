"""The object-crop verifier: its crops (geometry only), its judgement on given out-of-fold
probabilities, and one real two-fold run on planted faults (slow)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from synthloop.tools.config import CropVerifyConfig
from synthloop.tools.errors import ValidationError
from synthloop.tools.models import Annotation, Provenance, Sample
from synthloop.tools.quality.crop_data import (
    absent_boxes,
    background_boxes,
    class_sizes,
    hard_negatives,
    iou,
    jittered_boxes,
    looks_swapped,
    nms,
    on_a_carrier,
    reframed,
    relative_parts,
    scan_windows,
    worn_erased,
)
from synthloop.tools.quality.crops import ObjectCropVerifier

NAMES = ["person", "hard_hat"]
APPEARS = {"person": "person", "hard_hat": "worn_on_head"}


def sample(i: int, anns, w=160, h=160) -> Sample:
    return Sample(id=f"s{i:03d}", image="x.png", width=w, height=h,
                  annotations=[Annotation(cls=c, box=b, occluded=o) for c, b, o in anns],
                  provenance=Provenance(generator="procedural"))


PERSON = ("person", (40.0, 30.0, 80.0, 130.0), 0.0)
HAT = ("hard_hat", (48.0, 30.0, 72.0, 42.0), 0.0)


def test_background_boxes_keep_off_every_label_of_their_class():
    s = sample(0, [PERSON, HAT, ("person", (100.0, 20.0, 140.0, 120.0), 0.0)])
    boxes = background_boxes(s, random.Random(1), per_label=6)
    assert len(boxes) >= 12
    for b in boxes:
        assert all(iou(b, a.box) < 0.5 for a in s.annotations)
    # each is the size of some label: a box of nothing, framed like an object
    sizes = {(round(a.box[2] - a.box[0]), round(a.box[3] - a.box[1])) for a in s.annotations}
    assert all((round(b[2] - b[0]), round(b[3] - b[1])) in sizes for b in boxes)


def test_jittered_copies_still_frame_their_object():
    s = sample(0, [PERSON, HAT])
    for j, b in jittered_boxes(s, random.Random(2)):
        assert 0.65 <= iou(b, s.annotations[j].box) < 1.0


def test_worn_classes_are_scanned_only_where_they_are_worn():
    s = sample(0, [PERSON, HAT])
    wins = scan_windows(s, class_sizes([s]), APPEARS)
    hats = [b for c, b in wins if c == "hard_hat"]
    people = [b for c, b in wins if c == "person"]
    assert hats and people
    # hats: around the person's head only (top 35 % of its box, a quarter of its width aside)
    assert all(b[1] >= 30 - 10 - 1e-6 and b[1] <= 30 + 0.35 * 100 for b in hats)
    assert all(b[0] >= 40 - 10 - 1e-6 and b[2] <= 80 + 10 + 0.5 * 24 for b in hats)
    # people: across the whole image
    assert min(b[0] for b in people) == 0 and max(b[2] for b in people) > 140
    # no carrier, no hat windows
    alone = sample(1, [("hard_hat", (10.0, 10.0, 30.0, 20.0), 0.0)])
    assert not [c for c, _ in scan_windows(alone, class_sizes([alone]), APPEARS) if c == "hard_hat"]


def test_where_a_worn_class_would_be_is_learnt_and_used_where_it_is_missing():
    worn = [sample(i, [("person", (10.0 * i, 20.0, 10.0 * i + 40, 120.0), 0.0),
                       ("hard_hat", (10.0 * i + 8, 20.0, 10.0 * i + 32, 32.0), 0.0)])
            for i in range(4)]
    parts = relative_parts(worn, APPEARS)
    assert parts["hard_hat"] == pytest.approx((0.2, 0.0, 0.8, 0.12))
    bare = sample(9, [PERSON, ("person", (100.0, 20.0, 140.0, 120.0), 0.0),
                      ("hard_hat", (108.0, 20.0, 132.0, 32.0), 0.0)])
    # the first person has no hat label: its head is a background example; the second has one
    assert absent_boxes(bare, parts, APPEARS) == [pytest.approx((48.0, 30.0, 72.0, 42.0))]
    assert relative_parts(worn[:2], APPEARS) == {}       # too few labels to learn from


def test_nms_keeps_the_best_of_overlapping_windows_per_class():
    a, b = (0.0, 0.0, 10.0, 10.0), (1.0, 1.0, 11.0, 11.0)
    kept = nms([(0.8, "person", a), (0.9, "person", b), (0.7, "hard_hat", a)])
    assert [(k[0], k[1]) for k in kept] == [(0.9, "person"), (0.7, "hard_hat")]


def test_standardized_crops_look_the_same_dark_or_flat_as_bright():
    import torch

    from synthloop.tools.quality.crops import _net

    x = torch.rand(2, 3, 16, 16)
    first = _net(3, standardize=True)[0]
    unit = lambda t: t / t.std((1, 2, 3), keepdim=True)  # noqa: E731
    for dimmed in (0.2 * x, 0.3 * x + 0.5):  # night dims, fog flattens towards grey
        assert torch.allclose(unit(first(x)), unit(first(dimmed)), atol=1e-4)
    assert abs(float(first(x).mean())) < 1e-5
    plain = _net(3)
    assert isinstance(plain[0], torch.nn.Conv2d)


def judge(samples, where, y, probs, cfg=None):
    v = ObjectCropVerifier(cfg or CropVerifyConfig(scan=False))
    return v, v._judge(None, samples, None, np.array(y), where, np.array(probs), NAMES, APPEARS,
                       [None] * len(samples))


def label_probs(samples, odd: dict, background: bool = True):
    """(where, y, probs) for every label of `samples`: a sure right answer, except for the
    labels in `odd` ((sample id, label index) -> probabilities); with `background`, one sure
    background crop per sample."""
    where, y, probs = [], [], []
    for si, s in enumerate(samples):
        for j, a in enumerate(s.annotations):
            where.append((si, j))
            y.append(NAMES.index(a.cls))
            sure = [0.96, 0.02, 0.02] if a.cls == "person" else [0.02, 0.95, 0.03]
            probs.append(odd.get((s.id, j), sure))
        if background:
            where.append((si, -1))
            y.append(2)
            probs.append([0.01, 0.01, 0.98])
    return where, y, probs


def test_a_label_the_classifier_does_not_see_is_flagged_with_its_reason():
    clean = [sample(i, [PERSON, HAT]) for i in range(1, 21)]
    gone = sample(0, [PERSON, HAT])                               # its hat was never drawn
    hidden = sample(21, [PERSON, ("hard_hat", HAT[1], 0.7)])       # a hat 70 % hidden
    swapped = sample(22, [PERSON, HAT])                            # the "hat" is a person
    samples = [gone, *clean, hidden, swapped]
    where, y, probs = label_probs(samples, {
        (gone.id, 1): [0.02, 0.03, 0.95],
        (hidden.id, 1): [0.05, 0.2, 0.75],   # below 0.4, but above 0.4 x 0.4: too little seen
        (swapped.id, 1): [0.90, 0.06, 0.04]})
    v, out = judge(samples, where, y, probs)
    by = {o.sample_id: o for o in out}
    assert by["s000"].verdict == "suspect" and by["s000"].objects[0].index == 1
    assert "sees no hard_hat" in by["s000"].reason
    assert by["s022"].verdict == "suspect" and "looks like person" in by["s022"].reason
    assert by["s021"].verdict == "ok"
    assert all(by[s.id].verdict == "ok" for s in clean)
    assert by["s000"].score < 0.05 and by["s001"].score == 1.0
    assert {"s000", "s022"} <= v.by_cleanlab | v.by_rule


def test_a_label_that_also_looks_like_another_class_is_flagged_unless_that_rule_is_off():
    clean = [sample(i, [PERSON, HAT]) for i in range(1, 21)]
    vest_look = sample(0, [PERSON, HAT])  # its hat is drawn with another class's look
    samples = [vest_look, *clean]
    # its own class is above the threshold (0.4), but a third of it goes to "person"
    where, y, probs = label_probs(samples, {(vest_look.id, 1): [0.35, 0.55, 0.10]},
                                  background=False)
    # the only other class is the person a hat sits on: worn_context off to see the rule
    _, out = judge(samples, where, y, probs, CropVerifyConfig(scan=False, worn_context=False))
    assert out[0].verdict == "suspect" and out[0].objects[0].index == 1
    assert "looks like person" in out[0].reason
    assert all(v.verdict == "ok" for v in out[1:])
    _, off = judge(samples, where, y, probs, CropVerifyConfig(scan=False, other_threshold=1.0))
    assert off[0].verdict == "ok"


def test_people_lose_their_worn_objects_in_the_erased_copy_and_nothing_else_changes():
    from PIL import Image

    img = Image.new("RGB", (160, 160), (90, 90, 90))
    img.paste((200, 160, 120), (40, 30, 80, 130))      # the person: skin-ish
    img.paste((250, 220, 0), (48, 30, 72, 42))         # a yellow hat on its head
    img.paste((250, 220, 0), (120, 140, 140, 150))     # a yellow thing no person wears
    s = sample(0, [PERSON, HAT, ("hard_hat", (120.0, 140.0, 140.0, 150.0), 0.0)])
    erased, lost = worn_erased(img, s, APPEARS)
    a, b = np.asarray(img).astype(int), np.asarray(erased).astype(int)
    assert lost == [0]
    hat = b[31:41, 49:71]
    assert np.abs(hat - [250, 220, 0]).sum(-1).min() > 60     # no yellow left on the head
    assert (a[60:130] == b[60:130]).all()                      # the body below is untouched
    assert (b[141:149, 121:139] == [250, 220, 0]).all()        # not on a person: kept
    assert worn_erased(img, sample(1, [PERSON]), APPEARS) is None


def test_each_worn_object_is_repainted_with_another_class_look_and_labelled_so():
    from PIL import Image

    appears = {**APPEARS, "vest": "worn_on_body"}
    img = Image.new("RGB", (160, 160), (90, 90, 90))
    img.paste((250, 220, 0), (48, 30, 72, 42))        # the hat: yellow
    img.paste((0, 200, 80), (44, 50, 76, 90))         # the vest: green
    s = sample(0, [PERSON, HAT, ("vest", (44.0, 50.0, 76.0, 90.0), 0.0)])
    out = looks_swapped(img, s, appears)
    assert [(box, look) for _, box, look in out] == [(HAT[1], "vest"), ((44.0, 50.0, 76.0, 90.0), "hard_hat")]
    hat_as_vest = np.asarray(out[0][0])
    assert (hat_as_vest[32:40, 50:70] == [0, 200, 80]).all()        # green on the head now
    assert (hat_as_vest[52:88, 46:74] == [0, 200, 80]).all()        # the vest itself kept
    assert looks_swapped(img, sample(1, [PERSON, HAT]), appears) == []  # no other class


def test_reframed_boxes_surround_the_box_and_worn_candidates_need_a_person():
    box = (40.0, 30.0, 80.0, 130.0)
    boxes = reframed(box)
    assert len(boxes) == 27 and box in [tuple(round(v, 6) for v in b) for b in boxes]
    assert all(iou(b, box) > 0.5 for b in boxes)
    s = sample(0, [PERSON])
    assert on_a_carrier(s, "hard_hat", (50.0, 28.0, 70.0, 40.0), APPEARS)    # on its head
    assert not on_a_carrier(s, "hard_hat", (120.0, 140.0, 140.0, 150.0), APPEARS)
    assert on_a_carrier(s, "person", (120.0, 20.0, 150.0, 120.0), APPEARS)   # people stand anywhere


class _Framing:
    """A stand-in crop model: 'person' as sure as its crop is bright in the middle and dark
    in the margin, i.e. as well as the box frames the one white rectangle of the image."""

    def __new__(cls):
        import torch
        from torch import nn

        class M(nn.Module):
            out_features = 3

            def forward(self, x):
                s = x.shape[-1]
                m = round(s * 0.2 / 1.4)
                mid = x[:, :, m:s - m, m:s - m].mean((1, 2, 3))
                ring = (x.sum((1, 2, 3)) - x[:, :, m:s - m, m:s - m].sum((1, 2, 3))) / (
                    x[0].numel() - x[0, :, m:s - m, m:s - m].numel())
                score = mid - ring
                return torch.stack([30 * (score - 0.61), torch.full_like(score, -20),
                                    torch.zeros_like(score)], 1)
        return M().eval()


def test_a_roughly_framed_detector_box_is_reframed_before_it_is_confirmed(tmp_path):
    from types import SimpleNamespace

    from PIL import Image

    from synthloop.tools.evaluate.matching import Prediction
    from synthloop.tools.quality.crop_data import crop_array
    from synthloop.tools.quality.crops import predict_probs

    img = Image.new("RGB", (100, 100))
    img.paste((255, 255, 255), (30, 20, 50, 70))      # an object no label covers
    img.save(tmp_path / "x.png")
    s = sample(0, [("person", (70.0, 10.0, 90.0, 60.0), 0.0)], w=100, h=100)
    rough = (32.0, 25.0, 52.0, 75.0)                  # a tenth of its size off
    model = _Framing()
    cfg = CropVerifyConfig(scan=False, confirm=0.65)
    p_rough, p_exact = predict_probs(model, crop_array(img, [rough, (30, 20, 50, 70)],
                                                       cfg.size, cfg.margin))[:, 0]
    assert cfg.reframe_from <= p_rough < cfg.confirm <= p_exact
    proposals = {s.id: [Prediction("person", 0.01, rough)]}
    ws = SimpleNamespace(root=tmp_path)
    for reframe, flagged in ((True, True), (False, False)):
        v = ObjectCropVerifier(cfg.model_copy(update={"reframe": reframe}))
        out = v._judge(ws, [s], None, np.zeros(0, int), [], np.zeros((0, 3)), NAMES, APPEARS,
                       [model], proposals)
        assert (out[0].verdict == "suspect") is flagged
        if flagged:  # the flag names the better-framed box, as an unlabelled object
            assert out[0].objects[0].index is None and "unlabelled person" in out[0].reason
            assert iou(out[0].objects[0].box, (30, 20, 50, 70)) > 0.9


def test_an_ensemble_averages_its_members_probabilities():
    from synthloop.tools.quality.crops import predict_probs, train_ensemble

    rng = np.random.RandomState(0)
    x = rng.randint(0, 255, (40, 16, 16, 3)).astype(np.uint8)
    y = rng.randint(0, 3, 40)
    cfg = CropVerifyConfig(size=16, epochs=1, batch=16, ensemble=2, threads=1)
    both = train_ensemble(x, y, 3, cfg)
    one, two = both.members
    mean = (predict_probs(one, x) + predict_probs(two, x)) / 2
    assert np.allclose(predict_probs(both, x), mean, atol=1e-5)
    assert not np.allclose(predict_probs(one, x), predict_probs(two, x))  # different seeds
    assert predict_probs(both, x[:0]).shape == (0, 3)


def test_classification_policies_and_small_sets_are_refused(ws):
    from synthloop.tools.design import load_example_policy

    pol = load_example_policy("ppe")
    with pytest.raises(ValidationError, match="at least"):
        ObjectCropVerifier().verify_batch(ws, pol, [sample(0, [PERSON])])
    cls_pol = pol.model_copy(update={"task": "classification"})
    with pytest.raises(ValidationError, match="judges boxes"):
        ObjectCropVerifier().verify_batch(ws, cls_pol, [sample(0, [PERSON])])


@pytest.mark.slow
def test_two_folds_on_planted_faults_flag_them_and_delete_nothing(ws):
    from synthloop.tools.design import expand_specs, load_example_policy
    from synthloop.tools.generate.procedural import FaultPlan, ProceduralGenerator
    from synthloop.tools.generate.runner import generate_samples
    from synthloop.tools.quality.run import verify_samples

    policy = ws.save_policy(load_example_policy("ppe"))
    gen = ProceduralGenerator(160, 160, workers=1, faults=FaultPlan(fraction=0.1, seed=4))
    try:
        generate_samples(ws, policy, expand_specs(policy, 80, seed=5, split="train"), gen,
                         progress=False)
    finally:
        gen.close()
    samples = list(ws.iter_samples())
    planted = {s.id for s in samples if s.spec_id in gen.planted}
    v = ObjectCropVerifier(CropVerifyConfig(epochs=4, min_samples=10, scan=False))
    rep = verify_samples(ws, policy, samples, [v])
    assert len(rep.verdicts) == len(samples) == len(list(ws.iter_samples()))
    assert set(rep.quarantined) == {x.sample_id for x in rep.verdicts if x.verdict == "suspect"}
    assert rep.quarantined and set(rep.quarantined) & planted   # it catches planted faults
    assert v.seconds["train"] > 0 and all(0 <= x.score <= 1 for x in rep.verdicts)


def test_pruning_trains_again_without_the_crops_the_first_model_doubts(monkeypatch):
    import synthloop.tools.quality.crops as crops

    x = np.zeros((6, 16, 16, 3), np.uint8)
    y = np.array([0, 0, 1, 1, 2, 2])
    calls = []
    monkeypatch.setattr(crops, "train_ensemble",
                        lambda xx, yy, n, cfg: calls.append(yy.tolist()) or f"model {len(calls)}")
    own = np.array([0.9, 0.1, 0.8, 0.7, 0.05, 0.95])   # crops 1 and 4 look unlike their label
    probs = np.full((6, 3), 0.0)
    probs[np.arange(6), y] = own
    monkeypatch.setattr(crops, "predict_probs", lambda model, xx: probs)
    assert crops.fit(x, y, 3, CropVerifyConfig(prune=0.2)) == "model 2"
    assert calls == [[0, 0, 1, 1, 2, 2], [0, 1, 1, 2]]
    calls.clear()
    assert crops.fit(x, y, 3, CropVerifyConfig()) == "model 1" and len(calls) == 1


def test_hard_negatives_are_the_detectors_surest_boxes_where_no_label_is():
    from synthloop.tools.evaluate.matching import Prediction

    s = sample(0, [PERSON, HAT])
    props = [Prediction("person", 0.9, PERSON[1]),                   # the label itself
             Prediction("person", 0.02, (41.0, 31.0, 81.0, 131.0)),   # on the label too
             Prediction("person", 0.05, (100.0, 30.0, 140.0, 130.0)),  # a bag, say
             Prediction("hard_hat", 0.01, (100.0, 30.0, 124.0, 42.0)),
             Prediction("person", 0.30, (0.0, 0.0, 30.0, 90.0)),
             Prediction("person", 0.5, None)]
    assert hard_negatives(s, props, 2) == [(0.0, 0.0, 30.0, 90.0), (100.0, 30.0, 140.0, 130.0)]
    assert len(hard_negatives(s, props, 8)) == 3 and hard_negatives(s, props, 0) == []


def test_hard_negatives_are_learnt_as_background(tmp_path):
    from types import SimpleNamespace

    from PIL import Image

    from synthloop.tools.evaluate.matching import Prediction

    Image.new("RGB", (160, 160)).save(tmp_path / "x.png")
    s = sample(0, [PERSON])
    v = ObjectCropVerifier(CropVerifyConfig(erase_worn=False, swap_looks=False,
                                            hard_negatives=3))
    ws, idx = SimpleNamespace(root=tmp_path), {n: i for i, n in enumerate(NAMES)}
    _, plain, _ = v._labelled(ws, [s], idx, 0)
    hard = {s.id: [Prediction("person", 0.1, (100.0, 30.0, 140.0, 130.0))]}
    x, y, where = v._labelled(ws, [s], idx, 0, hard=hard)
    assert len(y) == len(plain) + 1 and (y == len(NAMES)).sum() == (plain == len(NAMES)).sum() + 1
    assert len(x) == len(y) == len(where)


def test_a_cleaned_reference_leaves_out_what_it_flags_out_of_fold(monkeypatch):
    from synthloop.tools.models import SampleVerdict

    ref = [sample(i, [PERSON, HAT]) for i in range(30)]
    seen = []

    def judge(self, ws, policy, samples, progress=False):
        seen.append(self.config)
        return [SampleVerdict(sample_id=x.id, verifier="object_crops", score=0.1 if k in (3, 7)
                              else 1.0, verdict="suspect" if k in (3, 7) else "ok")
                for k, x in enumerate(samples)]
    monkeypatch.setattr(ObjectCropVerifier, "verify_batch", judge)
    v = ObjectCropVerifier(CropVerifyConfig(clean_reference=True), reference=ref)
    kept = v._cleaned_reference(None, None, False)
    assert [x.id for x in kept] == [x.id for k, x in enumerate(ref) if k not in (3, 7)]
    assert v.reference_left_out == [ref[3].id, ref[7].id]
    inner, = seen   # judged once, out-of-fold, without its own cleaning or the window scan
    assert not inner.clean_reference and not inner.scan
    off = ObjectCropVerifier(CropVerifyConfig(clean_reference=False), reference=ref)
    assert off._cleaned_reference(None, None, False) == ref and len(seen) == 1


def test_with_learnt_parts_a_worn_candidate_must_sit_where_its_class_sits():
    s = sample(0, [PERSON])
    parts = {"hard_hat": (0.2, 0.0, 0.8, 0.12)}          # hats sit on top of the person
    head, chest = (50.0, 28.0, 70.0, 40.0), (50.0, 52.0, 70.0, 64.0)
    assert on_a_carrier(s, "hard_hat", chest, APPEARS)   # the broad head-and-body region
    assert on_a_carrier(s, "hard_hat", head, APPEARS, parts=parts)
    assert not on_a_carrier(s, "hard_hat", chest, APPEARS, parts=parts)
    assert on_a_carrier(s, "hard_hat", chest, APPEARS, parts={})  # nothing learnt: broad rule
    assert on_a_carrier(s, "person", (120.0, 20.0, 150.0, 120.0), APPEARS, parts=parts)


def test_a_candidate_must_have_the_shape_and_size_of_its_classs_labels():
    from synthloop.tools.quality.crop_data import class_shapes, fits_shape

    rng = random.Random(0)
    people = []
    for i in range(30):  # tall people of 30-40 px width, 2.5 times as tall
        w = rng.uniform(30, 40)
        people.append(sample(i, [("person", (10.0, 10.0, 10.0 + w, 10.0 + 2.5 * w), 0.0), HAT]))
    shapes = class_shapes(people)
    assert "person" in shapes and "hard_hat" in shapes
    s = people[0]
    assert fits_shape(s, "person", (50.0, 20.0, 85.0, 107.0), shapes)       # 35 x 87
    assert not fits_shape(s, "person", (50.0, 20.0, 135.0, 60.0), shapes)   # wide: a sign
    assert not fits_shape(s, "person", (50.0, 20.0, 56.0, 35.0), shapes)    # far too small
    assert fits_shape(s, "vest", (0.0, 0.0, 150.0, 10.0), shapes)           # nothing learnt
    assert "person" not in class_shapes(people[:5])                         # too few to tell


def test_flip_averages_a_crops_and_its_mirror_images_probabilities():
    import torch
    from torch import nn

    from synthloop.tools.quality.crops import predict_probs

    class LeftBright(nn.Module):  # class 0 as sure as the left half is brighter
        out_features = 2

        def forward(self, x):
            d = x[..., : x.shape[-1] // 2].mean((1, 2, 3)) - x[..., x.shape[-1] // 2:].mean((1, 2, 3))
            return torch.stack([10 * d, torch.zeros_like(d)], 1)

    x = np.zeros((1, 16, 16, 3), np.uint8)
    x[:, :, :8] = 255
    plain = predict_probs(LeftBright(), x)
    mirrored = predict_probs(LeftBright(), x[:, :, ::-1].copy())
    assert plain[0, 0] > 0.9 and mirrored[0, 0] < 0.1
    assert np.allclose(predict_probs(LeftBright(), x, flip=True), (plain + mirrored) / 2, atol=1e-6)


def test_with_worn_context_the_person_a_hat_sits_on_is_not_its_rival_look():
    clean = [sample(i, [PERSON, HAT]) for i in range(2, 22)]
    on_head = sample(0, [PERSON, HAT])   # the hat's crop shows the head under it
    hat_look = sample(1, [PERSON, HAT])  # the person's crop leans to a hat
    samples = [on_head, hat_look, *clean]
    where, y, probs = label_probs(samples, {(on_head.id, 1): [0.35, 0.55, 0.10],
                                            (hat_look.id, 0): [0.55, 0.35, 0.10]},
                                  background=False)
    _, out = judge(samples, where, y, probs, CropVerifyConfig(scan=False, worn_context=True))
    assert out[0].verdict == "ok"
    assert out[1].verdict == "suspect" and "looks like hard_hat" in out[1].reason
    assert all(v.verdict == "ok" for v in out[2:])
    _, plain = judge(samples, where, y, probs, CropVerifyConfig(scan=False, worn_context=False))
    assert plain[0].verdict == "suspect"


def test_a_candidate_half_the_size_of_the_person_beside_it_is_not_an_unlabelled_person(tmp_path):
    from types import SimpleNamespace

    from PIL import Image

    from synthloop.tools.evaluate.matching import Prediction

    rng = random.Random(3)
    pairs = []  # the labels teach: people in one image share a size (x0.95-1.05), any size
    for i in range(40):
        k = rng.uniform(0.5, 1.5)
        pairs.append(sample(10 + i, [("person", (10.0, 100 - 50 * k * rng.uniform(0.95, 1.05),
                                                 10 + 20 * k, 100.0), 0.0),
                                     ("person", (60.0, 100 - 50 * k, 60 + 20 * k, 100.0), 0.0)],
                            w=100, h=100))
    s = sample(0, [("person", (70.0, 20.0, 90.0, 70.0), 0.0)], w=100, h=100)  # 20 x 50
    ws = SimpleNamespace(root=tmp_path)
    for name, box, flagged_with_peers in (("same", (30, 20, 50, 70), True),
                                          ("half", (30, 45, 40, 70), False)):
        img = Image.new("RGB", (100, 100))
        img.paste((255, 255, 255), box)               # an object no label covers
        img.save(tmp_path / "x.png")
        proposals = {s.id: [Prediction("person", 0.01, tuple(float(v) for v in box))]}
        for peers, flagged in ((True, flagged_with_peers), (False, True)):
            v = ObjectCropVerifier(CropVerifyConfig(scan=False, shape_slack=0, peer_sizes=peers),
                                   reference=pairs)
            out = v._judge(ws, [s], None, np.zeros(0, int), [], np.zeros((0, 3)), NAMES,
                           APPEARS, [_Framing()], proposals)
            assert (out[0].verdict == "suspect") is flagged, (name, peers)


def test_a_detector_box_of_the_wrong_size_is_tried_at_the_size_its_neighbours_give(tmp_path):
    from types import SimpleNamespace

    from PIL import Image

    from synthloop.tools.evaluate.matching import Prediction

    rng = random.Random(4)
    pairs = []  # people in one image share a size
    for i in range(40):
        k = rng.uniform(0.5, 1.5)
        pairs.append(sample(10 + i, [("person", (10.0, 100 - 50 * k, 10 + 20 * k, 100.0), 0.0),
                                     ("person", (60.0, 100 - 50 * k, 60 + 20 * k, 100.0), 0.0)],
                            w=100, h=100))
    s = sample(0, [("person", (70.0, 20.0, 90.0, 70.0), 0.0)], w=100, h=100)  # 20 x 50
    img = Image.new("RGB", (100, 100))
    img.paste((255, 255, 255), (30, 20, 50, 70))      # an unlabelled person of that size
    img.save(tmp_path / "x.png")
    half = (35.0, 45.0, 45.0, 70.0)                   # the detector framed its lower half
    proposals = {s.id: [Prediction("person", 0.01, half)]}
    for peer_reframe, flagged in ((True, True), (False, False)):
        v = ObjectCropVerifier(CropVerifyConfig(scan=False, peer_reframe=peer_reframe),
                               reference=pairs)
        out = v._judge(SimpleNamespace(root=tmp_path), [s], None, np.zeros(0, int), [],
                       np.zeros((0, 3)), NAMES, APPEARS, [_Framing()], proposals)
        assert (out[0].verdict == "suspect") is flagged, peer_reframe
        if flagged:
            assert iou(out[0].objects[0].box, (30, 20, 50, 70)) > 0.8


def test_a_longer_trained_search_model_judges_the_candidates_and_not_the_labels(tmp_path,
                                                                                monkeypatch):
    from types import SimpleNamespace

    from PIL import Image

    import synthloop.tools.quality.crops as crops
    from synthloop.tools.design.policy_io import load_example_policy

    Image.new("RGB", (160, 160)).save(tmp_path / "x.png")
    ref = [sample(i, [PERSON]) for i in range(12)]
    new = [sample(100 + i, [PERSON]) for i in range(12)]
    trained = []

    def fake_fit(x, y, n_out, cfg):
        trained.append(cfg.epochs)
        return f"model of {cfg.epochs} epochs"
    judged = {}

    def fake_predict(model, x, batch=512, flip=False):
        judged.setdefault(model, 0)
        judged[model] += len(x)
        return np.tile([0.9, 0.05, 0.05], (len(x), 1))

    def fake_judge(self, ws, samples, x, y, where, probs, names, appears, fold_models,
                   proposals=None):
        return fold_models
    monkeypatch.setattr(crops, "fit", fake_fit)
    monkeypatch.setattr(crops, "predict_probs", fake_predict)
    monkeypatch.setattr(ObjectCropVerifier, "_judge", fake_judge)
    detector = SimpleNamespace(predict=lambda ws, samples, conf=None, seen=False: {})
    policy = load_example_policy("ppe")
    ws = SimpleNamespace(root=tmp_path)
    cfg = dict(clean_reference=False, min_samples=4, erase_worn=False, swap_looks=False)
    v = ObjectCropVerifier(CropVerifyConfig(**cfg, search_epochs=20), reference=ref,
                           detector=detector)
    models = v.verify_batch(ws, policy, new)
    assert trained == [6, 20]                   # the label model first, then the search model
    assert set(models) == {"model of 20 epochs"}  # every candidate is judged by it
    assert set(judged) == {"model of 6 epochs"}   # and every label by the first
    trained.clear()
    v = ObjectCropVerifier(CropVerifyConfig(**cfg, search_epochs=0), reference=ref,
                           detector=detector)
    assert set(v.verify_batch(ws, policy, new)) == {"model of 6 epochs"} and trained == [6]
