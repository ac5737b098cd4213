"""Template texts written by code from the scene facts: two captions and the questions.

Every template is run through the checker against the facts before use (`drafts`); a
sentence that fails (a policy's scenario description contradicted by the labels, say) is
left out, so the reference texts are true by construction and by check.
"""

from __future__ import annotations

from .checker import Require, check_text
from .facts import PersonFacts, RuleFacts, SceneFacts
from .models import Draft
from .vocab import number_word, spaced

NO_COUNT = Require(counts=False, positions=False, compliance=False, objects=False, label=False)


def name(cls: str) -> str:
    return spaced(cls)


def plural(cls: str, n: int) -> str:
    base = name(cls)
    if n == 1:
        return base
    if base == "person":
        return "people"
    if base.endswith(("s", "x", "ch", "sh")):
        return base + "es" if not base.endswith("s") else base
    return base + "s"


def a(cls: str) -> str:
    n = name(cls)
    return ("an " if n[:1] in "aeiou" else "a ") + n


def joined(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def where(pos: str) -> str:
    return "in the centre" if pos == "centre" else f"on the {pos}"


def count_phrase(n: int, cls: str) -> str:
    return f"{number_word(n)} {plural(cls, n)}"


def objects_phrase(f: SceneFacts) -> str:
    parts = [count_phrase(n, c) for c in f.class_names if (n := f.counts.get(c, 0))]
    return joined(parts) if parts else "no labelled objects"


def person_sentence(f: SceneFacts, p: PersonFacts) -> str:
    who = f"the {name(f.person_class or 'person')} {where(p.position)}"
    has = [a(c) for c in p.wears]
    lacks = [name(c) for c in p.lacks]
    if has and lacks:
        return f"{who} wears {joined(has)} but no {joined(lacks, 'and no')}"
    if has:
        return f"{who} wears {joined(has)}"
    if lacks:
        return f"{who} wears no {lacks[0]}" if len(lacks) == 1 else \
            f"{who} wears neither {joined(lacks, 'nor')}"
    return who + " is in view"


def _people(f: SceneFacts, n: int) -> str:
    return plural(f.person_class or "person", n)


def rule_sentence(f: SceneFacts, r: RuleFacts) -> str:
    if r.compliant is None:
        return ""
    if r.required:
        if not r.applies:
            if not f.persons:
                return f"Rule {r.id} does not apply: no one is in view"
            absent = [c for c in r.classes if f.counts.get(c, 0) == 0 and c not in r.required]
            return f"Rule {r.id} does not apply: there is no {joined([name(c) for c in absent], 'and no')}"
        if r.compliant:
            return f"The image complies with rule {r.id}: every {name(f.person_class or 'person')} " \
                   f"wears {joined([a(c) for c in r.required])}"
        parts = []
        n = r.subjects
        for c, who in r.missing.items():
            if who:
                k = len(who)
                verb = "is" if k == 1 else "are"
                parts.append(f"{number_word(k)} of {number_word(n)} {_people(f, n)} {verb} "
                             f"without {a(c)}" if n > 1 else f"the {name(f.person_class or 'person')} "
                             f"is without {a(c)}")
        return f"The image violates rule {r.id}: {joined(parts)}"
    trigger, needed = r.classes[0], r.classes[1:]
    if not r.applies:
        return f"Rule {r.id} does not apply: there is no {name(trigger)}"
    if r.compliant:
        return f"The image complies with rule {r.id}: there is {a(trigger)} with " \
               f"{joined([a(c) for c in needed])}" if needed else \
               f"The image complies with rule {r.id}"
    lacking = [c for c in needed if f.counts.get(c, 0) == 0]
    return f"The image violates rule {r.id}: there is {a(trigger)} but no " \
           f"{joined([name(c) for c in lacking], 'and no')}"


def verdict(f: SceneFacts) -> str:
    if f.task == "classification" and f.label is not None:
        lab = f"the image is labelled {spaced(f.label)}"
        if f.compliant is None:
            return lab
        return lab + (", which is compliant" if f.compliant else ", which is a violation")
    bad = [r.id for r in f.rules if r.compliant is False]
    if bad:
        return f"it violates rule {joined(bad)}"
    if f.compliant:
        return "it complies with every rule"
    return ""


def _checked(f: SceneFacts, sentences: list[str]) -> list[str]:
    out = []
    for s in sentences:
        if s and not check_text(s, f, s, require=NO_COUNT):
            out.append(s)
    return out


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def captions(f: SceneFacts) -> tuple[Draft, Draft]:
    """(short, descriptive) caption drafts."""
    if f.objects_known:
        head = _cap(objects_phrase(f))
    else:
        head = "An image"
    v = verdict(f)
    short = f"{head}; {v}." if v else f"{head}."
    body = [_cap(s) for s in _checked(f, [f.scenario_description])]
    body += [_cap(person_sentence(f, p)) for p in f.persons]
    body += [s for r in f.rules if (s := rule_sentence(f, r))]
    if f.task == "classification" and f.label is not None:
        body.append(_cap(v))
    if f.variables:
        body.append("Conditions: " + ", ".join(f"{spaced(k)} {spaced(x)}"
                                                for k, x in f.variables.items()))
    long_ = f"{head}. " + ". ".join(_checked(f, body)) + "."
    return (Draft(kind="caption_short", reference=short,
                  require=Require(positions=False)),
            Draft(kind="caption_long", reference=long_, require=Require(variables=True)))


def questions(f: SceneFacts) -> list[Draft]:
    """Question drafts about the policy's rules, most telling first."""
    out: list[Draft] = []
    person = name(f.person_class or "person")
    if f.task == "classification" and f.label is not None:
        if f.compliant is not None:
            out.append(Draft(kind="label_compliance", question="Does this image comply with the policy?",
                             reference=("Yes, " if f.compliant else "No, ") + verdict(f) + ".",
                             expect_yes=f.compliant))
        out.append(Draft(kind="label", question="Which label does this image have?",
                         reference=_cap(f"the image is labelled {spaced(f.label)}.")))
    for r in f.rules:
        if r.compliant is None:
            continue
        if r.required and r.applies:
            items = joined([a(c) for c in r.required])
            ok = bool(r.compliant)
            q = f"Is every {person} wearing {items}?" if r.subjects > 1 else \
                f"Is the {person} wearing {items}?"
            ans = (f"Yes, every {person} wears {items}." if ok and r.subjects > 1 else
                   f"Yes, the {person} wears {items}." if ok else
                   "No. " + ". ".join(_cap(person_sentence(f, f.persons[i]))
                                      for i in sorted({i for w in r.missing.values() for i in w}))
                   + ".")
            out.append(Draft(kind=f"{r.id}:yes_no", question=q, reference=ans, expect_yes=ok))
            for c, who in r.missing.items():
                k, n = len(who), r.subjects
                q = f"How many {_people(f, 2)} are not wearing {a(c)}?"
                if k == 0:
                    ans = f"No one: every {person} wears {a(c)}."
                elif n == 1:
                    ans = f"One: the {person} is not wearing {a(c)}."
                else:
                    ans = f"{_cap(number_word(k))} of the {number_word(n)} {_people(f, n)} " \
                          f"{'is' if k == 1 else 'are'} not wearing {a(c)}."
                out.append(Draft(kind=f"{r.id}:count:{c}", question=q, reference=ans))
                if k:
                    pos = [where(f.persons[i].position) for i in who]
                    q = f"Where is the {person} without {a(c)}?" if k == 1 else \
                        f"Where are the {_people(f, k)} without {a(c)}?"
                    ans = f"The {person} without {a(c)} is {pos[0]}." if k == 1 else \
                        f"The {_people(f, k)} without {a(c)} are {joined(pos)}."
                    out.append(Draft(kind=f"{r.id}:where:{c}", question=q, reference=ans))
        sentence = rule_sentence(f, r)
        if sentence and r.applies:
            out.append(Draft(kind=f"{r.id}:complies",
                             question=f"Does the image comply with rule {r.id} ({r.text.rstrip('.')})?",
                             reference=("Yes. " if r.compliant else "No. ") + sentence + ".",
                             expect_yes=bool(r.compliant)))
    if f.objects_known:
        for c in f.class_names:
            n = f.counts.get(c, 0)
            ans = f"There {'is' if n == 1 else 'are'} {count_phrase(n, c)}." if n else \
                f"There are no {plural(c, 2)}."
            out.append(Draft(kind=f"count:{c}", question=f"How many {plural(c, 2)} are there?",
                             reference=ans))
    return [d for d in out if not check_text(d.reference, f, d.reference,
                                             expect_yes=d.expect_yes, require=d.require)]
