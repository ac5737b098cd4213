"""Hand-written policies for the design tests: one good, and ways to break it."""

from __future__ import annotations

from synthloop.tools.models import (
    AxisValue,
    ClassCount,
    ObjectClass,
    Policy,
    Rule,
    Scenario,
    VariableAxis,
)


def good_policy(**changes) -> Policy:
    """A small, lint-clean helmet policy written out by hand (no YAML, no LLM)."""
    data = dict(
        title="Helmets on e-bikes",
        goal="E-bike riders wear a helmet.",
        context="A street camera over a bike lane.",
        classes=[ObjectClass(name="person", description="a rider", appears="person"),
                 ObjectClass(name="helmet", description="a bike helmet", appears="worn_on_head"),
                 ObjectClass(name="e_bike", description="an electric bicycle", appears="standalone")],
        rules=[Rule(id="R1", text="Riders wear a helmet.", severity="high",
                    classes=["person", "helmet", "e_bike"])],
        scenarios=[
            Scenario(id="with_helmet", rule_id="R1", kind="compliant",
                     classes=[ClassCount(name="person"), ClassCount(name="helmet"),
                              ClassCount(name="e_bike")]),
            Scenario(id="no_helmet", rule_id="R1", kind="violating",
                     classes=[ClassCount(name="person"), ClassCount(name="e_bike")]),
            Scenario(id="cap", rule_id="R1", kind="hard_negative", description="a cap",
                     classes=[ClassCount(name="person"), ClassCount(name="e_bike")], weight=0.5),
            Scenario(id="pair", rule_id="R1", kind="edge_case",
                     classes=[ClassCount(name="person", count=2), ClassCount(name="helmet"),
                              ClassCount(name="e_bike", count=2)], weight=0.5),
        ],
        axes=[VariableAxis(name="lighting", values=[AxisValue(value="day"),
                                                    AxisValue(value="night", weight=0.5)]),
              VariableAxis(name="distance", values=[AxisValue(value="near"),
                                                    AxisValue(value="far")]),
              VariableAxis(name="skin_tone", fairness=True,
                           values=[AxisValue(value="light"), AxisValue(value="dark")])],
    )
    data.update(changes)
    return Policy(**data)


def axes_policy(levels: list[int], n_scenarios: int = 2) -> Policy:
    """A policy with axes of the given sizes (values a0, a1, ...), for expansion tests."""
    base = good_policy()
    axes = [VariableAxis(name=f"axis{i}", values=[AxisValue(value=f"v{j}") for j in range(k)])
            for i, k in enumerate(levels)]
    return Policy(**{**base.model_dump(), "axes": [a.model_dump() for a in axes],
                     "scenarios": [s.model_dump() for s in base.scenarios[:n_scenarios]]})
