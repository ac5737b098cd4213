"""The analysis for classifiers and for noisy small slices: a classifier's condition miss is
one value-level candidate (its fix needs both labels), a pixel-limited slice whose probe
moved it by no more than sampling noise is data-insensitive, and a weakness keyed
differently from one iteration to the next still finds its past measurement."""

from __future__ import annotations

import random

from synthloop.agent.planning.schemas import SliceTarget
from synthloop.agent.planning.to_specs import target_specs
from synthloop.tools.analysis import analyse_weakness, history_point, tracked_keys
from synthloop.tools.models import EvalSetInfo, ImageResult, MisclassificationReport
from tests.support.factories import hard_hat_policy
from tests.support.planted_cases import WEAKNESS_AXES, planted_weakness_report


def planted_cls(correct, n_images: int = 600, seed: int = 0) -> MisclassificationReport:
    """A classification report: one label per image (helmet / no_helmet, half each), right
    with probability `correct(variables, label)`."""
    rng = random.Random(seed)
    images = []
    for i in range(n_images):
        v = {a: rng.choice(vals) for a, vals in WEAKNESS_AXES.items()}
        label = "helmet" if i % 2 else "no_helmet"
        ok = int(rng.random() < correct(v, label))
        images.append(ImageResult(sample_id=f"s{i}", tp=ok, fp=1 - ok, fn=1 - ok, variables=v,
                                  scenario_id="with" if label == "helmet" else "without",
                                  objects={label: 1}, found={label: ok}, object_size=0.3))
    return MisclassificationReport(eval_set=EvalSetInfo(kind="synthetic", n_images=n_images),
                                   images=images, task="classification")


def test_a_classifier_condition_miss_carried_by_one_label_is_value_level():
    # at night the classifier calls every image "no_helmet": helmets 0 %, the rest right
    report = planted_cls(lambda v, lab: 0.0 if (v["lighting"] == "night" and lab == "helmet")
                         else 0.95)
    a = analyse_weakness(report)
    keys = [c.key for c in a.candidates]
    assert "lighting=night" in keys
    assert not any("×" in k for k in keys)  # never "lighting=night × helmet"
    # the same miss in a detection report is that class's
    det = analyse_weakness(planted_weakness_report(lambda v, c: 0.0 if (v["lighting"] == "night" and
                                                        c == "hard_hat") else 0.95))
    assert "lighting=night × hard_hat" in [c.key for c in det.candidates]


def _small(found0: int, found1: int, support: int = 15):
    """A yard slice of `support` images of tiny objects (2 % of 128 px), both objects
    found in `found0` then `found1` of them, in reports that are otherwise alike."""
    def report(found: int, seed: int) -> MisclassificationReport:
        rng = random.Random(seed)
        images, yard_left, hits = [], support, found
        for i in range(400):
            v = {a: rng.choice([x for x in vals if x != "yard"]) for a, vals in WEAKNESS_AXES.items()}
            ok = int(rng.random() < 0.9)
            if yard_left:
                v["background"], yard_left = "yard", yard_left - 1
                ok, hits = int(hits > 0), hits - 1
            images.append(ImageResult(sample_id=f"s{i}", tp=2 * ok, fn=2 - 2 * ok, variables=v,
                                      scenario_id="with_hat",
                                      objects={"person": 1, "hard_hat": 1},
                                      found={"person": ok, "hard_hat": ok},
                                      object_size=0.02 if v["background"] == "yard" else 0.3))
        return MisclassificationReport(eval_set=EvalSetInfo(kind="synthetic", n_images=400),
                                       images=images)
    return report(found0, 1), report(found1, 2)


def _history(r0, counts0):
    a0 = analyse_weakness(r0, hard_hat_policy(), train_counts=counts0, imgsz=128)
    return a0, history_point(r0, a0, 0, counts0)


def test_a_pixel_limited_slice_must_move_beyond_noise_to_count_as_responsive():
    policy = hard_hat_policy()
    r0, r1 = _small(0, 1)  # 0/30 -> 2/30 objects after 20 images: +0.07, within noise
    a0, h0 = _history(r0, {"background=yard": 20})
    assert a0.by_key("background=yard").probe
    a1 = analyse_weakness(r1, policy, history=[h0], train_counts={"background=yard": 40},
                          imgsz=128)
    yard = a1.by_key("background=yard")
    assert yard in a1.insensitive and yard.responsiveness == "data-insensitive"
    # a clear rise (0/15 -> 9/15) overturns the presumption
    r0, r1 = _small(0, 9)
    _, h0 = _history(r0, {"background=yard": 20})
    a1 = analyse_weakness(r1, policy, history=[h0], train_counts={"background=yard": 40},
                          imgsz=128)
    yard = a1.by_key("background=yard")
    assert yard is not None and yard.responsiveness == "responsive" and yard not in a1.insensitive


def test_history_records_the_value_and_the_value_with_each_class():
    report = planted_weakness_report(lambda v, c: 0.1 if (c == "hard_hat" and v["weather"] == "fog") else 0.9)
    a = analyse_weakness(report, hard_hat_policy())
    assert "weather=fog × hard_hat" in [c.key for c in a.candidates]
    keys = tracked_keys(a, ["person", "hard_hat"])
    assert {"weather=fog", "weather=fog × person", "weather=fog × hard_hat"} <= keys
    point = history_point(report, a, 0, {k: 10 for k in keys})
    assert "weather=fog" in point.recalls and point.supports["weather=fog"] > 100


def test_classification_near_misses_come_in_contrast_pairs():
    policy = hard_hat_policy().model_copy(update={"task": "classification"})
    labels = {s.id: s.label or s.kind for s in policy.scenarios}
    missed = policy.scenarios[0].id
    combo = {policy.axes[0].name: policy.axes[0].value_names()[-1], "scenario": missed}
    t = SliceTarget(axis=policy.axes[0].name, value=combo[policy.axes[0].name], count=10,
                    fixed={policy.axes[0].name: combo[policy.axes[0].name]},
                    near_miss=[combo], near_miss_count=6, key="k")
    specs = list(target_specs(policy, t, seed=1, iteration=1))
    near = specs[:6]
    assert all(s.variables[policy.axes[0].name] == combo[policy.axes[0].name] for s in near)
    assert [s.scenario_id == missed for s in near] == [True, False] * 3
    assert all(labels[s.scenario_id] != labels[missed] for s in near[1::2])
    assert len(specs) == 10


def test_one_noisy_dip_on_a_normal_slice_is_unclear_not_data_insensitive():
    from synthloop.tools.analysis import Candidate
    from synthloop.tools.analysis.models import HistoryPoint
    from synthloop.tools.analysis.weakness import _respond

    def night(found, support=65):
        return Candidate(id="C1", kind="condition", key="lighting=night", fixed={"lighting": "night"},
                         support=support, found=found, recall=found / support, reference=0.85,
                         reference_label="expected", z=-3.0, excess_misses=10.0, object_px=37.0)
    past = [HistoryPoint(iteration=0, recalls={"lighting=night": 0.65},
                         supports={"lighting=night": 65}, train_counts={"lighting=night": 15})]
    dip = night(38)                      # 0.65 -> 0.58 after 77 images: within noise
    _respond(dip, past, {"lighting=night": 92})
    assert dip.responsiveness == "unclear"
    big = past[0].model_copy(update={"supports": {"lighting=night": 6000}})
    flat = night(4000, 6000)             # flat (0.65 -> 0.67) on 6000 images ...
    _respond(flat, [big], {"lighting=night": 92})
    assert flat.responsiveness == "unclear"  # ... after one step is not yet a verdict
    flat = night(4000, 6000)             # ... and after two it is
    _respond(flat, [big, big.model_copy(update={"iteration": 1})], {"lighting=night": 92})
    assert flat.responsiveness == "data-insensitive" and flat.recommendation
