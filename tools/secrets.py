"""Keep secrets out of everything we persist: database rows, logs, checkpoints, exports."""

from __future__ import annotations

import logging
import os
import re

# Environment variables whose values are secrets wherever they appear.
SECRET_ENV_VARS = (
    "OPENAI_API_KEY",
    "SYNTHLOOP_LLM_API_KEY",
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HUGGINGFACE_TOKEN",
)
# Shapes of common keys, caught even when we were not told the value.
_PATTERNS = [
    re.compile(r"sk-[A-Za-z0-9_\-]{12,}"),
    re.compile(r"hf_[A-Za-z0-9]{16,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9_\-\.]{12,}"),
]
_extra: set[str] = set()
MASK = "***"


def register_secret(value: str | None) -> None:
    """Remember a secret that did not come from a known environment variable."""
    if value and len(value) >= 6:
        _extra.add(value)


def known_secrets() -> list[str]:
    vals = {os.environ.get(k, "") for k in SECRET_ENV_VARS} | _extra
    return sorted((v for v in vals if v and len(v) >= 6), key=len, reverse=True)


def redact(text: str | None) -> str | None:
    """Replace every known secret and key-shaped token in `text` with ***."""
    if not text:
        return text
    for s in known_secrets():
        text = text.replace(s, MASK)
    for p in _PATTERNS:
        text = p.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


def mask(value: str | None) -> str:
    """How a secret is shown to a person: set or not, never its value."""
    return "(not set)" if not value else f"{MASK} (set, {len(value)} chars)"


class RedactingFilter(logging.Filter):
    """A logging filter that redacts secrets from every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg)
        if clean != msg:
            record.msg, record.args = clean, ()
        return True
