"""A small hand-written PPE policy and specs for it, for benchmarks, tests and smoke runs.

The real path from a policy to specs is `tools.design.expand.expand_specs`; these helpers
exist so the generator can be measured and tested without it, and they place boxes the way
it does (a hat on top of the wearer's box, a vest on the torso).
"""

from __future__ import annotations

import itertools
import random

from ...models import (
    AxisValue,
    ClassCount,
    GenerationSpec,
    LayoutBox,
    ObjectClass,
    Policy,
    Rule,
    Scenario,
    VariableAxis,
)


def ppe_policy(task: str = "detection") -> Policy:
    """Workers wear a hard hat and a hi-vis vest; four axes, including hard ones."""
    return Policy(
        title="Site PPE", goal="workers wear a hard hat and a hi-vis vest", task=task,  # type: ignore[arg-type]
        classes=[
            ObjectClass(name="person", appears="person", description="a construction worker"),
            ObjectClass(name="hard_hat", appears="worn_on_head", description="a yellow hard hat"),
            ObjectClass(name="vest", appears="worn_on_body", description="a hi-vis vest"),
        ],
        rules=[Rule(id="R1", text="Workers on site wear a hard hat and a hi-vis vest",
                    classes=["person", "hard_hat", "vest"])],
        scenarios=[
            Scenario(id="compliant_worker", rule_id="R1", kind="compliant", label="compliant",
                     classes=[ClassCount(name="person"), ClassCount(name="hard_hat"),
                              ClassCount(name="vest")]),
            Scenario(id="no_hat", rule_id="R1", kind="violating", label="violating",
                     classes=[ClassCount(name="person"), ClassCount(name="vest")]),
            Scenario(id="no_vest", rule_id="R1", kind="violating", label="violating",
                     classes=[ClassCount(name="person"), ClassCount(name="hard_hat")]),
        ],
        axes=[
            VariableAxis(name="lighting", values=[AxisValue(value=v) for v in ("day", "dusk", "night")]),
            VariableAxis(name="weather", values=[AxisValue(value=v) for v in ("clear", "rain", "fog")]),
            VariableAxis(name="occlusion", values=[AxisValue(value=v) for v in ("none", "partial", "heavy")]),
            VariableAxis(name="distance", values=[AxisValue(value=v) for v in ("near", "mid", "far")]),
        ],
        version=1,
    )


_SCALE = {"near": 0.72, "mid": 0.48, "far": 0.26}


def person_layout(rng: random.Random, scale: float, hat: bool, vest: bool,
                  people: int = 1) -> list[LayoutBox]:
    """People side by side, each with an optional hat box (top of the person box) and vest
    box (torso), in normalised coordinates."""
    out: list[LayoutBox] = []
    slot = 0.96 / people
    for i in range(people):
        h = min(0.95, scale * rng.uniform(0.9, 1.1))
        w = h * rng.uniform(0.36, 0.46)
        cx = 0.02 + slot * (i + 0.5) + rng.uniform(-0.5, 0.5) * max(0.0, slot - w)
        cx = min(max(cx, w / 2 + 0.005), 0.995 - w / 2)
        y1 = min(0.99, rng.uniform(0.8, 0.98))
        y0 = max(0.005, y1 - h)
        p = (cx - w / 2, y0, cx + w / 2, y0 + h)
        idx = len(out)
        out.append(LayoutBox(cls="person", box=_r(p)))
        if hat:
            out.append(LayoutBox(cls="hard_hat", box=_r((cx - 0.27 * w, y0, cx + 0.27 * w, y0 + 0.13 * h)),
                                 parent=idx))
        if vest:
            out.append(LayoutBox(cls="vest", box=_r((cx - 0.36 * w, y0 + 0.19 * h, cx + 0.36 * w,
                                                    y0 + 0.55 * h)), parent=idx))
    return out


def _r(b) -> tuple[float, float, float, float]:
    x0, y0 = round(max(b[0], 0.0), 4), round(max(b[1], 0.0), 4)
    return (x0, y0, round(min(max(b[2], x0 + 0.004), 1.0), 4), round(min(max(b[3], y0 + 0.004), 1.0), 4))


def ppe_specs(n: int, *, seed: int = 0, split: str = "train", policy: Policy | None = None,
              variables: dict[str, str] | None = None) -> list[GenerationSpec]:
    """`n` specs cycling through the policy's scenarios and all axis combinations;
    `variables` pins some axes to one value."""
    policy = policy or ppe_policy()
    axes = [(a.name, a.value_names()) for a in policy.axes]
    combos = list(itertools.product(*[vals for _, vals in axes]))
    rng = random.Random(seed)
    out = []
    for i in range(n):
        sc = policy.scenarios[i % len(policy.scenarios)]
        combo = combos[(i * 7 + seed) % len(combos)]
        var = {name: val for (name, _), val in zip(axes, combo, strict=True)}
        var.update(variables or {})
        names = {c.name for c in sc.classes}
        layout = person_layout(rng, _SCALE.get(var.get("distance", "mid"), 0.5),
                               "hard_hat" in names, "vest" in names, people=1 + (i % 5 == 4))
        out.append(GenerationSpec(
            policy_version=policy.version or 1, scenario_id=sc.id,
            prompt=f"a construction worker, {', '.join(f'{k} {v}' for k, v in var.items())}",
            layout=layout, seed=(seed * 1_000_003 + i) % 2**32, variables=var,
            split=split, label=sc.label,  # type: ignore[arg-type]
        ))
    return out
