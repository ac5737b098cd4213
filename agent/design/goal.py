"""Checking the goal a person typed before any LLM sees it."""

from __future__ import annotations

import re
import unicodedata

from synthloop.tools.errors import ValidationError

MAX_GOAL_CHARS = 10_000
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
    notes = []
    language = guess_language(text)
    if language != "English":
        notes.append(f"the goal looks like {language}; the policy is drafted in English")
    return text, notes


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
