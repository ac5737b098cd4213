"""Verifiers: second opinions on whether an image shows what its labels say.

A verifier never deletes and never blocks: it returns flags that are stored on the sample
(`Sample.flags`) for a person to review. Two kinds are planned: a vision LLM asked about
each image (here, a thin class around a callable, since the LLM client lives in `agent/`)
and, once a model is trained, its disagreements with the labels (later).

    >>> def ask(prompt: str, png: bytes) -> str:   # e.g. an OpenAI-compatible chat call
    ...     return '{"ok": false, "issues": ["no hard hat visible"]}'
    >>> verifier = VisionLLMVerifier(ask, every=10)   # one image in ten
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ..errors import ValidationError
from ..models import Sample, sha256_hex

log = logging.getLogger(__name__)
AskVision = Callable[[str, bytes], str]
_FLAG_CHARS = re.compile(r"[^a-z0-9 _\-/.,:()]+")


@runtime_checkable
class Verifier(Protocol):
    """Flags samples for review; returns [] when nothing looks wrong."""

    name: str

    def verify(self, sample: Sample, image: bytes) -> list[str]:
        """Short flags such as 'llm:no hard hat visible' for `sample`, whose encoded image
        is `image`. Must not raise for a bad image or a failing backend: flag or skip."""
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


def _parse_verdict(reply: str) -> tuple[bool, list[str]] | None:
    match = re.search(r"\{.*\}", reply or "", re.S)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    ok = data.get("ok", data.get("matches"))
    if not isinstance(ok, bool):
        return None
    issues = data.get("issues") or []
    if not isinstance(issues, list):
        issues = [issues]
    return ok, [clean_flag(i) for i in issues if str(i).strip()]


class VisionLLMVerifier:
    """Asks a vision-capable model (through `ask(prompt, png) -> reply text`) whether the
    image shows the labelled objects. Checks one sample in `every` (chosen by a hash of the
    sample id, so re-runs check the same ones). A backend error or an unreadable reply is
    counted and logged, never flagged: only a stated disagreement becomes a flag."""

    name = "vision_llm"
    PROMPT = (
        "You check labels of a synthetic training image. The labels say it shows: {labels}. "
        "Scenario: {scenario}. Is that right? Answer only JSON: "
        '{{"ok": true or false, "issues": ["short description of each mismatch"]}}'
    )

    def __init__(self, ask: AskVision, *, every: int = 1):
        if every < 1:
            raise ValidationError(f"every must be >= 1, got {every}", "1 checks every sample")
        self.ask = ask
        self.every = every
        self.checked = 0
        self.flagged = 0
        self.errors = 0
        self.unparsed = 0

    def selected(self, sample: Sample) -> bool:
        return int(sha256_hex(sample.id)[:8], 16) % self.every == 0

    def verify(self, sample: Sample, image: bytes) -> list[str]:
        if not self.selected(sample):
            return []
        prompt = self.PROMPT.format(labels=describe_labels(sample),
                                    scenario=sample.scenario_id or "unknown")
        try:
            reply = self.ask(prompt, image)
        except Exception as e:  # the endpoint's failure must not stop generation
            self.errors += 1
            log.warning("vision verifier failed on sample %s: %s", sample.id, e)
            return []
        self.checked += 1
        verdict = _parse_verdict(reply)
        if verdict is None:
            self.unparsed += 1
            log.info("vision verifier reply for %s was not a verdict: %.200s", sample.id, reply)
            return []
        ok, issues = verdict
        if ok:
            return []
        self.flagged += 1
        return [f"llm:{i}" for i in issues[:3]] or ["llm:labels disputed"]
