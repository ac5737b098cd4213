"""ScriptedLLM: the LLM interface replaying canned replies, for tests of LLM-using code.

    llm = ScriptedLLM([
        Policy(...),                        # a pydantic instance -> its JSON
        {"classes": ["helmet"]},            # a dict -> JSON
        "not json at all",                  # raw text: inject a malformed reply
        ScriptedLLM.truncated('{"a": '),    # a reply cut off at max_tokens
        LLMUnavailable("endpoint down"),    # an exception: raised by that request
        lambda schema, messages: "{}",      # computed from the request
    ])
    plan = llm.decide(Plan, "plan", {...})
    assert llm.calls[0].template == "plan" and "weak slices" in llm.calls[0].messages[-1]["content"]

Each request (each attempt, a repair retry included) consumes one reply, in order; running
out raises ScriptExhausted naming the template. The reply cache is off unless `cache=True`
(with a workspace): a cached request consumes no reply. Rendering, validation, the one repair
retry, the truncation error and the workspace accounting are the real ones from BaseLLM.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel

from .base import BaseLLM, CallLog, CheckResult, RawReply

Reply = str | dict | list | BaseModel | RawReply | BaseException | Callable[..., Any]


class ScriptExhausted(AssertionError):
    """A test's ScriptedLLM got more requests than it had replies."""


class ScriptedLLM(BaseLLM):
    """Replays `replies` in order through the same interface as LLM."""

    endpoint = "scripted"

    def __init__(self, replies: Iterable[Reply] = (), *, workspace=None, model: str = "scripted",
                 temperature: float = 0.2, max_tokens: int = 2048, cache: bool = False):
        super().__init__(workspace=workspace, temperature=temperature, max_tokens=max_tokens,
                         cache=cache)
        self.model = model
        self.replies: list[Reply] = list(replies)
        self.retry_base_s = 0.0
        self.closed = False
        self._schema_of_next: type[BaseModel] | None = None

    @staticmethod
    def truncated(text: str) -> RawReply:
        """A reply that stopped at max_tokens (finish_reason "length")."""
        return RawReply(text, finish_reason="length", completion_tokens=max(1, len(text) // 4))

    def add(self, *replies: Reply) -> ScriptedLLM:
        """Queue more replies; returns self so calls chain."""
        self.replies.extend(replies)
        return self

    @property
    def remaining(self) -> int:
        """How many replies are still queued (a test can assert it reached 0)."""
        return len(self.replies)

    def close(self) -> None:
        self.closed = True

    def check(self) -> CheckResult:
        """Always answers "ok" without consuming a scripted reply (still recorded)."""
        log_ = CallLog("(check)", {}, [{"role": "user", "content": "Reply with the single word: ok"}],
                       reply="ok", completion_tokens=1)
        self._finish(log_)
        return CheckResult(self.endpoint, self.model, 0.0, "ok")

    def decide(self, schema, template, variables, **kw):  # noqa: D102 (see BaseLLM.decide)
        self._schema_of_next = schema
        try:
            return super().decide(schema, template, variables, **kw)
        finally:
            self._schema_of_next = None

    def _send(self, messages, *, response_format, max_tokens, temperature) -> RawReply:
        if not self.replies:
            last = self.calls[-1].template if self.calls else "(none yet)"
            raise ScriptExhausted(
                f"ScriptedLLM ran out of replies (after {len(self.calls)} calls; "
                f"last template {last}); add more replies to the script")
        reply = self.replies.pop(0)
        if callable(reply) and not isinstance(reply, BaseModel | type):
            reply = reply(self._schema_of_next, messages)
        if isinstance(reply, BaseException):
            raise reply
        if isinstance(reply, RawReply):
            raw = reply
        else:
            raw = RawReply(_as_text(reply))
        if not raw.prompt_tokens:
            raw.prompt_tokens = sum(len(m["content"]) for m in messages) // 4
        if not raw.completion_tokens:
            raw.completion_tokens = max(1, len(raw.text) // 4)
        return raw


def _as_text(reply: Any) -> str:
    if isinstance(reply, BaseModel):
        return reply.model_dump_json()
    if isinstance(reply, dict | list):
        return json.dumps(reply)
    if isinstance(reply, str):
        return reply
    raise TypeError(f"ScriptedLLM cannot replay a {type(reply).__name__}: use str, dict, "
                    "a pydantic instance, RawReply, an exception or a callable")
