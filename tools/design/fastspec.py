"""Building GenerationSpecs fast, with exactly the id their validator would compute.

Validating a GenerationSpec and dumping it to canonical JSON for its content hash costs
more than everything else expansion does. Here the canonical JSON is assembled from
fragments escaped once per scenario, axis value and layout (with the same encoder
`canonical_json` uses), and the models are built without re-validation. A spec this
module cannot be sure about (an over-long prompt) goes through the slow, exact path.
tests/tools/design/test_expand.py checks ids against the validator on thousands of specs.

Layouts come from a pool per (scenario, scale): LAYOUT_POOL random layouts each, made on
first use. Their LayoutBox values are shared between the specs that drew the same layout,
so treat a spec's boxes as read-only (copy before changing one).
"""

from __future__ import annotations

import hashlib
import random
from json.encoder import encode_basestring  # the encoder json.dumps(ensure_ascii=False) uses

from ..models import GenerationSpec, LayoutBox
from ..models.base import canonical_json
from .layout import ScenePlan, place_layout
from .prompt_text import MAX_PROMPT

LAYOUT_POOL = 256  # distinct layouts per (scenario, scale); a power of two (getrandbits)
_POOL_BITS = LAYOUT_POOL.bit_length() - 1
_set = object.__setattr__
_sha = hashlib.sha256


def enc(text: str | None) -> str:
    """`text` as a JSON value, as canonical_json writes it."""
    return "null" if text is None else encode_basestring(text)


def var_fragment(key: str, value: str) -> str:
    """One '"key":"value"' member of the variables object."""
    return f"{enc(key)}:{enc(value)}"


def construct(model, values: dict):
    """What BaseModel.model_construct does, minus its per-field loop (and it cannot take
    LayoutBox's `cls` field, which clashes with the classmethod's own first argument).
    `values` must hold every field, already valid."""
    obj = model.__new__(model)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", set(values))
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


class LayoutPool:
    """Random layouts of one scenario, LAYOUT_POOL per scale, each kept with its canonical
    JSON so a spec costs a lookup instead of geometry, rounding and float formatting."""

    def __init__(self, plan: ScenePlan, rng: random.Random):
        self.plan = plan
        self.rng = rng
        self.pools: dict[float, list] = {}

    def draw(self, scale: float) -> tuple[tuple[LayoutBox, ...], str]:
        """A (boxes, boxes' JSON) layout at `scale`, made now if this slot is still empty."""
        pool = self.pools.get(scale)
        if pool is None:
            pool = self.pools[scale] = [None] * LAYOUT_POOL
        i = self.rng.getrandbits(_POOL_BITS)
        entry = pool[i]
        if entry is None:
            entry = pool[i] = _layout_entry(place_layout(self.plan, scale, self.rng))
        return entry


def _layout_entry(boxes: list[tuple]) -> tuple[tuple[LayoutBox, ...], str]:
    objs = tuple(construct(LayoutBox, {"cls": c, "phrase": ph, "box": b, "parent": p})
                 for c, ph, b, p in boxes)
    text = ",".join(
        f'{{"box":[{b[0]!r},{b[1]!r},{b[2]!r},{b[3]!r}],"cls":{enc(c)},'
        f'"parent":{"null" if p is None else p},"phrase":{enc(ph)}}}' for c, ph, b, p in boxes)
    return objs, text


class SpecMaker:
    """Makes the specs of one scenario: fixed parts encoded once, per-spec parts joined."""

    def __init__(self, *, version: int, scenario_id: str, head: str, negative: str,
                 label: str | None, split: str, iteration: int, origin: str):
        self.version, self.scenario_id, self.negative = version, scenario_id, negative
        self.split, self.label, self.iteration, self.origin = split, label, iteration, origin
        self.head = head
        self.head_json = enc(head)[:-1]  # without the closing quote: phrases follow
        self.start = f'{{"label":{enc(label)},"layout":['
        self.middle = (f'],"negative_prompt":{enc(negative)},"policy_version":{version},'
                       f'"prompt":')
        self.end = f',"scenario_id":{enc(scenario_id)},"seed":'
        self.vars = f',"split":{enc(split)},"variables":{{'

    def make(self, layout: tuple[tuple[LayoutBox, ...], str], phrases: list[str],
             phrases_json: list[str], seed: int, variables: dict[str, str],
             var_json: list[str]) -> GenerationSpec:
        """One spec. `layout` comes from LayoutPool.draw; `phrases_json` are `phrases`
        JSON-escaped without quotes; `var_json` the variables' members in sorted key order
        (see `var_fragment`)."""
        prompt = self.head + ", " + ", ".join(phrases) if phrases else self.head
        if len(prompt) > MAX_PROMPT:
            return self._slow(layout[0], prompt[:MAX_PROMPT], seed, variables)
        prompt_json = self.head_json + (", " + ", ".join(phrases_json) if phrases else "") + '"'
        text = (self.start + layout[1] + self.middle + prompt_json + self.end + str(seed)
                + self.vars + ",".join(var_json) + "}}")
        return construct(GenerationSpec, {
            "id": _sha(text.encode()).hexdigest()[:16], "policy_version": self.version,
            "scenario_id": self.scenario_id, "prompt": prompt, "negative_prompt": self.negative,
            "layout": list(layout[0]), "seed": seed, "variables": variables,
            "split": self.split, "label": self.label, "iteration": self.iteration,
            "origin": self.origin})

    def _slow(self, boxes, prompt, seed, variables) -> GenerationSpec:
        data = {"policy_version": self.version, "scenario_id": self.scenario_id,
                "prompt": prompt, "negative_prompt": self.negative,
                "layout": [b.model_dump(mode="json") for b in boxes], "seed": seed,
                "variables": variables, "split": self.split, "label": self.label}
        sid = _sha(canonical_json(data).encode()).hexdigest()[:16]
        data.update(id=sid, iteration=self.iteration, origin=self.origin, layout=list(boxes))
        return construct(GenerationSpec, data)
