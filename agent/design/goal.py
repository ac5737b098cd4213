"""Checking the goal a person typed before any LLM sees it."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from synthloop.tools.errors import ValidationError

MAX_GOAL_CHARS = 10_000
"""The most a goal may be: all of it goes to the drafting model."""
POLICY_GOAL_CHARS = 2_000
"""The most of it a policy keeps (tools.models.Policy.goal), said to the user when cut."""
MAX_WORD_LETTERS = 40
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ENGLISH = set("""the a an and or must wear wears wearing with on in of to is are be should
have has their all every any who when while at for no not never person people worker workers
rider riders site floor helmet hard hat vest""".split())
# A handful of very common words per language: enough to tell a sentence's language apart.
_OTHER = {
    "German": set("der die das und oder muss müssen tragen trägt mit auf im ein eine einen "
                  "nicht kein keine alle jeder arbeiter helm weste".split()),
    "French": set("le la les et ou doit doivent porter porte avec sur dans un une des pas "
                  "tous chaque ouvriers casque gilet".split()),
    "Spanish": set("el la los las y o debe deben llevar lleva con en un una no todos cada "
                   "trabajadores casco chaleco".split()),
    "Italian": set("il lo la gli le e o deve devono indossare indossa con su un una non tutti "
                   "ogni lavoratori casco gilet".split()),
    "Dutch": set("de het en of moet moeten dragen draagt met op een niet geen alle elke "
                 "werknemers helm hesje".split()),
    "Portuguese": set("o a os as e ou deve devem usar usa com em um uma não todos cada "
                      "trabalhadores capacete colete".split()),
}


def check_goal(goal: str) -> tuple[str, list[str]]:
    """The goal cleaned of control characters and extra whitespace, and notes for the user
    (e.g. that a goal in another language is drafted in English). An empty goal or one
    over 10,000 characters is a ValidationError."""
    if not isinstance(goal, str):
        raise ValidationError(f"the goal must be text, got {type(goal).__name__}")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in goal)
    text = " ".join(text.split())
    if not text:
        raise ValidationError("the goal is empty",
                              'say what should be true, e.g. synthloop design "workers wear a hard hat"')
    if len(text) > MAX_GOAL_CHARS:
        raise ValidationError(f"the goal is {len(text):,} characters; at most {MAX_GOAL_CHARS:,}",
                              "state the goal in a few sentences; put details in the policy file")
    reason = nonsense_reason(text)
    if reason:
        raise ValidationError(
            f"the goal has no compliance content to design from: {reason}",
            'say who must do or wear what, where, e.g. synthloop design "workers on the site '
            'wear a hard hat and a hi-vis vest"')
    notes = []
    if len(text) > POLICY_GOAL_CHARS:
        notes.append(f"the goal is {len(text):,} characters: the drafting model reads all of "
                     f"it, the policy keeps its first {POLICY_GOAL_CHARS:,} as the record of "
                     "what was asked (a policy's goal is a summary, its rules hold the details)")
    language = guess_language(text)
    if language != "English":
        notes.append(f"the goal looks like {language}; the policy is drafted in English")
    return text, notes


def nonsense_reason(text: str) -> str | None:
    """Why `text` cannot be a compliance goal, judged by code before any model sees it (a
    model given "🦺🦺🦺" invents a policy): no letters, one letter over and over, at most
    five words repeated many times, or (in a script with spaces) no word of a real length.
    None when it may be a goal; the drafting model can still say it cannot design from it."""
    letters = [ch.lower() for ch in text if ch.isalpha()]
    if len(letters) < 2:
        return "it has no words" + (" (only symbols or emoji)" if text.strip() else "")
    top_letter, top = Counter(letters).most_common(1)[0]
    if len(letters) >= 12 and top / len(letters) > 0.5:
        return f"it is mostly the letter {top_letter!r} repeated ({top:,} of {len(letters):,})"
    words = [w.lower() for w in _WORD.findall(text)]
    distinct = set(words)
    if len(words) >= 8 and len(distinct) <= min(5, len(words) // 4):  # one phrase over and over
        shown = ", ".join(repr(w[:20]) for w in sorted(distinct)[:5])
        shown += ", ..." if len(distinct) > 5 else ""
        return f"it repeats {shown} {len(words):,} times"
    non_latin = sum(ord(ch) > 0x24F for ch in letters) / len(letters) > 0.3
    if not non_latin and not any(2 <= len(w) <= MAX_WORD_LETTERS for w in words):
        return "it has no word of a real length"
    return None


def guess_language(text: str) -> str:
    """'English', a language name from a small list, or 'another language' (non-Latin
    script, or no common words recognised)."""
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(ord(ch) > 0x24F for ch in letters) / len(letters) > 0.3:
        return "another language (non-Latin script)"
    words = [w.lower() for w in _WORD.findall(text)]
    english = sum(w in _ENGLISH for w in words)
    scores = {lang: sum(w in vocab for w in words) for lang, vocab in _OTHER.items()}
    best = max(scores, key=scores.get)
    if scores[best] > english and scores[best] >= 2:
        return best
    return "English"
