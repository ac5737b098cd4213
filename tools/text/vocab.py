"""Words the checker reads: numbers, colours, positions, yes/no, compliance, negation,
quantifiers, and the tokenizer that maps text to comparable word forms.

Nothing here names a policy's classes: those come from the policy at run time
(`class_phrases`), so the checker works for any policy.
"""

from __future__ import annotations

import re

NUMBER_WORDS = {
    "zero": 0, "noone": 0, "nobody": 0, "none": 0, "one": 1, "single": 1, "two": 2,
    "both": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20,
}
WORD_FOR = {0: "no", 1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six",
            7: "seven", 8: "eight", 9: "nine", 10: "ten"}
COLOURS = {
    "red", "orange", "yellow", "green", "blue", "purple", "violet", "pink", "brown", "black",
    "white", "grey", "gray", "silver", "gold", "golden", "beige", "cyan", "magenta", "navy",
    "teal", "maroon", "turquoise", "lime",
}
# canonical position -> the words that say it
POSITIONS = {
    "left": {"left", "leftmost", "lefthand"},
    "right": {"right", "rightmost", "righthand"},
    "centre": {"centre", "center", "middle", "central", "centred", "centered"},
}
POSITION_OF = {w: canon for canon, words in POSITIONS.items() for w in words}
NEGATIONS = {"without", "no", "not", "lack", "lacking", "missing", "nor", "neither", "bare",
             "never", "noone", "nobody", "none", "absent", "minus"}
UNIVERSAL = {"everyone", "everybody", "all", "every", "each", "both"}
NOBODY = {"noone", "nobody", "none"}
PERSON_WORDS = {"person", "people", "persons", "worker", "man", "woman", "men", "women",
                "individual", "rider", "pedestrian", "visitor", "someone", "figure", "employee",
                "staff", "human", "operator", "he", "she", "they", "everyone", "everybody"}
# Words that make a clause a compliance statement, and their polarity.
POSITIVE = {"compliant", "comply", "complying", "compliance", "conform",
            "satisfy", "satisfied", "fulfil", "fulfill", "meet", "obey", "adhere",
            "adhering", "respected", "respect"}
NEGATIVE = {"violate", "violated", "violating", "violation", "breach", "breached",
            "infringe", "infringement", "noncompliant", "noncompliance", "unsafe", "fail",
            "failed", "failing", "failure", "disregard"}
YES = {"yes", "yeah", "yep", "correct", "indeed", "affirmative"}
NO = {"no", "nope", "negative"}
CLAUSE_BREAK = re.compile(r"[.;:!?\n]+|,\s+|\s+(?:while|whereas|and\s+yet)\s+")
_CONTRACTIONS = [(re.compile(r"n['’]t\b"), " not"), (re.compile(r"['’]s\b"), ""),
                 (re.compile(r"\bno[\s-]one\b"), "noone"), (re.compile(r"\bnon[\s-]"), "non"),
                 (re.compile(r"\bcannot\b"), "can not")]
_IRREGULAR = {"people": "person", "persons": "person", "men": "man", "women": "woman",
              "hi": "hi", "vis": "vis", "glasses": "glass", "this": "this", "is": "is",
              "was": "was", "has": "has", "does": "does", "always": "always", "less": "less",
              "yes": "yes", "bus": "bus", "gas": "gas", "its": "its", "us": "us", "his": "his",
              "lens": "lens", "series": "series", "across": "across", "status": "status",
              "chassis": "chassis", "canvas": "canvas", "dress": "dress", "ss": "ss"}
_WORD = re.compile(r"[a-z0-9]+")


def _lemmas(words: set[str]) -> set[str]:
    return {lemma(w) for w in words}


def lemma(word: str) -> str:
    """A crude singular: 'hats' -> 'hat', 'people' -> 'person'; applied to the text and to
    class names alike, so both sides compare the same form."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) > 3 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


# Words that claim nothing about the scene: grammar, and the neutral verbs and nouns of a
# caption or an answer. A rephrasing may use these and the words of its reference and of
# the labels, nothing else ("standing on a construction site" claims a place the labels do
# not give). Quantifiers that claim a count ("another", "several", "some", "alone") are left
# out on purpose: the count check cannot read them.
NEUTRAL = {
    "a", "an", "the", "this", "that", "these", "those", "there", "here", "it", "its", "they",
    "them", "their", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did",
    "has", "have", "had", "having", "and", "or", "but", "so", "also", "too", "as", "well",
    "at", "by", "for", "from", "in", "into", "of", "on", "onto", "to", "with", "within",
    "which", "who", "whose", "what", "where", "how", "because", "since", "if", "only", "just",
    "even", "any", "can", "could", "see", "seen", "visible", "image", "picture", "photo",
    "photograph", "scene", "frame", "shot", "view", "show", "shown", "showing", "depict",
    "depicting", "appear", "appearing", "present", "stand", "standing", "located", "wear",
    "wearing", "worn", "wore", "dressed", "hold", "holding", "carry", "carrying", "head",
    "body", "side", "rule", "requirement", "policy", "condition", "according", "regarding",
    "total", "altogether", "number", "count", "nor", "either", "currently", "due", "follow",
    "required", "require", "per", "while",
}
POSITIVE, NEGATIVE, PERSON_WORDS = _lemmas(POSITIVE), _lemmas(NEGATIVE), _lemmas(PERSON_WORDS)
NEUTRAL = _lemmas(NEUTRAL)
NEGATIONS, UNIVERSAL, COLOURS = _lemmas(NEGATIONS), _lemmas(UNIVERSAL), _lemmas(COLOURS)


def normalise(text: str) -> str:
    t = text.lower().replace("_", " ").replace("-", " ")
    for pat, rep in _CONTRACTIONS:
        t = pat.sub(rep, t)
    return t


def tokens(text: str) -> list[str]:
    """Lower-case lemmatised words of `text` ('No one wears hard-hats' ->
    ['noone', 'wear', 'hard', 'hat'])."""
    return [lemma(w) for w in _WORD.findall(normalise(text))]


def clauses(text: str) -> list[str]:
    """`text` split where a statement ends (sentence marks, commas, 'while')."""
    return [c for c in CLAUSE_BREAK.split(text) if c and c.strip()]


def number_of(token: str) -> int | None:
    if token.isdigit() and len(token) <= 3:
        return int(token)
    return NUMBER_WORDS.get(token)


def number_word(n: int) -> str:
    return WORD_FOR.get(n, str(n))


def spaced(name: str) -> str:
    return name.replace("_", " ")
