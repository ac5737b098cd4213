"""From what the model wrote (schemas.py) to tools.models values, and back for prompts.

Everything the model names is sanitised here: names become snake_case (never used as a
path or code), lengths are cut to the models' limits, duplicates are dropped, and each
change is recorded as a note for the review.
"""

from __future__ import annotations

from synthloop.tools.design.lint import ABSTRACT_NOUNS, AXIS_LIKE
from synthloop.tools.design.names import match_name, normalise_text, spaced, to_snake, with_article
from synthloop.tools.models import ClassCount, ObjectClass, Policy, Rule, Scenario

from .schemas import DraftClass, DraftRule, DraftScenario, PolicyDraft

_PERSON_WORDS = {"person", "people", "worker", "workers", "rider", "riders", "pedestrian",
                 "driver", "employee", "staff", "visitor", "cyclist", "operator", "human"}
# Keyword -> where such a thing appears, for classes the model named only inside a rule.
_APPEARS_WORDS = (
    (("hat", "helmet", "cap", "hood", "goggles", "glasses", "mask", "visor", "earmuff", "hairnet"),
     "worn_on_head"),
    (("vest", "jacket", "harness", "coat", "apron", "glove", "gloves", "boot", "boots", "shirt",
      "uniform", "lanyard", "badge"), "worn_on_body"),
    (("phone", "tool", "knife", "cigarette", "bottle", "cup", "bag", "extinguisher"), "held"),
)
FREQUENCY_WEIGHT = {"common": 1.0, "uncommon": 0.7, "rare": 0.4}
RISK_FACTOR = {"low": 0.8, "medium": 1.0, "high": 1.5}


def guess_appears(name: str) -> str:
    """Where a thing called `name` is usually seen ('safety_goggles' -> worn_on_head)."""
    words = set(name.split("_"))
    if words & _PERSON_WORDS:
        return "person"
    for keys, appears in _APPEARS_WORDS:
        if words & set(keys):
            return appears
    return "standalone"


def draft_to_policy(draft: PolicyDraft, goal: str) -> tuple[Policy, list[str]]:
    """A Policy from the model's draft, with notes on every name or value changed."""
    notes: list[str] = []
    classes: list[ObjectClass] = []
    for c in draft.classes:
        cls = _to_class(c, notes)
        if cls is None:
            continue
        if any(x.name == cls.name for x in classes):
            notes.append(f"dropped repeated class {cls.name}")
            continue
        classes.append(cls)
    names = [c.name for c in classes]
    rules: list[Rule] = []
    seen_text: set[str] = set()
    for r in draft.rules:
        key = normalise_text(r.text)
        if key in seen_text:
            notes.append(f"dropped a repeated rule: {r.text[:60]!r}")
            continue
        seen_text.add(key)
        rules.append(_to_rule(r, f"R{len(rules) + 1}", names, notes))
    if len(goal) > 2000:
        notes.append(f"the policy keeps the first 2,000 of the goal's {len(goal):,} characters "
                     "(the drafting model read all of it)")
    policy = Policy(title=draft.title.strip()[:200] or "Untitled policy", goal=goal[:2000],
                    context=draft.context.strip()[:1000], task=draft.task, classes=classes,
                    rules=rules, hard_cases=[h.strip()[:300] for h in draft.hard_cases if h.strip()])
    return policy, notes


def _to_class(c: DraftClass, notes: list[str]) -> ObjectClass | None:
    name = to_snake(c.name)
    if not name:
        notes.append(f"dropped class {c.name!r}: no usable name")
        return None
    if name != c.name:
        notes.append(f"class {c.name!r} renamed {name}")
    appears = c.appears
    if name.split("_")[-1] in _PERSON_WORDS and appears != "person":
        notes.append(f"class {name}: appears set to person")
        appears = "person"
    return ObjectClass(name=name, description=c.description.strip()[:300], appears=appears)


def _to_rule(r: DraftRule, rid: str, names: list[str], notes: list[str]) -> Rule:
    classes: list[str] = []
    for raw in r.classes:
        name = match_name(raw, names) or to_snake(raw)
        if name and name not in classes:
            classes.append(name)
    return Rule(id=rid, text=r.text.strip()[:500], severity=r.severity, classes=classes,
                violating=r.violating.strip()[:400])


def adopt_rule_classes(policy: Policy) -> tuple[Policy, list[str]]:
    """Classes a rule names but the class list lacks become classes (appearance guessed
    from the name) when they name a visible thing; abstract ones are dropped from the rule."""
    from synthloop.tools.design.fill import with_changes

    notes: list[str] = []
    classes = list(policy.classes)
    rules = []
    for r in policy.rules:
        keep = []
        for name in r.classes:
            if any(c.name == name for c in classes):
                keep.append(name)
            elif is_abstract(name):
                notes.append(f"rule {r.id}: dropped '{name}', not a visible object")
            elif len(classes) < 20:
                classes.append(ObjectClass(name=name, description=with_article(spaced(name)),
                                           appears=guess_appears(name)))
                notes.append(f"added class {name} (named by rule {r.id})")
                keep.append(name)
        rules.append(r.model_copy(update={"classes": keep}))
    return (with_changes(policy, classes=classes, rules=rules), notes) if notes else (policy, [])


def is_abstract(name: str) -> bool:
    """True for names lint rejects as classes (ideas or scene conditions)."""
    parts = name.split("_")
    return parts[-1] in ABSTRACT_NOUNS or all(p in AXIS_LIKE for p in parts)


def drop_abstract_classes(policy: Policy) -> tuple[Policy, list[str]]:
    """Remove classes a camera cannot see (and their mentions): the last resort when the
    critic pass left them in."""
    from synthloop.tools.design.fill import with_changes

    bad = [c.name for c in policy.classes if is_abstract(c.name)]
    if not bad:
        return policy, []
    classes = [c for c in policy.classes if c.name not in bad]
    rules = [r.model_copy(update={"classes": [n for n in r.classes if n not in bad]})
             for r in policy.rules]
    scenarios = [s.model_copy(update={"classes": [c for c in s.classes if c.name not in bad]})
                 for s in policy.scenarios]
    return (with_changes(policy, classes=classes, rules=rules, scenarios=scenarios),
            [f"removed class {n}: not something a camera can see" for n in bad])


def policy_to_draft(policy: Policy) -> PolicyDraft:
    """The policy in the model's own shape, to show it back in the critic prompt."""
    return PolicyDraft.model_construct(
        title=policy.title, task=policy.task, context=policy.context,
        classes=[DraftClass.model_construct(name=c.name, appears=c.appears,
                                            description=c.description) for c in policy.classes],
        rules=[DraftRule.model_construct(text=r.text, classes=r.classes, severity=r.severity,
                                         violating=r.violating) for r in policy.rules],
        hard_cases=list(policy.hard_cases))


def draft_to_scenarios(items: list[DraftScenario], policy: Policy) -> tuple[list[Scenario], list[str]]:
    """Scenarios from the model's list: rule ids and class names matched to the policy's,
    weights from frequency x risk (rare but high-risk events keep a real share)."""
    notes: list[str] = []
    rule_ids = {r.id.lower(): r.id for r in policy.rules}
    names = policy.class_names()
    taken = {s.id for s in policy.scenarios}
    out: list[Scenario] = []
    for d in items:
        rule = rule_ids.get(d.rule.strip().lower()) or rule_ids.get(f"r{d.rule.strip()}")
        if rule is None:
            notes.append(f"dropped scenario {d.description[:50]!r}: unknown rule {d.rule!r}")
            continue
        counts: dict[str, int] = {}
        for c in d.shows:
            name = match_name(c.name, names)
            if name is None:
                notes.append(f"scenario {d.description[:40]!r}: dropped '{c.name}', not a class")
                continue
            counts[name] = max(counts.get(name, 0), c.count)
        sid = _unique(to_snake(f"{rule}_{d.kind}_{_short(d.description)}", max_len=60), taken)
        weight = round(FREQUENCY_WEIGHT[d.frequency] * RISK_FACTOR[d.risk], 3)
        label = ("violating" if d.violation or d.kind == "violating" else "compliant") \
            if policy.task == "classification" else None
        out.append(Scenario(id=sid, rule_id=rule, kind=d.kind, description=d.description[:400],
                            classes=[ClassCount(name=n, count=k) for n, k in counts.items()],
                            weight=weight, risk=d.risk, label=label))
    return out, notes


def _short(text: str) -> str:
    words = [w for w in normalise_text(text).split() if len(w) > 2][:4]
    return "_".join(words)


def _unique(sid: str, taken: set[str]) -> str:
    sid = sid or "scenario"
    out, i = sid, 2
    while out in taken:
        out, i = f"{sid}_{i}", i + 1
    taken.add(out)
    return out
