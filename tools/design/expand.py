"""Prompt-set expansion: a policy's scenarios and axes -> a stream of GenerationSpecs.

Deterministic for a given seed, no LLM, and streamed: nothing is materialised beyond the
small per-scenario precomputation, so hundreds of thousands of specs cost seconds. Three
strategies pick (scenario, variables) for each spec:

- random:      scenario and each axis value drawn by weight, independently.
- stratified:  scenarios by smooth weighted round-robin (every prefix of the stream is
               close to the weights); each axis value from a shuffled per-scenario deck
               holding every value at least once, so small sets still cover every value.
- pairwise:    rows of a covering design over scenario x axes (weights ignored), cycled
               with fresh seeds when `n` is larger than the design.

Every strategy gives the same first specs for the same seed whatever `n` is. Exact
duplicates (same content hash) are skipped. Layouts are drawn from a per-scenario pool
(tools.design.fastspec), so specs may share LayoutBox values: treat them as read-only.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from ..errors import ValidationError
from ..models import GenerationSpec, Policy, Scenario
from ..models.base import SNAKE_CASE
from ..models.spec import Split
from .fastspec import LayoutPool, SpecMaker, enc, var_fragment
from .layout import DISTANCE_AXES, ScenePlan, plan_scene, scale_for
from .names import to_snake
from .pairwise import pairwise_design
from .prompt_text import axis_phrase, negative_text, scene_text

Strategy = Literal["stratified", "random", "pairwise"]
STRATEGIES = ("stratified", "random", "pairwise")
# Consecutive duplicate draws after which the stream stops early: the policy cannot give
# more distinct specs (e.g. everything pinned with `fixed` and a tiny design).
MAX_DUPLICATE_RUN = 1000
TABLE_BITS = 12       # random: axis values drawn from a 4096-entry table
SCENARIO_BLOCK = 4096  # stratified: scenario picks are a round-robin block of this size
DECK_PER_VALUE = 5     # stratified: an axis deck holds 5 cards per value (shares exact to 1/5k)
MAX_CACHED_COMBINATIONS = 20_000  # prompt parts kept per axis-value combination (~1 kB each)


@dataclass
class _Scene:
    scenario: Scenario
    plan: ScenePlan
    head: str
    negative: str
    label: str | None


@dataclass
class _Axis:
    name: str
    values: list[str]
    cum: list[float]
    phrases: list[str]
    phrases_json: list[str]
    var_json: list[str]
    scales: list[float]


def expand_specs(policy: Policy, n: int, *, strategy: Strategy = "stratified", seed: int = 0,
                 split: Split = "train", iteration: int = 0, origin: str = "initial",
                 fixed: dict[str, str] | None = None,
                 scenario_weights: dict[str, float] | None = None) -> Iterator[GenerationSpec]:
    """Yield up to `n` distinct GenerationSpecs for `policy` (exact duplicates skipped).

    `fixed` pins variables: {"lighting": "night"} makes every spec a night one, also when
    'night' is not a declared value of the axis (the improvement loop asks for new values),
    and an axis name the policy lacks adds that variable; the key "scenario" pins a scenario
    id. `scenario_weights`, when given, replaces the scenario weights: only the scenarios
    it names with a weight above 0 are expanded (e.g. the scenarios that show a class).
    `policy.version` goes into each spec; an unsaved policy gives 0.

    >>> from synthloop.tools.design import load_example_policy
    >>> specs = list(expand_specs(load_example_policy("ppe"), 5, seed=1))
    >>> len(specs), specs[0].policy_version
    (5, 0)
    """
    if strategy not in STRATEGIES:
        raise ValidationError(f"unknown expansion strategy {strategy!r}",
                              f"use one of: {', '.join(STRATEGIES)}")
    if n < 0:
        raise ValidationError(f"cannot make {n} specs", "ask for 0 or more")
    pins, scenario_pin = _check_fixed(policy, fixed or {})
    scenes = _scenes(policy, scenario_pin, scenario_weights)
    axes = [_axis(a.name, a.value_names(), [v.weight for v in a.values])
            for a in policy.axes if a.name not in pins and a.values]
    picker = {"random": _random_rows, "stratified": _stratified_rows,
              "pairwise": _pairwise_rows}[strategy]
    rng = random.Random(f"{seed}:{strategy}")
    return _emit(policy, scenes, axes, pins, picker(scenes, axes, rng, seed), rng, n,
                 split=split, iteration=iteration, origin=origin)


def _emit(policy, scenes, axes, pins, rows, rng, n, *, split, iteration, origin):
    version = policy.version or 0
    pin_phrases = [axis_phrase(k, v) for k, v in pins.items()]
    pin_json = [enc(x)[1:-1] for x in pin_phrases]
    # the variables' canonical JSON members in sorted key order: (axis position or -1, text)
    order = sorted([(a.name, i, "") for i, a in enumerate(axes)]
                   + [(k, -1, var_fragment(k, v)) for k, v in pins.items()])
    distance = next((a for a in DISTANCE_AXES if a in pins or any(x.name == a for x in axes)),
                    None)
    dist_pos = next((i for i, a in enumerate(axes) if a.name == distance), -1)
    pinned_scale = scale_for(pins[distance]) if distance in pins else 0.5
    makers = [SpecMaker(version=version, scenario_id=s.scenario.id, head=s.head,
                        negative=s.negative, label=s.label, split=split, iteration=iteration,
                        origin=origin) for s in scenes]
    layouts = [LayoutPool(s.plan, rng) for s in scenes]
    seen: set[str] = set()
    made = dup_run = 0
    getrandbits = rng.getrandbits
    # the text parts of a combination of axis values, computed once per combination
    parts: dict[tuple[int, ...], tuple] = {}
    for scene_i, values in rows:
        if made >= n:
            return
        key = tuple(values)
        part = parts.get(key)
        if part is None:
            part = _text_parts(axes, values, pins, pin_phrases, pin_json, order)
            if len(parts) < MAX_CACHED_COMBINATIONS:
                parts[key] = part
        scale = axes[dist_pos].scales[values[dist_pos]] if dist_pos >= 0 else pinned_scale
        spec = makers[scene_i].make(layouts[scene_i].draw(scale), part[1], part[2],
                                    getrandbits(32), dict(part[0]), part[3])
        if spec.id in seen:
            dup_run += 1
            if dup_run >= MAX_DUPLICATE_RUN:
                return
            continue
        dup_run = 0
        seen.add(spec.id)
        made += 1
        yield spec


def _text_parts(axes, values, pins, pin_phrases, pin_json, order) -> tuple:
    variables = {a.name: a.values[v] for a, v in zip(axes, values, strict=True)}
    variables.update(pins)
    phrases = [a.phrases[v] for a, v in zip(axes, values, strict=True)] + pin_phrases
    phrases_json = [a.phrases_json[v] for a, v in zip(axes, values, strict=True)] + pin_json
    var_json = [axes[i].var_json[values[i]] if i >= 0 else frag for _, i, frag in order]
    return variables, phrases, phrases_json, var_json


def _check_fixed(policy: Policy, fixed: dict[str, str]) -> tuple[dict[str, str], str | None]:
    pins: dict[str, str] = {}
    scenario = None
    for key, raw in fixed.items():
        if key == "scenario":
            if policy.get_scenario(str(raw)) is None:
                raise ValidationError(
                    f"fixed scenario {raw!r} is not a scenario of this policy",
                    f"use one of: {', '.join(s.id for s in policy.scenarios) or '(none)'}")
            scenario = str(raw)
            continue
        if not isinstance(key, str) or not SNAKE_CASE.match(key):
            raise ValidationError(f"fixed variable name {key!r} must be snake_case",
                                  "e.g. {'lighting': 'night'}")
        if not isinstance(raw, str) or not raw.strip():
            raise ValidationError(f"fixed value for {key!r} must be a non-empty string, got {raw!r}")
        axis = policy.get_axis(key)
        declared = axis.value_names() if axis else []
        value = raw if raw in declared else to_snake(raw, max_len=64)
        if not value:
            raise ValidationError(f"fixed value {raw!r} for {key!r} has no usable characters",
                                  "use words such as 'night' or 'heavy_rain'")
        pins[key] = value
    return pins, scenario


def _scenes(policy: Policy, pin: str | None, weights: dict[str, float] | None) -> list[_Scene]:
    weights = dict(weights or {})
    unknown = [k for k in weights if policy.get_scenario(k) is None]
    if unknown:
        raise ValidationError(f"scenario_weights names unknown scenario(s): {', '.join(unknown)}",
                              "use ids from the policy's scenarios")
    bad = {k: w for k, w in weights.items() if not isinstance(w, int | float) or w < 0}
    if bad:
        raise ValidationError(f"scenario weights must be numbers >= 0, got {bad}")
    out = []
    for s in policy.scenarios:
        if pin is not None and s.id != pin:
            continue
        w = s.weight if not weights or pin is not None else weights.get(s.id, 0.0)
        if w <= 0 and pin is None:
            continue
        plan = plan_scene(policy, s)
        label = (s.label or s.kind) if policy.task == "classification" else None
        scene = _Scene(s.model_copy(update={"weight": max(w, 1e-9)}), plan,
                       scene_text(policy, s, plan), negative_text(policy, s), label)
        out.append(scene)
    if not out:
        raise ValidationError("no scenario left to expand",
                              "the policy needs scenarios with a weight above 0; "
                              'derive them with: synthloop design "GOAL"')
    return out


def _axis(name: str, values: list[str], weights: list[float]) -> _Axis:
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    phrases = [axis_phrase(name, v) for v in values]
    return _Axis(name, values, cum, phrases, [enc(p)[1:-1] for p in phrases],
                 [var_fragment(name, v) for v in values], [scale_for(v) for v in values])


def _random_rows(scenes, axes, rng, seed) -> Iterator[tuple[int, list[int]]]:
    cum, total = [], 0.0
    for s in scenes:
        total += s.scenario.weight
        cum.append(total)
    last = len(scenes) - 1
    # axis values through a lookup table: one getrandbits per value instead of a bisect;
    # each value's share is exact to 1/4096
    tables = [_share_table(a, 1 << TABLE_BITS) for a in axes]
    rand, bits = rng.random, rng.getrandbits
    while True:
        si = min(bisect.bisect(cum, rand() * total), last)
        yield si, [t[bits(TABLE_BITS)] for t in tables]


def _stratified_rows(scenes, axes, rng, seed) -> Iterator[tuple[int, list[int]]]:
    order = _round_robin([s.scenario.weight for s in scenes], SCENARIO_BLOCK)
    decks = [[[] for _ in axes] for _ in scenes]
    protos = [_share_table(a, DECK_PER_VALUE * len(a.values), at_least_one=True)
              for a in axes]
    shuffle = rng.shuffle
    while True:
        for si in order:
            row = []
            for deck, proto in zip(decks[si], protos, strict=True):
                if not deck:
                    deck.extend(proto)
                    shuffle(deck)
                row.append(deck.pop())
            yield si, row


def _round_robin(weights: list[float], size: int) -> list[int]:
    """`size` picks by smooth weighted round-robin: every prefix is within one pick of the
    weights, per scenario; the block is cycled."""
    total = sum(weights)
    current = [0.0] * len(weights)
    picks = []
    for _ in range(size):
        for i, w in enumerate(weights):
            current[i] += w
        best = max(range(len(weights)), key=current.__getitem__)
        current[best] -= total
        picks.append(best)
    return picks


def _share_table(axis: _Axis, size: int, *, at_least_one: bool = False) -> list[int]:
    """Value indices in proportion to their weights, `size` long (largest remainder);
    with `at_least_one`, every value appears even when its weight rounds to nothing."""
    k = len(axis.values)
    weights = [axis.cum[0]] + [b - a for a, b in zip(axis.cum, axis.cum[1:], strict=False)]
    exact = [w / axis.cum[-1] * size for w in weights]
    counts = [max(1, int(e)) if at_least_one else int(e) for e in exact]
    by_rest = sorted(range(k), key=lambda i: int(exact[i]) - exact[i])
    for i in by_rest[:max(0, size - sum(counts))]:
        counts[i] += 1
    return [i for i, c in enumerate(counts) for _ in range(c)]


def _pairwise_rows(scenes, axes, rng, seed) -> Iterator[tuple[int, list[int]]]:
    levels = [len(scenes)] + [len(a.values) for a in axes]
    design = pairwise_design(levels, seed=seed)
    while True:
        for row in design:
            yield row[0], list(row[1:])


def pairwise_size(policy: Policy, fixed: dict[str, str] | None = None, *,
                  seed: int = 0) -> tuple[int, int]:
    """(rows of the pairwise design, rows of the full product) over scenario x axes, for
    what `expand_specs(strategy="pairwise")` would cycle through."""
    pins, pin = _check_fixed(policy, fixed or {})
    scenes = _scenes(policy, pin, None)
    levels = [len(scenes)] + [len(a.values) for a in policy.axes
                              if a.name not in pins and a.values]
    full = 1
    for k in levels:
        full *= k
    return len(pairwise_design(levels, seed=seed)), full
