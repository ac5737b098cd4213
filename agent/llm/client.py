"""LLM: the client for any OpenAI-compatible endpoint, through the `openai` SDK.

OpenAI itself (OPENAI_API_KEY), Ollama, vLLM, a llama.cpp server (base_url), or the embedded
model (no base_url, no key: started lazily in this process, see embedded.py). Retries are
ours, not the SDK's, so that every failed try is recorded and the backoff is bounded.

The embedded model shares the CPU with torch: never run generation while training. The loop
runs its steps one after another; other code that trains while an LLM client exists should
hold `agent.llm.embedded.exclusive_compute()` around the training.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import openai

from synthloop.tools.config import LLMConfig
from synthloop.tools.secrets import redact, register_secret

from .base import BaseLLM, RawReply, TransientLLMError
from .errors import LLMAuthError, LLMUnavailable
from .status import current as current_status

log = logging.getLogger("synthloop.llm")
OPENAI_URL = "https://api.openai.com/v1"
OPENAI_DEFAULT_MODEL = "gpt-4o-mini"
_NO_KEY = "no-key"  # the SDK insists on a key; local servers ignore it
CONNECT_S = 5.0
"""Seconds to open a connection (a local or LAN server answers a connect in milliseconds)."""


class LLM(BaseLLM):
    """A client for one endpoint, configured by `LLMConfig` (see tools.config).

    `embedded=True` (what get_llm picks when neither base_url nor api_key is set) serves
    the bundled Qwen2.5-Coder-1.5B through xllamacpp on 127.0.0.1; the server starts on the
    first request and is shared by every client in the process. With a workspace and
    `config.cache` (the default) replies are cached there (cache.py): a replayed request
    neither reaches the endpoint nor starts the embedded server."""

    def __init__(self, config: LLMConfig | None = None, *, workspace=None,
                 embedded: bool | None = None):
        config = config or LLMConfig()
        super().__init__(workspace=workspace, temperature=config.temperature,
                         max_tokens=config.max_tokens, cache=config.cache)
        self.config = config
        self.max_retries = config.max_retries
        key = config.api_key.get_secret_value() if config.api_key else None
        register_secret(key)
        self.embedded = (config.base_url is None and key is None) if embedded is None else embedded
        self._key = key
        self._client: openai.OpenAI | None = None
        self._setup_lock = threading.Lock()
        self._server = None  # the EmbeddedServer this client talks to
        self.base_url = None if self.embedded else (config.base_url or OPENAI_URL).rstrip("/")
        self.model = config.model or ""
        self.endpoint = "embedded" if self.embedded else redact(self.base_url) or ""

    # -- setup -----------------------------------------------------------------------------
    def _prepare(self) -> float:
        if self._client is not None and not self._server_gone():
            return 0.0
        with self._setup_lock:
            if self._client is not None and not self._server_gone():
                return 0.0
            return self._setup()

    def _cache_model(self) -> str:
        """The model a request goes to, without starting the embedded server (whose name is
        fixed) or asking a remote one when the name is configured or OpenAI's default."""
        if self.embedded:
            if self._server is not None:
                return self._server.model_name
            from .embedded import MODEL_NAME

            return MODEL_NAME
        if self.model:
            return self.model
        if urlsplit(self.base_url or "").hostname == "api.openai.com":
            return OPENAI_DEFAULT_MODEL
        return ""

    def _server_gone(self) -> bool:
        # stop_embedded() (e.g. to free memory before training) ends the server under us:
        # the next request then starts a new one
        if not self.embedded:
            return False
        from .embedded import running_server

        return running_server() is not self._server

    def _setup(self) -> float:
        started = time.perf_counter()
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.embedded:
            from .embedded import ensure_embedded

            self._server = ensure_embedded(self.config)
            self.base_url = self._server.url
            self._key = self._server.api_key
            self.endpoint = f"embedded {self._server.url}"
            self.model = self._server.model_name  # llama.cpp ignores the requested name anyway
        timeout = httpx.Timeout(self.config.timeout_s, connect=min(CONNECT_S, self.first_byte_s),
                                read=self.first_byte_s)
        client = openai.OpenAI(
            base_url=self.base_url, api_key=self._key or _NO_KEY, max_retries=0, timeout=timeout,
            http_client=httpx.Client(timeout=timeout, event_hooks={"response": [self._answering]}))
        if not self.model:
            self.model = self._default_model(client)
        self._client = client
        return time.perf_counter() - started

    @property
    def first_byte_s(self) -> float:
        """How long the endpoint may take to start answering (the response headers). The
        embedded server is ours and known to be up; its first token may take long."""
        if self.embedded:
            return self.config.timeout_s
        return min(self.config.first_byte_s, self.config.timeout_s)

    def _answering(self, response: httpx.Response) -> None:
        """The endpoint answered (headers in): from now on a reply streams, and only a
        silence longer than timeout_s between its bytes is an error. httpcore reads the
        read timeout from the request's extensions when it starts on the body."""
        timeouts = response.request.extensions.get("timeout")
        if isinstance(timeouts, dict):
            timeouts["read"] = self.config.timeout_s
        status = current_status()
        if status is not None:
            status.phase = "answer streaming from"

    def _default_model(self, client: openai.OpenAI) -> str:
        """The model to ask for when none is configured: OpenAI's small default, or the
        first model a local server lists (llama.cpp and vLLM serve exactly one)."""
        if urlsplit(self.base_url or "").hostname == "api.openai.com":
            return OPENAI_DEFAULT_MODEL
        try:
            models = client.models.list()
            first = next(iter(models), None)
        except openai.APIError as e:
            raise self._error(e) from e
        if first is None:
            raise LLMUnavailable(f"the LLM endpoint {self.endpoint} lists no models",
                                 "set the model with SYNTHLOOP_LLM_MODEL")
        return first.id

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # -- one request -----------------------------------------------------------------------
    def _send(self, messages: list[dict[str, str]], *, response_format: dict | None,
              max_tokens: int, temperature: float) -> RawReply:
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages,
                                  "max_tokens": max_tokens, "temperature": temperature}
        if response_format is not None:
            kwargs["response_format"] = response_format
        if self.embedded:
            from .embedded import generation_slot, keep_prefix, prefix_key, use_prefix

            key = prefix_key(messages)
            with generation_slot():
                use_prefix(self._server, key)
                try:
                    raw = self._create(kwargs)
                except BaseException:
                    if self._server is not None:  # a broken-off request: slot 0 unknown
                        self._server.holds = None
                    raise
                keep_prefix(self._server, key)
                return raw
        return self._create(kwargs)

    def _create(self, kwargs: dict[str, Any]) -> RawReply:
        """One streamed completion: the endpoint must start answering within first_byte_s,
        then may take as long as it keeps sending (timeout_s of silence at most)."""
        try:
            stream = self._client.chat.completions.create(  # type: ignore[union-attr]
                **kwargs, stream=True, stream_options={"include_usage": True})
        except openai.APIError as e:
            raise self._error(e) from e
        status = current_status()
        text: list[str] = []
        refusal: list[str] = []
        finish, usage, chunks, saw_choice, timings = None, None, 0, False, None
        try:
            with stream:
                for chunk in stream:
                    usage = chunk.usage or usage
                    timings = (chunk.model_extra or {}).get("timings") or timings
                    for choice in chunk.choices[:1]:
                        saw_choice = True
                        delta = choice.delta
                        if delta.content:
                            text.append(delta.content)
                            chunks += 1
                            if status is not None:
                                status.tokens = chunks
                        if getattr(delta, "refusal", None):
                            refusal.append(delta.refusal)
                        finish = choice.finish_reason or finish
        except (openai.APITimeoutError, httpx.TimeoutException) as e:  # the SDK may wrap it
            raise self._stalled(chunks) from e
        except openai.APIError as e:
            raise self._error(e) from e
        except httpx.TransportError as e:
            raise TransientLLMError(
                f"the LLM endpoint {self.endpoint} broke off its reply after {chunks} tokens: "
                f"{redact(str(e)) or type(e).__name__}") from e
        if not saw_choice:
            raise TransientLLMError(f"the LLM endpoint {self.endpoint} returned no choices")
        reply = "".join(text) or "".join(refusal)
        details = getattr(usage, "prompt_tokens_details", None)
        return RawReply(reply, finish,
                        usage.prompt_tokens if usage else 0,
                        usage.completion_tokens if usage else chunks,
                        prompt_cached=int(getattr(details, "cached_tokens", 0) or 0),
                        prompt_s=_prompt_seconds(timings))

    def _stalled(self, chunks: int) -> LLMUnavailable:
        msg = (f"the LLM endpoint {self.endpoint} stopped sending its reply for "
               f"{self.config.timeout_s:g} s (after {chunks} tokens)")
        hint = "raise llm.timeout_s (SYNTHLOOP_LLM__TIMEOUT_S), or check the server's load"
        return (LLMUnavailable if self.embedded else TransientLLMError)(msg, hint)

    def _error(self, e: openai.APIError) -> LLMUnavailable:
        """Map the SDK's exceptions onto ours: transient ones are retried by BaseLLM."""
        where = self.endpoint
        if isinstance(e, openai.APITimeoutError):
            if isinstance(e.__cause__, httpx.ConnectTimeout):
                msg = (f"the LLM endpoint {where} did not accept a connection within "
                       f"{min(CONNECT_S, self.first_byte_s):g} s")
                hint = "check SYNTHLOOP_LLM_BASE_URL / llm.base_url and that the server is up"
            elif self.embedded:
                msg = f"the LLM endpoint {where} did not answer within {self.first_byte_s:g} s"
                hint = "raise llm.timeout_s (SYNTHLOOP_LLM__TIMEOUT_S), or check the server's load"
            else:
                msg = (f"the LLM endpoint {where} did not answer within {self.first_byte_s:g} s "
                       "(it accepted the connection but sent nothing)")
                hint = ("check that the server is healthy and not stuck loading a model, or "
                        "raise llm.first_byte_s (SYNTHLOOP_LLM__FIRST_BYTE_S)")
            # the embedded model is slow because this machine is busy: a retry only repeats
            # the same work on the same cores, so give up at once
            return (LLMUnavailable if self.embedded else TransientLLMError)(msg, hint)
        if isinstance(e, openai.APIConnectionError):
            cause = e.__cause__ or e
            return TransientLLMError(
                f"cannot reach the LLM endpoint {where}: {redact(str(cause)) or type(cause).__name__}",
                "start the server, or fix SYNTHLOOP_LLM_BASE_URL / llm.base_url "
                "(unset both, and OPENAI_API_KEY, to use the embedded model)")
        if isinstance(e, openai.APIStatusError):
            status = e.status_code
            detail = _detail(e)
            if status in (401, 403):
                return LLMAuthError(
                    f"the LLM endpoint {where} rejected the API key (HTTP {status})",
                    "check OPENAI_API_KEY / SYNTHLOOP_LLM_API_KEY (the key is not shown)")
            if status == 429 or status >= 500:
                retry_after = _retry_after(e.response)
                return TransientLLMError(f"the LLM endpoint {where} answered HTTP {status}: "
                                         f"{detail}", retry_after=retry_after)
            if status == 404:
                return LLMUnavailable(
                    f"the LLM endpoint {where} answered HTTP 404 for model {self.model!r}: {detail}",
                    "check the model name (SYNTHLOOP_LLM_MODEL) and that base_url ends in /v1")
            return LLMUnavailable(f"the LLM endpoint {where} refused the request "
                                  f"(HTTP {status}): {detail}",
                                  "the server may not support JSON-schema response formats")
        return LLMUnavailable(f"the LLM endpoint {where} failed: {redact(str(e))}")


def _detail(e: openai.APIStatusError) -> str:
    body = e.body
    if isinstance(body, dict):
        body = body.get("error", body)
        if isinstance(body, dict):
            body = body.get("message", body)
    text = " ".join(str(body or e.message).split())
    return (redact(text) or "")[:200]


def _retry_after(resp: httpx.Response | None) -> float | None:
    if resp is None:
        return None
    try:
        return float(resp.headers.get("retry-after", ""))
    except ValueError:
        return None


def _prompt_seconds(timings: Any) -> float | None:
    """llama.cpp's prompt-evaluation time from the last chunk's `timings`, in seconds."""
    try:
        return float(timings["prompt_ms"]) / 1000.0
    except (TypeError, KeyError, ValueError):
        return None
