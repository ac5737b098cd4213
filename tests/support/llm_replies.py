"""Scripted LLM replies for the design steps (draft_policy, derive_scenarios, propose_axes):
the JSON a model would send, fed to a ScriptedLLM or a stub server.

HARD_HAT_*: a clean hard-hat design that the loop tests run on, one reply per step.
CLEAN_DRAFT, SCENARIOS_TO_REPAIR, AXES_TO_REPAIR: a clean draft, then scenarios and axes
that code has to repair (a lower-case rule id, an unknown class, a scenario of no rule,
duplicate and empty values, loose names)."""

from __future__ import annotations

HARD_HAT_DRAFT = {
    "title": "Hard hats on site", "context": "a fixed camera over a site gate",
    "classes": [{"name": "person", "appears": "person", "description": "a worker"},
                {"name": "hard_hat", "appears": "worn_on_head", "description": "a helmet"}],
    "rules": [{"text": "Workers wear a hard hat.", "classes": ["person", "hard_hat"],
               "severity": "high", "violating": "a bare head"}],
    "hard_cases": ["a cap that looks like a hard hat"]}
HARD_HAT_SCENARIOS = {"scenarios": [
    {"rule": "R1", "kind": "compliant", "description": "a worker with a hard hat",
     "shows": [{"name": "person"}, {"name": "hard_hat"}]},
    {"rule": "R1", "kind": "violating", "description": "a worker without a hard hat",
     "shows": [{"name": "person"}], "violation": True}]}
HARD_HAT_AXES = {"axes": [{"name": "lighting", "values": ["day", "night"]}]}

PERSON = {"name": "person", "appears": "person", "description": "a worker"}
HAT = {"name": "hard_hat", "appears": "worn_on_head", "description": "a helmet"}
CLEAN_DRAFT = {"title": "Hard hats", "classes": [PERSON, HAT],
               "rules": [{"text": "Workers wear a hard hat.", "classes": ["person", "hard_hat"],
                          "severity": "high"}]}
SCENARIOS_TO_REPAIR = {"scenarios": [
    {"rule": "R1", "kind": "compliant", "description": "a worker with a hard hat",
     "shows": [{"name": "person", "count": 1}, {"name": "hard_hat", "count": 1}]},
    {"rule": "r1", "kind": "hard_negative", "description": "a worker in a baseball cap",
     "shows": [{"name": "Person", "count": 1}, {"name": "cap", "count": 1}],
     "frequency": "rare", "risk": "high", "violation": True},
    {"rule": "R7", "kind": "violating", "description": "belongs to no rule", "shows": []},
]}
AXES_TO_REPAIR = {"axes": [{"name": "Light Level", "values": ["Day", "day", "Night", ""]},
                           {"name": "site area", "values": ["scaffold", "road", "yard"]},
                           {"name": "skin colour", "values": ["light", "dark"]}]}
