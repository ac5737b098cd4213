"""Turning free text (what an LLM or a person wrote) into safe snake_case names, and the
small word lists the design tools share."""

from __future__ import annotations

import re
import unicodedata

from ..models.base import SNAKE_CASE

_NON_WORD = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def to_snake(text: str, *, max_len: int = 48) -> str:
    """`text` as a snake_case name ('Hi-Vis Vest' -> 'hi_vis_vest'); '' when nothing usable
    is left. Accents are folded, everything else that is not a letter or digit becomes '_',
    and a leading digit gets an 'x' so the result always satisfies the models' SNAKE_CASE."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    text = _CAMEL.sub("_", text).lower()
    name = _NON_WORD.sub("_", text).strip("_")
    if not name:
        return ""
    if name[0].isdigit():
        name = "x" + name
    name = name[:max_len].rstrip("_")
    return name if SNAKE_CASE.match(name) else ""


def spaced(name: str) -> str:
    """A snake_case name as words for prompts and reviews: 'hi_vis_vest' -> 'hi vis vest'."""
    return name.replace("_", " ")


def with_article(noun: str) -> str:
    """'hard hat' -> 'a hard hat', 'e scooter' -> 'an e scooter' (by the first letter)."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def singular(word: str) -> str:
    """A crude English singular, enough to match 'hard hats' with 'hard_hat'."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def name_key(name: str) -> str:
    """A key under which near-identical names collide: 'Hard-Hats' and 'hard_hat' match."""
    return "_".join(singular(p) for p in to_snake(name).split("_") if p)


def match_name(text: str, names: list[str]) -> str | None:
    """The one of `names` that `text` means (exact, case, spacing or plural differences),
    or None. Used to repair an LLM's 'Hard hat' into the class 'hard_hat'."""
    if text in names:
        return text
    key = name_key(text)
    if not key:
        return None
    hits = [n for n in names if name_key(n) == key]
    return hits[0] if len(hits) == 1 else None


def normalise_text(text: str) -> str:
    """Lower case, punctuation and articles removed, whitespace collapsed: for finding
    rules that say the same thing twice."""
    words = _NON_WORD.sub(" ", (text or "").lower()).split()
    return " ".join(singular(w) for w in words if w not in {"a", "an", "the", "must", "should"})
