"""The LLM layer: one client for any OpenAI-compatible endpoint, the embedded default,
structured decisions validated with pydantic, and a scripted fake for tests.

    from synthloop.agent.llm import get_llm
    llm = get_llm(config.llm, workspace=ws)          # embedded when nothing is configured
    policy = llm.decide(PolicyDraft, "draft_policy", {"goal": goal})   # a validated model
    answer = llm.complete("chat", {"question": q}, history=turns)       # free text

    from synthloop.agent.llm import ScriptedLLM                 # in tests: canned replies, same interface
    llm = ScriptedLLM([{"title": "..."}, "malformed", ...], workspace=ws)

Every attempt is recorded in the workspace's llm_calls table (secrets redacted).
"""

from __future__ import annotations

from synthloop.tools.config import LLMConfig

from .base import BaseLLM, CallLog, CheckResult, RawReply, TransientLLMError, Usage
from .client import LLM
from .embedded import exclusive_compute, release_for_training, stop_embedded
from .errors import (
    EmbeddedModelError,
    LLMAuthError,
    LLMUnavailable,
    ReplyTruncated,
    StructuredOutputError,
)
from .fake import ScriptedLLM, ScriptExhausted


def get_llm(config: LLMConfig | None = None, workspace=None) -> LLM:
    """The LLM client for `config` (defaults + environment when None): the configured
    endpoint, or the embedded model when neither base_url nor an API key is set. Nothing
    is started or contacted until the first request."""
    if config is None:
        from synthloop.tools.config import load_config

        config = load_config(workspace.root if workspace is not None else None).llm
    return LLM(config, workspace=workspace)


__all__ = [
    "LLM", "BaseLLM", "CallLog", "CheckResult", "EmbeddedModelError", "LLMAuthError",
    "LLMUnavailable", "RawReply", "ReplyTruncated", "ScriptExhausted", "ScriptedLLM",
    "StructuredOutputError", "TransientLLMError", "Usage", "exclusive_compute", "get_llm",
    "release_for_training", "stop_embedded",
]
