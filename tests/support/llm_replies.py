"""Scripted LLM replies for the design steps (draft_policy, describe_scenarios or
derive_scenarios, propose_axes): the JSON a model would send, fed to a ScriptedLLM or a stub
server.

HARD_HAT_*: a clean hard-hat design that the loop tests run on, one reply per step (its
rule is about something worn, so code computes its four scenarios and the model words them:
HARD_HAT_SCENARIOS).
CLEAN_DRAFT, WORDINGS_TO_CHECK, AXES_TO_REPAIR: a clean draft, then wordings code has to
refuse (one asks for a hard hat its scene does not show) and axes it has to repair
(duplicate and empty values, loose names). SCENARIOS_TO_REPAIR: a free scenario list with a
lower-case rule id, an unknown class and a scenario of no rule, for a rule code cannot
derive."""

from __future__ import annotations

HARD_HAT_DRAFT = {
    "title": "Hard hats on site", "context": "a fixed camera over a site gate",
    "classes": [{"name": "person", "appears": "person", "description": "a worker"},
                {"name": "hard_hat", "appears": "worn_on_head", "description": "a helmet"}],
    "rules": [{"text": "Workers wear a hard hat.", "classes": ["person", "hard_hat"],
               "severity": "high", "violating": "a bare head"}],
    "hard_cases": ["a cap that looks like a hard hat"]}
HARD_HAT_SCENARIOS = {  # the scenario step's reply: code computed four scenes, the model words them
    "k1": {"description": "a worker in a hard hat at the gate", "frequency": "common"},
    "k2": {"description": "a worker with a bare head at the gate", "frequency": "common"},
    "k3": {"description": "a worker in a baseball cap instead of a hard hat", "frequency": "rare"},
    "k4": {"description": "two workers, only one of them with a hard hat", "frequency": "uncommon"}}
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
WORDINGS_TO_CHECK = {
    "k1": {"description": "a worker in a white hard hat at the gate", "frequency": "common"},
    "k2": {"description": "a worker wearing a hard hat", "frequency": "common"},
    "k3": {"description": "a worker in a baseball cap instead of a hard hat", "frequency": "rare"},
    "k4": {"description": "two workers, one without a hard hat", "frequency": "uncommon"}}
AXES_TO_REPAIR = {"axes": [{"name": "Light Level", "values": ["Day", "day", "Night", ""]},
                           {"name": "site area", "values": ["scaffold", "road", "yard"]},
                           {"name": "skin colour", "values": ["light", "dark"]}]}
