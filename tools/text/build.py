"""A sample's texts: its facts, two captions and a short dialog, each checked."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from pydantic import BaseModel, Field

from ..models import Policy, Sample
from .facts import scene_facts
from .models import Draft, SampleTexts, Turn
from .phrase import Phrase, PhraseBatch, TextStats, one_by_one, write_texts
from .splits import SplitAssignment, assign_splits
from .templates import captions, questions

# Question kinds in the order a dialog asks them (first match wins), most telling first.
_ORDER = ("label_compliance", ":yes_no", ":where:", "label", ":count:", ":complies", "count:")


def _priority(d: Draft) -> int:
    return next((i for i, k in enumerate(_ORDER)
                 if (d.kind.startswith(k) if not k.startswith(":") else k in d.kind)),
                len(_ORDER))


def pick_questions(drafts: list[Draft], max_turns: int) -> list[Draft]:
    return sorted(drafts, key=_priority)[:max_turns]


class TextBuild(BaseModel):
    texts: dict[str, SampleTexts] = Field(default_factory=dict)
    stats: TextStats = Field(default_factory=TextStats)


def sample_texts(policy: Policy, sample: Sample, split: str, temperature: float | None, *,
                 ask: PhraseBatch | None = None, max_turns: int = 4, retries: int = 1,
                 stats: TextStats | None = None) -> SampleTexts:
    """Captions and a dialog for one sample, phrased at `temperature` when `ask` is given
    (one request for all of the sample's texts, one more for those the checker refused)."""
    facts = scene_facts(policy, sample)
    short, long_ = captions(facts)
    asked = pick_questions(questions(facts), max_turns)
    texts = write_texts([short, long_, *asked], facts, ask=ask, temperature=temperature,
                        retries=retries, stats=stats)
    turns = [Turn(question=d.question or "", answer=t) for d, t in zip(asked, texts[2:], strict=True)]
    return SampleTexts(sample_id=sample.id, split=split, temperature=temperature,
                       caption_short=texts[0], caption_long=texts[1], dialog=turns)


def build_texts(policy: Policy, samples: Iterable[Sample], assignment: SplitAssignment | None = None,
                *, phrase: Phrase | None = None, ask: PhraseBatch | None = None,
                max_turns: int = 4, retries: int = 1,
                on_sample: Callable[[SampleTexts], None] | None = None) -> TextBuild:
    """Texts for every sample the assignment keeps, each split's at its temperature.

    Without an asker every text is its template (no temperature). With one (`ask`, a whole
    sample per request, or `phrase`, one text per request), a text is the LLM's phrasing
    only where the checker finds it true to the labels."""
    if phrase is not None and ask is not None:
        raise ValueError("give either phrase (one text per request) or ask (a batch), not both")
    ask = ask or (one_by_one(phrase) if phrase is not None else None)
    samples = list(samples)
    assignment = assignment or assign_splits(samples)
    out = TextBuild()
    for s in samples:
        split = assignment.split_of(s.id)
        if split is None:
            continue
        temp = assignment.temperatures[split] if ask is not None else None
        st = sample_texts(policy, s, split, temp, ask=ask, max_turns=max_turns,
                          retries=retries, stats=out.stats)
        out.texts[s.id] = st
        if on_sample is not None:
            on_sample(st)
    return out
