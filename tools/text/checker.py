"""The checker: does a text agree with a sample's labels?

"The LLM proposes; code checks." A text (an LLM's rephrasing, or a template) is compared with
the scene facts and with the reference text code wrote from them:

- objects: each class it names must be there (or, named after 'without', 'no', 'lacks',
  be missing on someone); 'everyone'/'all'/'no one' claims must hold for every person;
- counts: each number (digits, number words, 'both', 'no one') next to a class must be that
  class's count or a number the reference pairs with it; any other number must be one the
  reference states;
- colours: only colours the reference or the sample's variables give;
- positions: only the reference's position words, and a clause that puts a class at a
  position must match a person or object there;
- compliance: a clause that says compliant/violates must agree with the rules it names
  (rule ids, else its classes, else the whole image); a yes/no answer must lead with the
  expected word;
- variables and labels: no value of another axis, no other image label;
- nothing new: every other word must be a neutral one (vocab.NEUTRAL) or one of the
  reference's, the labels' (class names, rule ids, this image's variable values and
  scenario) or the checks' own words above; a rephrasing may reword, never add a claim;
- completeness (per `Require`): the reference's classes, numbers, positions, compliance
  statement, variable values and label must all still be there.

Class names, axis values and labels come from the policy, so nothing here is tuned to one.
"""

from __future__ import annotations

from pydantic import BaseModel

from .facts import SceneFacts
from .vocab import (
    COLOURS,
    NEGATIONS,
    NEGATIVE,
    NEUTRAL,
    NO,
    NOBODY,
    PERSON_WORDS,
    POSITION_OF,
    POSITIONS,
    POSITIVE,
    UNIVERSAL,
    YES,
    clauses,
    number_of,
    spaced,
    tokens,
)

REASONS = ("empty", "length", "object", "missing_object", "count", "missing_count", "colour",
           "position", "missing_position", "compliance", "missing_compliance", "yes_no",
           "variable", "missing_variable", "label", "missing_label", "unsupported")
_STOP_VALUES = {"none", "no", "yes", "other", "normal", "default", "a", "the"}
_NEG_PLAIN = NEGATIONS - NOBODY


class Require(BaseModel):
    """Which of the reference's facts a text must keep."""

    objects: bool = True
    counts: bool = True
    positions: bool = True
    compliance: bool = True
    variables: bool = False
    label: bool = True


class Issue(BaseModel):
    reason: str
    detail: str


class Mention(BaseModel):
    cls: str
    start: int
    end: int
    negated: bool


def _phrases(facts: SceneFacts) -> list[tuple[tuple[str, ...], str]]:
    """(token sequence, class) pairs, longest first: full names, then unique head words."""
    out: list[tuple[tuple[str, ...], str]] = []
    heads: dict[str, list[str]] = {}
    for c in facts.class_names:
        t = tuple(tokens(spaced(c)))
        if t:
            out.append((t, c))
            heads.setdefault(t[-1], []).append(c)
    for head, cs in heads.items():
        if len(cs) == 1 and (head,) not in {p for p, _ in out}:
            out.append(((head,), cs[0]))
    if facts.person_class:
        out += [((w,), facts.person_class) for w in PERSON_WORDS
                if (w,) not in {p for p, _ in out}]
    return sorted(out, key=lambda pc: -len(pc[0]))


def mentions(toks: list[str], facts: SceneFacts) -> list[Mention]:
    phrases = _phrases(facts)
    out: list[Mention] = []
    i = 0
    while i < len(toks):
        for p, c in phrases:
            if tuple(toks[i:i + len(p)]) == p:
                window = toks[max(0, i - 3):i]
                neg = sum(t in _NEG_PLAIN for t in window) % 2 == 1
                out.append(Mention(cls=c, start=i, end=i + len(p), negated=neg))
                i += len(p) - 1
                break
        i += 1
    return out


def _numbers(toks: list[str], ms: list[Mention]) -> list[tuple[int, str | None]]:
    """(number, class it counts or None) for each number in `toks`."""
    inside = {j for m in ms for j in range(m.start, m.end)}
    out = []
    for i, t in enumerate(toks):
        n = number_of(t)
        if n is None or i in inside:
            continue
        if t in NOBODY and not any(m.start == i + 1 for m in ms):
            out.append((0, None))
            continue
        cls = next((m.cls for m in ms if i < m.start <= i + 4), None)
        out.append((n, cls))
    return out


def _positions(toks: list[str]) -> set[str]:
    return {POSITION_OF[t] for t in toks if t in POSITION_OF}


def _polarity(toks: list[str]) -> int:
    """+1 a compliance claim, -1 a violation claim, 0 none (the last such word decides)."""
    sign = 0
    for i, t in enumerate(toks):
        if t not in POSITIVE and t not in NEGATIVE:
            continue
        window = toks[max(0, i - 3):i]
        flip = any(w in NEGATIONS for w in window) or (
            t in POSITIVE and any(w in NEGATIVE for w in window))
        s = 1 if t in POSITIVE else -1
        sign = -s if flip and not (t in NEGATIVE and any(w in NEGATIVE for w in window)) else s
    return sign


def _contains(toks: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return n > 0 and any(toks[i:i + n] == phrase for i in range(len(toks) - n + 1))


def _yes_no(toks: list[str]) -> bool | None:
    if not toks:
        return None
    return True if toks[0] in YES else False if toks[0] in NO else None


def check_text(text: str, facts: SceneFacts, reference: str, *, expect_yes: bool | None = None,
               require: Require | None = None) -> list[Issue]:
    """Every way `text` disagrees with `facts` (and drops what `reference` states); empty
    when it agrees."""
    req = require or Require()
    issues: list[Issue] = []

    def bad(reason: str, detail: str) -> None:
        if not any(i.reason == reason and i.detail == detail for i in issues):
            issues.append(Issue(reason=reason, detail=detail))

    if not text or not text.strip():
        return [Issue(reason="empty", detail="no text")]
    if len(text) > 3 * len(reference) + 200:
        bad("length", f"{len(text)} characters for a {len(reference)}-character reference")
    toks, ref = tokens(text), tokens(reference)
    ms, ref_ms = mentions(toks, facts), mentions(ref, facts)
    if expect_yes is not None:
        said = _yes_no(toks)
        if said is None:
            bad("yes_no", "the answer does not start with yes or no")
        elif said != expect_yes:
            bad("yes_no", f"says {'yes' if said else 'no'}, the labels say "
                          f"{'yes' if expect_yes else 'no'}")
    _check_objects(text, facts, bad)
    _check_counts(text, reference, facts, req, bad)
    if facts.objects_known and req.objects:
        for c in sorted({m.cls for m in ref_ms} - {m.cls for m in ms}):
            bad("missing_object", f"{spaced(c)} is in the reference but not in the text")
    colours = {t for i, t in enumerate(toks) if t in COLOURS
               and not any(m.start <= i < m.end for m in ms)}
    for c in sorted(colours - set(ref) - set(facts.colours)):
        bad("colour", f"{c} is not a colour the labels give")
    pos, ref_pos = _positions(toks), _positions(ref)
    for p in sorted(pos - ref_pos):
        bad("position", f"'{p}' is not a position the reference gives")
    if req.positions:
        for p in sorted(ref_pos - pos):
            bad("missing_position", f"'{p}' is missing")
    _check_compliance(text, facts, bad)
    ref_pol = {_polarity(tokens(c)) for c in _polarity_clauses(reference)} - {0}
    pol = {_polarity(tokens(c)) for c in _polarity_clauses(text)} - {0}
    if req.compliance and ref_pol and not (ref_pol & pol) and expect_yes is None:
        bad("missing_compliance", "the reference's compliance statement is missing")
    _check_values(toks, ref, facts, req, bad)
    _check_unsupported(toks, ref, facts, bad)
    return issues


_CHECKED = (NEUTRAL | NEGATIONS | UNIVERSAL | NOBODY | PERSON_WORDS | POSITIVE | NEGATIVE | YES
            | NO | set(POSITION_OF) | set(POSITIONS) | COLOURS)


def _check_unsupported(toks: list[str], ref: list[str], facts: SceneFacts, bad) -> None:
    """Words that none of the checks can read and that neither the reference nor the labels
    give: a claim the labels cannot back (colours, numbers and positions have their own
    checks)."""
    known = set(ref) | _CHECKED
    for c in facts.class_names:
        known.update(tokens(spaced(c)))
    for r in facts.rules:
        known.update(tokens(r.id) + tokens(r.text))
    for axis, v in facts.variables.items():
        known.update(tokens(spaced(axis)) + tokens(spaced(v)))
    for text in (facts.scenario_description, facts.label or ""):
        known.update(tokens(spaced(text)))
    for t in dict.fromkeys(toks):
        if t not in known and number_of(t) is None:
            bad("unsupported", f"'{t}' is in neither the reference nor the labels")


def _expected_count(n: int, i: int, toks: list[str], ms: list[Mention], cls: str,
                    facts: SceneFacts) -> int:
    """What a number at `i` that counts `cls` must be, from the clause it stands in: people
    without a worn class when the clause says so ('two of the three people lack a vest':
    two lack, three in all), people wearing it for 'N people wear...', else the class count."""
    total = facts.counts.get(cls, 0)
    if cls != facts.person_class:
        m = next(m for m in ms if m.cls == cls and i < m.start)
        if m.negated:
            return sum(cls not in p.wears for p in facts.persons)
        return total
    if toks[max(0, i - 2):i][-1:] == ["of"] or toks[max(0, i - 2):i][:1] == ["of"]:
        return total
    worn = [m for m in ms if m.cls != cls and m.start > i and (
        any(m.cls in p.wears for p in facts.persons)
        or any(m.cls in r.required for r in facts.rules))]
    if not worn:
        return total
    m = worn[0]
    if m.negated:
        return sum(m.cls not in p.wears for p in facts.persons)
    return sum(m.cls in p.wears for p in facts.persons)


def _check_counts(text: str, reference: str, facts: SceneFacts, req: Require, bad) -> None:
    ref_values = {n for c in clauses(reference) for n, _ in _numbers(tokens(c), mentions(
        tokens(c), facts))}
    said: set[int] = set()
    for clause in clauses(text):
        toks = tokens(clause)
        ms = mentions(toks, facts)
        inside = {j for m in ms for j in range(m.start, m.end)}
        for i, t in enumerate(toks):
            n = number_of(t)
            if n is None or i in inside:
                continue
            cls = None if (t in NOBODY and not any(m.start == i + 1 for m in ms)) else next(
                (m.cls for m in ms if i < m.start <= i + 4), None)
            n = 0 if t in NOBODY else n
            said.add(n)
            if cls is not None and facts.objects_known:
                want = _expected_count(n, i, toks, ms, cls, facts)
                if n != want:
                    bad("count", f"{n} {spaced(cls)}: the labels have {want}")
            elif n not in ref_values:
                bad("count", f"the number {n} is not one the labels give")
    if req.counts:
        for n in sorted(ref_values - said):
            bad("missing_count", f"the number {n} is missing")


def _check_objects(text: str, facts: SceneFacts, bad) -> None:
    if not facts.objects_known:
        return
    person = facts.person_class
    for k, clause in enumerate(clauses(text)):
        toks = tokens(clause)
        if k == 0 and toks and _yes_no(toks) is not None:
            toks = toks[1:]
        ms = mentions(toks, facts)
        quant = ("all" if any(t in UNIVERSAL for t in toks) else None)
        if any(t in NOBODY for t in toks):
            quant = None if quant else "none"
        where = _positions(toks)
        place = next(iter(where)) if len(where) == 1 else None
        people = [p for p in facts.persons if place is None or p.position == place]
        for m in ms:
            name = spaced(m.cls)
            if m.cls == person:
                if quant != "none" and not m.negated and not people:
                    bad("object" if place is None else "position",
                        f"no {name}" + (f" on the {place}" if place else "") + " in the labels")
                continue
            worn = any(m.cls in p.wears for p in facts.persons) or any(
                m.cls in r.required for r in facts.rules)
            has = [p for p in people if m.cls in p.wears]
            lacks = [p for p in people if m.cls not in p.wears]
            present = [o for o in facts.objects if o.cls == m.cls
                       and (place is None or o.position == place)]
            wants_all = (quant == "all" and not m.negated) or (quant == "none" and m.negated)
            wants_none = (quant == "all" and m.negated) or (quant == "none" and not m.negated)
            if worn and people and wants_all and lacks:
                bad("object", f"not every person has a {name}")
            elif worn and people and wants_none and has:
                bad("object", f"someone has a {name}")
            elif not quant and not m.negated and not present:
                bad("object" if place is None else "position",
                    f"no {name}" + (f" on the {place}" if place else "") + " in the labels")
            elif not quant and m.negated and present and (not worn or not lacks):
                bad("object" if place is None else "position",
                    f"'without {name}'" + (f" on the {place}" if place else "")
                    + " contradicts the labels")


def _polarity_clauses(text: str) -> list[str]:
    return [p for c in clauses(text) for p in c.replace(" but ", " | ").split(" | ")]


def _check_compliance(text: str, facts: SceneFacts, bad) -> None:
    rule_ids = {r.id.lower(): r for r in facts.rules}
    for clause in _polarity_clauses(text):
        toks = tokens(clause)
        sign = _polarity(toks)
        if sign == 0:
            continue
        named = [rule_ids[t] for t in toks if t in rule_ids]
        if not named:
            classes = {m.cls for m in mentions(toks, facts)} - {facts.person_class}
            named = [r for r in facts.rules if classes & set(r.classes)]
        verdicts = [r.compliant for r in named] if named else [facts.compliant]
        if None in verdicts:
            bad("compliance", f"'{clause.strip()}': the labels cannot confirm compliance")
        elif sign > 0 and not all(verdicts):
            bad("compliance", f"'{clause.strip()}' claims compliance; the labels say violated")
        elif sign < 0 and all(verdicts):
            bad("compliance", f"'{clause.strip()}' claims a violation; the labels say compliant")


def _check_values(toks: list[str], ref: list[str], facts: SceneFacts, req: Require, bad) -> None:
    own = [tokens(spaced(v)) for v in facts.variables.values()]
    for axis, values in facts.axis_values.items():
        for v in values:
            vt = tokens(spaced(v))
            if (v == facts.variables.get(axis) or not vt or set(vt) <= _STOP_VALUES
                    or any(_contains(o, vt) for o in own) or _contains(ref, vt)):
                continue
            if _contains(toks, vt):
                bad("variable", f"'{spaced(v)}' ({axis}) is not this image's {axis}")
    if req.variables:
        for axis, v in facts.variables.items():
            vt = tokens(spaced(v))
            if _contains(ref, vt) and not _contains(toks, vt):
                bad("missing_variable", f"{axis} '{spaced(v)}' is missing")
    if facts.label is not None:
        mine = tokens(spaced(facts.label))
        for other in facts.labels:
            ot = tokens(spaced(other))
            if other != facts.label and not _contains(mine, ot) and not _contains(ref, ot) \
                    and _contains(toks, ot):
                bad("label", f"'{spaced(other)}' is another image label")
        if req.label and _contains(ref, mine) and not _contains(toks, mine):
            bad("missing_label", f"the label '{spaced(facts.label)}' is missing")
