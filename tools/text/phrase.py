"""The LLM rephrases; the checker decides. A sample's texts: ask for all of them in one
request, check each, ask once more for the refused ones with their problems quoted back,
else keep the template, and record every rejection with its reasons.

The asker is a callable: a `PhraseBatch` `(tasks, temperature) -> replies` (the agent's LLM
client answers a whole sample in one structured request) or, one text at a time, a `Phrase`
`(prompt, temperature) -> str` wrapped by `one_by_one`. `tools/` never imports the LLM layer.
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


class Task(BaseModel):
    """One text to phrase: its draft and, on a retry, the refused phrasing with its problems."""

    draft: Draft
    issues: list[Issue] = Field(default_factory=list)
    previous: str = ""


# Phrases several texts at once: one reply per task, in order (None: that one failed).
PhraseBatch = Callable[[list[Task], float], list[str | None]]


def one_by_one(phrase: Phrase) -> PhraseBatch:
    """A PhraseBatch that asks `phrase` once per task (a failure fails only that text)."""
    def ask(tasks: list[Task], temperature: float) -> list[str | None]:
        out: list[str | None] = []
        for t in tasks:
            try:
                out.append(phrase(prompt_for(t.draft, t.issues or None, t.previous), temperature))
            except Exception as e:  # the LLM is optional: any failure falls back, counted
                log.warning("phrasing %s failed: %s", t.draft.kind,
                            redact(f"{type(e).__name__}: {e}"))
                out.append(None)
        return out
    return ask


def task_key(i: int) -> str:
    """The label of the i-th text (from 1) in a batch request, and its key in the reply."""
    return f"t{i}"


def task_line(i: int, task: Task) -> str:
    """One labelled entry of a batch request: what to rewrite and what it must keep."""
    d = task.draft
    if d.question:
        must = f" (must start with \"{'Yes' if d.expect_yes else 'No'}\")" \
            if d.expect_yes is not None else ""
        line = f"{task_key(i)}. Answer{must} to \"{d.question}\": {d.reference}"
    else:
        line = f"{task_key(i)}. Caption: {d.reference}"
    if task.issues:
        line += (f"\n   Your previous version was refused: {task.previous}\n   Problems: "
                 + "; ".join(x.detail for x in task.issues))
    return line


def batch_prompt(tasks: list[Task]) -> str:
    """The labelled list of texts for one batch request (the system prompt says the rules);
    the reply gives each text under its label's key (`task_key`), which keeps a small model
    from sliding an answer onto the next question."""
    return "\n".join(task_line(i, t) for i, t in enumerate(tasks, 1))


def write_texts(drafts: list[Draft], facts: SceneFacts, *, ask: PhraseBatch | None,
                temperature: float | None, retries: int = 1,
                stats: TextStats | None = None) -> list[Text]:
    """The checked texts for `drafts`: each the LLM's phrasing when the checker finds it true
    to the labels (within 1 + `retries` requests, each asking again only for the refused
    ones), else its template. One request phrases all the texts still open."""
    n = len(drafts)
    chosen: list[str | None] = [None] * n
    rejections: list[list[Rejection]] = [[] for _ in range(n)]
    tasks = [Task(draft=d) for d in drafts]
    errors = 0
    open_ = list(range(n)) if ask is not None and temperature is not None else []
    for attempt in range(1, retries + 2):
        if not open_:
            break
        if stats is not None:
            stats.llm_calls += 1
        try:
            replies = ask([tasks[i] for i in open_], temperature)
            if len(replies) != len(open_):
                raise ValueError(f"{len(replies)} replies for {len(open_)} texts")
        except Exception as e:  # the LLM is optional: any failure falls back, counted
            errors += len(open_)
            log.warning("phrasing %d texts failed: %s", len(open_),
                        redact(f"{type(e).__name__}: {e}"))
            break
        still = []
        for i, raw in zip(open_, replies, strict=True):
            if raw is None:
                errors += 1
                continue
            reply = clean(raw)
            d = drafts[i]
            found = check_text(reply, facts, d.reference, expect_yes=d.expect_yes,
                               require=d.require)
            if not found:
                chosen[i] = reply
                continue
            rejections[i].append(Rejection(attempt=attempt, text=reply, issues=found))
            tasks[i] = Task(draft=d, issues=found, previous=reply)
            still.append(i)
        open_ = still
    out = []
    for d, text, rej in zip(drafts, chosen, rejections, strict=True):
        t = Text(kind=d.kind, text=text if text is not None else d.reference,
                 reference=d.reference, source="llm" if text is not None else "template",
                 temperature=temperature if text is not None else None,
                 expect_yes=d.expect_yes, rejections=rej)
        if stats is not None:
            stats.add(t, 0)
        out.append(t)
    if stats is not None:
        stats.llm_errors += errors
    return out


def write_text(draft: Draft, facts: SceneFacts, *, phrase: Phrase | None, temperature: float | None,
               retries: int = 1, stats: TextStats | None = None) -> Text:
    """The checked text for `draft`: the LLM's phrasing when the checker finds it true to the
    labels (within 1 + `retries` tries), else the template."""
    return write_texts([draft], facts, ask=one_by_one(phrase) if phrase is not None else None,
                       temperature=temperature, retries=retries, stats=stats)[0]
