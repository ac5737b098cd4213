"""What every LLM client shares: prompt rendering, structured decisions with one repair
retry, bounded transport retries, and accounting of every attempt.

A subclass only says how one request is sent (`_send`). `LLM` sends it to an
OpenAI-compatible endpoint, `ScriptedLLM` replays canned replies; both behave the same
everywhere else, so a test written against the fake exercises the real logic. With a reply
cache (cache.py) an identical request is answered from the workspace instead of being sent.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from synthloop.prompts import render_prompt
from synthloop.tools.errors import ValidationError
from synthloop.tools.models import LLMCall
from synthloop.tools.secrets import redact

from .cache import ReplyCache, request_key
from .errors import LLMUnavailable, ReplyTruncated, StructuredOutputError, snippet
from .status import llm_status
from .structured import ReplyInvalid, parse_reply, response_format

T = TypeVar("T", bound=BaseModel)
log = logging.getLogger("synthloop.llm")

REPAIR_MESSAGE = (
    "Your reply did not match the required JSON schema: {errors}\n"
    "Reply again with only the corrected JSON object, no prose."
)
_ROLES = {"system", "user", "assistant"}


class TransientLLMError(LLMUnavailable):
    """A failure worth retrying (429, 5xx, connection reset, timeout); `retry_after` is the
    server's Retry-After in seconds when it sent one."""

    def __init__(self, message: str, hint: str | None = None, retry_after: float | None = None):
        super().__init__(message, hint)
        self.retry_after = retry_after


@dataclass
class RawReply:
    """One reply from the transport, before any parsing."""

    text: str
    finish_reason: str | None = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompt_cached: int = 0          # prompt tokens the server reused from its KV cache
    prompt_s: float | None = None   # the server's prompt-evaluation time, where reported


@dataclass
class CallLog:
    """One attempt (one request) as the caller sees it; tests assert on these."""

    template: str
    variables: dict[str, Any]
    messages: list[dict[str, str]]
    schema: type[BaseModel] | None = None
    reply: str = ""
    parsed: BaseModel | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cached: bool = False
    """Answered from the reply cache: nothing was sent, so no tokens were spent."""
    cache_key: str | None = None
    prompt_cached: int = 0
    """Prompt tokens the server took from its KV cache (a prefix it had seen) instead of
    evaluating them."""
    prompt_s: float | None = None
    """Seconds the server spent on the prompt (llama.cpp reports it; None elsewhere)."""


@dataclass
class CheckResult:
    """What `LLM.check()` found: where the endpoint is, which model, how fast it answered."""

    endpoint: str
    model: str
    latency_s: float
    reply: str
    startup_s: float = 0.0


@dataclass
class Usage:
    """Running totals over the life of one client: `requests` sent to the endpoint, `cached`
    attempts answered from the reply cache instead (they add no tokens and ~0 seconds),
    `failures` attempts of either kind that ended in an error, `by_template` attempts of
    either kind per template."""

    requests: int = 0
    cached: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    by_template: dict[str, int] = field(default_factory=dict)


class BaseLLM:
    """The shared interface: `decide`, `complete`, `check`, `close` (also a context manager).

    `workspace`, when given, must be opened for writing: every attempt becomes a row in its
    `llm_calls` table (secrets redacted by the store). `calls` keeps the same attempts in
    memory, with the template variables and messages, for tests and diagnostics. `cache`
    (with a workspace; without one there is nothing to keep replies in) replays the stored
    reply of an identical request instead of sending it again: see cache.py for what the
    key covers and what is kept. `check()` is never cached.
    """

    endpoint: str = ""
    model: str = ""
    max_retries: int = 3
    retry_base_s: float = 0.5   # backoff: base * 2**attempt, jittered, capped at retry_cap_s
    retry_cap_s: float = 8.0

    def __init__(self, *, workspace=None, temperature: float = 0.2, max_tokens: int = 2048,
                 cache: bool = False):
        if workspace is not None and not getattr(workspace, "write", False):
            raise ValidationError("the LLM's workspace must be opened for writing",
                                  "open it with Workspace.open(path, write=True)")
        self.workspace = workspace
        self.cache = ReplyCache(workspace) if cache and workspace is not None else None
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.calls: list[CallLog] = []
        self.usage = Usage()

    # -- public interface ------------------------------------------------------------------
    def decide(self, schema: type[T], template: str, variables: dict[str, Any], *,
               history: list[dict[str, str]] | None = None, max_tokens: int | None = None,
               temperature: float | None = None) -> T:
        """Ask for a `schema` instance, rendered from `prompts/<template>.md`.

        The request carries the schema as a JSON-schema `response_format`; the reply is
        validated with pydantic. An invalid reply is retried once with the errors quoted
        back; a second invalid reply raises StructuredOutputError (with `.raw`), a reply cut
        off by max_tokens raises ReplyTruncated. `history` is inserted after the template's
        leading system message(s)."""
        messages = self._messages(template, variables, history)
        fmt = response_format(schema)
        sent: list[tuple[CallLog, RawReply]] = []  # cached once the decision is valid
        for attempt in (1, 2):
            log_ = CallLog(template, dict(variables), list(messages), schema)
            raw = self._exchange(log_, fmt, max_tokens, temperature)
            sent.append((log_, raw))
            if raw.finish_reason == "length":
                self._finish(log_, error=f"truncated at max_tokens after {raw.completion_tokens} tokens")
                raise ReplyTruncated(
                    f"the LLM's {schema.__name__} reply for {template!r} was cut off at the "
                    f"token limit ({max_tokens or self.max_tokens}): {snippet(raw.text)}",
                    raw=raw.text, errors="finish_reason=length", schema=schema.__name__,
                    hint="raise llm.max_tokens (SYNTHLOOP_LLM__MAX_TOKENS) or ask for less")
            try:
                value = parse_reply(schema, raw.text)
            except ReplyInvalid as e:
                self._finish(log_, error=f"invalid reply: {e}")
                if attempt == 2:
                    raise StructuredOutputError(
                        f"the LLM's reply for {template!r} is not a valid {schema.__name__} "
                        f"after one repair: {e}. Reply: {snippet(raw.text)}",
                        raw=raw.text, errors=str(e), schema=schema.__name__,
                        hint="try again, or configure a stronger model (SYNTHLOOP_LLM_BASE_URL)",
                    ) from None
                log.info("%s: invalid %s reply, retrying once: %s", template, schema.__name__,
                         redact(str(e)))
                messages = [*messages, {"role": "assistant", "content": raw.text},
                            {"role": "user", "content": REPAIR_MESSAGE.format(errors=e)}]
                continue
            self._finish(log_, parsed=value)
            for done, reply in sent:
                self._remember(done, reply)
            return value
        raise AssertionError("unreachable")

    def complete(self, template: str, variables: dict[str, Any], *,
                 history: list[dict[str, str]] | None = None, max_tokens: int | None = None,
                 temperature: float | None = None) -> str:
        """Free text rendered from `prompts/<template>.md`, e.g. a chat answer."""
        messages = self._messages(template, variables, history)
        log_ = CallLog(template, dict(variables), messages)
        raw = self._exchange(log_, None, max_tokens, temperature)
        if raw.finish_reason == "length":
            self._finish(log_, error="truncated at max_tokens")
            raise ReplyTruncated(
                f"the LLM's reply for {template!r} was cut off at the token limit "
                f"({max_tokens or self.max_tokens})", raw=raw.text, errors="finish_reason=length",
                hint="raise llm.max_tokens (SYNTHLOOP_LLM__MAX_TOKENS)")
        self._finish(log_)
        self._remember(log_, raw)
        return raw.text

    def check(self) -> CheckResult:
        """One tiny request: proves the endpoint answers and measures the round trip."""
        messages = [{"role": "user", "content": "Reply with the single word: ok"}]
        log_ = CallLog("(check)", {}, messages)
        with llm_status("check", self.endpoint or "the endpoint"):
            startup = self._prepare()
            raw = self._exchange(log_, None, 8, 0.0, cache=False)
        self._finish(log_)
        return CheckResult(self.endpoint, self.model, log_.latency_s, raw.text.strip(),
                           startup_s=startup)

    def close(self) -> None:
        """Release the client's resources (the embedded server stays for reuse; see embedded)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- for subclasses --------------------------------------------------------------------
    def _prepare(self) -> float:
        """Get ready to send (start a server, resolve the model); returns seconds spent."""
        return 0.0

    def _cache_model(self) -> str:
        """The model name a request will be sent with, known without starting anything where
        possible ("" when only `_prepare` can tell: then the cache lookup prepares first)."""
        return self.model

    def _send(self, messages: list[dict[str, str]], *, response_format: dict | None,
              max_tokens: int, temperature: float) -> RawReply:
        raise NotImplementedError

    # -- internals -------------------------------------------------------------------------
    def _messages(self, template: str, variables: dict[str, Any],
                  history: list[dict[str, str]] | None) -> list[dict[str, str]]:
        rendered = render_prompt(template, **variables)
        if not history:
            return rendered
        for i, m in enumerate(history):
            if (not isinstance(m, dict) or m.get("role") not in _ROLES
                    or not isinstance(m.get("content"), str)):
                raise ValidationError(f"history[{i}] is not a chat message: {m!r:.80}",
                                      'each item needs {"role": "user"|"assistant", "content": str}')
        head = 0
        while head < len(rendered) and rendered[head]["role"] == "system":
            head += 1
        return [*rendered[:head], *[dict(m) for m in history], *rendered[head:]]

    def _exchange(self, log_: CallLog, fmt: dict | None, max_tokens: int | None,
                  temperature: float | None, *, cache: bool = True) -> RawReply:
        """Send one request with bounded retries on transient failures; every failed try
        is recorded. Returns the reply; the caller records the successful attempt. A spinner
        with the elapsed time shows on a terminal meanwhile (status.py). With the reply
        cache on (and `cache`), an identical earlier request's reply is returned instead,
        without sending anything or starting the endpoint when the model is known."""
        tokens = max_tokens or self.max_tokens
        temp = self.temperature if temperature is None else temperature
        if cache and self.cache is not None:
            hit = self._replay(log_, fmt, tokens, temp)
            if hit is not None:
                return hit
        with llm_status(log_.template, self.endpoint or "the endpoint") as status:
            return self._exchange_with(status, log_, fmt, tokens, temp)

    def _replay(self, log_: CallLog, fmt: dict | None, tokens: int,
                temp: float) -> RawReply | None:
        """The cached reply of this request (log_ marked cached), or None; sets
        log_.cache_key either way so that a reply sent afterwards can be kept."""
        started = time.perf_counter()
        model = self._cache_model()
        if not model:
            self._prepare()
            model = self.model
        if not model:
            return None
        log_.cache_key = request_key(model, log_.messages, fmt, temperature=temp,
                                     max_tokens=tokens)
        hit = self.cache.get(log_.cache_key) if self.cache is not None else None
        if hit is None:
            return None
        log_.cached = True
        log_.reply = hit.reply
        log_.latency_s = time.perf_counter() - started
        return RawReply(hit.reply, hit.finish_reason, 0, 0)  # nothing was spent

    def _remember(self, log_: CallLog, raw: RawReply) -> None:
        """Keep a reply that was sent for and used (see cache.py for what is kept)."""
        if self.cache is None or log_.cached or log_.cache_key is None:
            return
        self.cache.put(log_.cache_key, model=self.model, template=log_.template, text=raw.text,
                       finish_reason=raw.finish_reason, prompt_tokens=raw.prompt_tokens,
                       completion_tokens=raw.completion_tokens)

    def _exchange_with(self, status, log_: CallLog, fmt: dict | None, tokens: int,
                       temp: float) -> RawReply:
        status.phase = "starting"
        self._prepare()
        for attempt in range(self.max_retries + 1):
            status.endpoint = self.endpoint or status.endpoint
            status.phase = "waiting for" if attempt == 0 else \
                f"try {attempt + 1} of {self.max_retries + 1}, waiting for"
            status.tokens = 0
            started = time.perf_counter()
            try:
                raw = self._send(log_.messages, response_format=fmt, max_tokens=tokens,
                                 temperature=temp)
            except TransientLLMError as e:
                self._record_failure(log_, e, started)
                if attempt == self.max_retries:
                    raise LLMUnavailable(
                        f"{e.message} (gave up after {attempt + 1} tries)", e.hint) from e
                delay = min(self.retry_cap_s, self.retry_base_s * 2 ** attempt)
                delay = max(delay * random.uniform(0.8, 1.2), e.retry_after or 0.0)
                log.warning("LLM request failed (%s); retry %d/%d in %.1f s", e.message,
                            attempt + 1, self.max_retries, delay)
                time.sleep(min(delay, self.retry_cap_s * 4))
                continue
            except LLMUnavailable as e:
                self._record_failure(log_, e, started)
                raise
            log_.latency_s = time.perf_counter() - started
            log_.reply = raw.text
            log_.prompt_tokens, log_.completion_tokens = raw.prompt_tokens, raw.completion_tokens
            log_.prompt_cached, log_.prompt_s = raw.prompt_cached, raw.prompt_s
            return raw
        raise AssertionError("unreachable")

    def _record_failure(self, log_: CallLog, err: LLMUnavailable, started: float) -> None:
        failed = CallLog(log_.template, log_.variables, log_.messages, log_.schema,
                         latency_s=time.perf_counter() - started)
        self._finish(failed, error=err.message)

    def _finish(self, log_: CallLog, *, parsed: BaseModel | None = None,
                error: str | None = None) -> None:
        log_.parsed, log_.error = parsed, error
        self.calls.append(log_)
        u = self.usage
        if log_.cached:
            u.cached += 1
        else:
            u.requests += 1
        u.failures += error is not None
        u.prompt_tokens += log_.prompt_tokens
        u.completion_tokens += log_.completion_tokens
        u.seconds += log_.latency_s
        u.by_template[log_.template] = u.by_template.get(log_.template, 0) + 1
        log.debug("llm %s %s: %.2f s, %d+%d tokens%s%s", log_.template, self.endpoint,
                  log_.latency_s, log_.prompt_tokens, log_.completion_tokens,
                  ", replayed from the cache" if log_.cached else "",
                  f", error: {redact(error)}" if error else "")
        if self.workspace is not None:
            self.workspace.log_llm_call(LLMCall(
                template=log_.template, endpoint=self.endpoint, model=self.model,
                prompt=json.dumps(log_.messages, ensure_ascii=False),
                reply=log_.reply,
                parsed=parsed.model_dump_json() if parsed is not None else None,
                error=error, prompt_tokens=log_.prompt_tokens,
                completion_tokens=log_.completion_tokens, latency_s=round(log_.latency_s, 4),
                cached=log_.cached, prompt_cached=log_.prompt_cached,
                prompt_s=None if log_.prompt_s is None else round(log_.prompt_s, 4)))
