"""Verifiers: second opinions on whether an image shows what its labels say.

A verifier never deletes and never blocks. Three kinds share one result, `SampleVerdict`
(per-sample verdict, score, reason, per-object flags; see tools.models.verify):

- per-image verifiers: `judge(sample, png) -> SampleVerdict` — the vision LLM here, CLIP in
  clip.py. They also keep the older `verify(sample, png) -> list[str]` that the generation
  runner calls to put short flags on new samples;
- batch verifiers: `verify_batch(ws, policy, samples) -> list[SampleVerdict]` — model
  disagreement (disagreement.py), which needs the whole set.

`tools.quality.run.verify_samples` runs any of them and quarantines what they flag.

    >>> def ask(prompt: str, png: bytes) -> str:   # e.g. an OpenAI-compatible chat call
    ...     return '{"objects": [{"index": 0, "present": true, "correct_class": true}], "scenario_matches": true}'
    >>> verifier = VisionLLMVerifier(ask, every=10)   # one image in ten, by a stable hash
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticError

from ..errors import ValidationError
from ..models import ObjectFlag, Sample, SampleVerdict, sha256_hex

log = logging.getLogger(__name__)
AskVision = Callable[[str, bytes], str]
_FLAG_CHARS = re.compile(r"[^a-z0-9 _\-/.,:()]+")
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)


@runtime_checkable
class Verifier(Protocol):
    """Flags samples for review; returns [] when nothing looks wrong."""

    name: str

    def verify(self, sample: Sample, image: bytes) -> list[str]:
        """Short flags such as 'llm:no hard hat visible' for `sample`, whose encoded image
        is `image`. Must not raise for a bad image or a failing backend: flag or skip."""
        ...


@runtime_checkable
class ImageVerifier(Protocol):
    """A verifier that judges one image at a time."""

    name: str

    def judge(self, sample: Sample, image: bytes) -> SampleVerdict:
        """Never raises for a bad image or a failing backend: returns 'unverified'."""
        ...


def clean_flag(text: str, limit: int = 80) -> str:
    """A flag safe to store and show: lower case, plain characters, bounded length."""
    return _FLAG_CHARS.sub(" ", str(text).lower()).strip()[:limit]


def describe_labels(sample: Sample) -> str:
    """The labels of a sample in words, e.g. '1 person, 1 hard_hat' or 'label: compliant'."""
    parts = []
    if sample.label:
        parts.append(f"image label: {sample.label}")
    counts = Counter(a.cls for a in sample.annotations)
    if counts:
        parts.append(", ".join(f"{n} {c}" for c, n in sorted(counts.items())))
    return "; ".join(parts) or "nothing labelled"


def flags_of(verdict: SampleVerdict, prefix: str) -> list[str]:
    """The runner's short flags for a verdict: [] unless it is suspect."""
    if not verdict.flagged:
        return []
    found = [f"{prefix}:{clean_flag(o.reason)}" for o in verdict.objects[:3]]
    return found or [f"{prefix}:{clean_flag(verdict.reason) or 'labels disputed'}"]


class ObjectAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    index: int
    present: bool
    correct_class: bool


class VisionReply(BaseModel):
    """What the vision model must answer: per labelled object, is it there and is it that
    class; does the image fit the scenario; any important unlabelled objects."""

    model_config = ConfigDict(extra="forbid", strict=True)
    objects: list[ObjectAnswer]
    scenario_matches: bool
    unlabelled: list[str] = []


def parse_reply(reply: str, n_objects: int) -> VisionReply | None:
    """The reply as a VisionReply, or None: a JSON object (optionally in a ``` fence)
    matching the schema exactly, answering each object index once."""
    text = (reply or "").strip()
    m = _FENCE.match(text)
    if m:
        text = m.group(1)
    try:
        parsed = VisionReply.model_validate_json(text)
    except (PydanticError, ValueError):
        return None
    if sorted(o.index for o in parsed.objects) != list(range(n_objects)):
        return None
    return parsed


class VisionLLMVerifier:
    """Asks a vision-capable model (through `ask(prompt, png) -> reply text`) about each
    labelled object and the scenario. Budget: one sample in `every`, chosen by a hash of
    the sample id (re-runs check the same ones); with `only_flagged=True`, verify_samples
    gives it only samples an earlier verifier flagged. A backend error, an unreadable
    reply or a sample outside the budget is "unverified", never a crash and never a flag."""

    name = "vision_llm"
    PROMPT = (
        "You check the labels of a synthetic training image ({width}x{height} pixels). "
        "Scenario: {scenario}. The labelled objects are:\n{objects}\n"
        "For each object say whether it is present in its box and whether it really is that "
        "class. Answer only JSON, exactly: "
        '{{"objects": [{{"index": 0, "present": true, "correct_class": true}}, ...], '
        '"scenario_matches": true, "unlabelled": ["class of each clearly visible unlabelled object"]}}'
    )

    def __init__(self, ask: AskVision, *, every: int = 1, only_flagged: bool = False):
        if every < 1:
            raise ValidationError(f"every must be >= 1, got {every}", "1 checks every sample")
        self.ask = ask
        self.every = every
        self.only_flagged = only_flagged
        self.checked = self.flagged = self.errors = self.unparsed = 0

    def selected(self, sample: Sample) -> bool:
        return int(sha256_hex(sample.id)[:8], 16) % self.every == 0

    def prompt(self, sample: Sample) -> str:
        objs = "\n".join(f"{i}: {a.cls} at box ({', '.join(f'{v:.0f}' for v in a.box)})"
                         for i, a in enumerate(sample.annotations)) or "(none)"
        if sample.label:
            objs += f"\nimage label: {sample.label}"
        return self.PROMPT.format(width=sample.width, height=sample.height, objects=objs,
                                  scenario=sample.scenario_id or "unknown")

    def _unverified(self, sample: Sample, why: str) -> SampleVerdict:
        return SampleVerdict(sample_id=sample.id, verifier=self.name, verdict="unverified",
                             score=0.5, reason=why)

    def judge(self, sample: Sample, image: bytes) -> SampleVerdict:
        if not self.selected(sample):
            return self._unverified(sample, "not in the budget")
        try:
            reply = self.ask(self.prompt(sample), image)
        except Exception as e:  # the endpoint's failure must not stop anything
            self.errors += 1
            log.warning("vision verifier failed on sample %s: %s", sample.id, e)
            return self._unverified(sample, f"endpoint error: {type(e).__name__}")
        self.checked += 1
        parsed = parse_reply(reply, len(sample.annotations))
        if parsed is None:
            self.unparsed += 1
            log.info("vision verifier reply for %s was not a verdict: %.200s", sample.id, reply)
            return self._unverified(sample, "reply not in the required JSON shape")
        objs = []
        for o in sorted(parsed.objects, key=lambda o: o.index):
            a = sample.annotations[o.index]
            if not o.present:
                objs.append(ObjectFlag(index=o.index, cls=a.cls, box=a.box, score=0.0,
                                       reason=f"{a.cls} {o.index} not visible in its box"))
            elif not o.correct_class:
                objs.append(ObjectFlag(index=o.index, cls=a.cls, box=a.box, score=0.2,
                                       reason=f"{a.cls} {o.index} looks like another class"))
        objs += [ObjectFlag(cls=clean_flag(u, 40), score=0.3, reason=f"unlabelled {clean_flag(u, 40)}")
                 for u in parsed.unlabelled[:5] if clean_flag(u, 40)]
        bad = bool(objs) or not parsed.scenario_matches
        if bad:
            self.flagged += 1
        reasons = [o.reason for o in objs] + ([] if parsed.scenario_matches else ["scenario does not match"])
        return SampleVerdict(sample_id=sample.id, verifier=self.name,
                             verdict="suspect" if bad else "ok",
                             score=min([o.score for o in objs] + [1.0 if parsed.scenario_matches else 0.4]),
                             reason="; ".join(reasons), objects=objs)

    def verify(self, sample: Sample, image: bytes) -> list[str]:
        return flags_of(self.judge(sample, image), "llm")


def reply_schema() -> dict:
    """The JSON schema of the reply, for endpoints that take `response_format`."""
    return json.loads(json.dumps(VisionReply.model_json_schema()))
