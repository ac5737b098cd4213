"""The LLM rephrases; the checker decides. One text: ask, check, retry once with the
problems quoted back, else keep the template, and record every rejection with its reasons.

`phrase` is any callable `(prompt, temperature) -> str`: the agent passes its LLM client,
tests a fake. `tools/` never imports the LLM layer.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable

from pydantic import BaseModel, Field

from ..secrets import redact
from .checker import Issue, check_text
from .facts import SceneFacts
from .models import Draft, Rejection, Text

log = logging.getLogger(__name__)

Phrase = Callable[[str, float], str]

SYSTEM = ("You rewrite short texts about one image for a vision-language dataset. Keep every "
          "fact exactly as given: each number, object name, colour, position (left, centre, "
          "right), yes or no, and compliance statement. Add no fact, no colour and no object "
          "that is not in the text. Reply with the rewritten text only.")
_LABEL = re.compile(r"^\s*(?:rewritten\s+)?(?:answer|caption|text|response|assistant)\s*:\s*",
                    re.IGNORECASE)


class TextStats(BaseModel):
    texts: int = 0
    llm_calls: int = 0
    llm_accepted: int = 0
    template: int = Field(default=0, description="texts exported as the template")
    llm_errors: int = 0
    rejected: int = Field(default=0, description="LLM replies the checker refused")
    reasons: dict[str, int] = Field(default_factory=dict, description="rejections by reason")

    def add(self, text: Text, errors: int) -> None:
        self.texts += 1
        self.llm_errors += errors
        self.rejected += len(text.rejections)
        if text.source == "llm":
            self.llm_accepted += 1
        else:
            self.template += 1
        c = Counter(self.reasons)
        for r in text.rejections:
            c.update({i.reason for i in r.issues})
        self.reasons = dict(sorted(c.items()))

    def merge(self, other: TextStats) -> None:
        for k in ("texts", "llm_calls", "llm_accepted", "template", "llm_errors", "rejected"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.reasons = dict(sorted((Counter(self.reasons) + Counter(other.reasons)).items()))


def prompt_for(draft: Draft, issues: list[Issue] | None = None, previous: str = "") -> str:
    what = "image caption" if draft.kind.startswith("caption") else "answer"
    lines = [SYSTEM, ""]
    if draft.question:
        lines.append(f"Question about the image: {draft.question}")
    if draft.expect_yes is not None:
        lines.append(f"The answer must start with \"{'Yes' if draft.expect_yes else 'No'}\".")
    lines.append(f"Rewrite this {what} in natural, varied words:")
    lines.append(draft.reference)
    if issues:
        lines += ["", f"Your previous version was refused: {previous}",
                  "Problems: " + "; ".join(i.detail for i in issues), "Write it again, correctly."]
    return "\n".join(lines)


def clean(reply: str) -> str:
    text = (reply or "").strip()
    text = _LABEL.sub("", text).strip()
    text = text.split("\n\n")[0].strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”":
        text = text[1:-1].strip()
    return text.strip("“”").strip()


def write_text(draft: Draft, facts: SceneFacts, *, phrase: Phrase | None, temperature: float | None,
               retries: int = 1, stats: TextStats | None = None) -> Text:
    """The checked text for `draft`: the LLM's phrasing when the checker finds it true to the
    labels (within 1 + `retries` tries), else the template."""
    rejections: list[Rejection] = []
    errors = 0
    chosen: str | None = None
    if phrase is not None and temperature is not None:
        issues: list[Issue] | None = None
        previous = ""
        for attempt in range(1, retries + 2):
            if stats is not None:
                stats.llm_calls += 1
            try:
                reply = clean(phrase(prompt_for(draft, issues, previous), temperature))
            except Exception as e:  # the LLM is optional: any failure falls back, counted
                errors += 1
                log.warning("phrasing %s failed: %s", draft.kind, redact(f"{type(e).__name__}: {e}"))
                break
            found = check_text(reply, facts, draft.reference, expect_yes=draft.expect_yes,
                               require=draft.require)
            if not found:
                chosen = reply
                break
            rejections.append(Rejection(attempt=attempt, text=reply, issues=found))
            issues, previous = found, reply
    text = Text(kind=draft.kind, text=chosen if chosen is not None else draft.reference,
                reference=draft.reference, source="llm" if chosen is not None else "template",
                temperature=temperature if chosen is not None else None,
                expect_yes=draft.expect_yes, rejections=rejections)
    if stats is not None:
        stats.add(text, errors)
    return text
