"""Errors of the LLM layer, all under tools.errors.ExternalError (exit 2, one line + hint).

    ExternalError
     ├── LLMUnavailable            the endpoint cannot be reached, timed out, or keeps failing
     │    └── LLMAuthError         the endpoint rejected the API key (401/403)
     ├── EmbeddedModelError        the embedded model's weights or server could not be set up
     └── StructuredOutputError     the model's reply did not validate, twice (carries `raw`)
          └── ReplyTruncated       the reply hit max_tokens (finish_reason == "length")
"""

from __future__ import annotations

from synthloop.tools.errors import ExternalError
from synthloop.tools.secrets import redact


class LLMUnavailable(ExternalError):
    """The endpoint could not be reached or kept failing after the bounded retries."""


class LLMAuthError(LLMUnavailable):
    """The endpoint answered 401/403: the key is missing, wrong or lacks access."""


class EmbeddedModelError(ExternalError):
    """The embedded model could not be prepared: missing parts, bad checksum, server start."""


class StructuredOutputError(ExternalError):
    """The model's reply did not parse or validate against the requested schema.

    `raw` is the last reply as the model wrote it (redacted of known secrets), `errors` the
    validation message, `schema` the name of the pydantic model that was asked for."""

    def __init__(self, message: str, *, raw: str, errors: str = "", schema: str = "",
                 hint: str | None = None):
        super().__init__(redact(message) or message, hint)
        self.raw = raw
        self.errors = errors
        self.schema = schema


class ReplyTruncated(StructuredOutputError):
    """The reply stopped at max_tokens before it was complete."""


def snippet(text: str, limit: int = 160) -> str:
    """A short, one-line, redacted excerpt of a model reply for an error message."""
    one = " ".join((text or "").split())
    one = redact(one) or ""
    return one if len(one) <= limit else one[:limit - 3] + "..."
