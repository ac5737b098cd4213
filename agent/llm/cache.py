"""The LLM reply cache: never pay twice for the same decision.

A request is identified by its key, the sha256 of a canonical JSON of everything that
shapes the reply: the model name as the client resolved it, the full messages list, the
response format (the JSON schema of a decision; none for free text), the temperature and
max_tokens. The endpoint's address is not part of it: the same model behind a new port, a
restarted embedded server or another host of the same model replays the same replies. (A
server that ignores the requested name, such as llama.cpp with `llm.model` set, and then
serves other weights under that name would replay stale replies: turn the cache off, or
change `llm.model`.) API keys never enter a key, and messages are redacted of secrets
before they are hashed, so nothing stored is derived from one.

The replies live in the workspace (the `llm_replies` table), so a resumed run, a rerun of
the same step and a benchmark's repeated arms replay them instead of asking again. What is
cached is the raw reply text: validation, the repair retry and accounting run through the
normal path on a replay (BaseLLM). Replies sampled at a temperature above 0 are cached too:
that is the point (a resume must replay the decision it made, not draw a new one), so an
identical request answers the same until the cache is turned off (`llm.cache = false`,
SYNTHLOOP_LLM__CACHE=false, or `--no-cache` on run, resume, design and chat).

Only complete replies of requests that succeeded are kept: never an error, never a reply cut
off at max_tokens, never the attempts of a decision that failed validation even after its
repair (so "try again" asks again), and never a reply that holds a secret (a replay of a
redacted reply would not be the reply that was made). The invalid first attempt of a
decision whose repair succeeded is kept with it, so the replay takes the same two steps.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from synthloop.tools.models import CachedReply
from synthloop.tools.secrets import redact

log = logging.getLogger("synthloop.llm")
KEY_VERSION = 1
"""Part of every key: bump it when what a key covers changes, and old replies stop matching."""
COMPLETE = (None, "stop")
"""The finish reasons of a complete reply (None: a server that sends none)."""


def request_key(model: str, messages: list[dict[str, str]], response_format: dict | None,
                *, temperature: float, max_tokens: int, **sampling: Any) -> str:
    """The cache key of one request; `sampling` takes any further parameter that is sent."""
    clean = [{k: redact(v) if isinstance(v, str) else v for k, v in m.items()}
             for m in messages]
    data = {"v": KEY_VERSION, "model": model, "messages": clean,
            "response_format": response_format, "temperature": float(temperature),
            "max_tokens": int(max_tokens), **sampling}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class ReplyCache:
    """Cached replies in one workspace (opened for writing, as the LLM's must be)."""

    def __init__(self, workspace):
        self.workspace = workspace

    def get(self, key: str) -> CachedReply | None:
        return self.workspace.cached_llm_reply(key)

    def put(self, key: str, *, model: str, template: str, text: str, finish_reason: str | None,
            prompt_tokens: int, completion_tokens: int) -> bool:
        """Keep a complete reply; returns whether it was kept (not when incomplete, empty,
        or holding a secret)."""
        if finish_reason not in COMPLETE or not text.strip():
            return False
        if redact(text) != text:
            log.debug("%s: reply not cached, it holds a secret", template)
            return False
        return self.workspace.save_llm_reply(CachedReply(
            key=key, model=model, template=template, reply=text, finish_reason=finish_reason,
            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens))


__all__ = ["COMPLETE", "KEY_VERSION", "ReplyCache", "request_key"]
