"""Records of the improvement loop and of LLM calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from .base import Record


class LoopIteration(Record):
    thread_id: str
    number: int = Field(ge=0)
    policy_version: int | None = None
    plan: dict[str, Any] = Field(default_factory=dict, description="the ValidatedPlan")
    plan_source: str = Field(default="", description="'llm' or 'fallback' (and why)")
    images_added: int = 0
    added_per_slice: dict[str, int] = Field(default_factory=dict)
    dataset_id: str | None = None
    train_run_id: str | None = None
    report_id: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    stop_reason: str | None = None
    analysis: dict[str, Any] = Field(default_factory=dict,
                                     description="the weakness analysis of this iteration's report")
    plan_outcomes: list[dict[str, Any]] = Field(
        default_factory=list, description="the previous plan's targets: recall before and after")
    created_at: datetime | None = None


class LLMCall(Record):
    """One request to an LLM. Never holds an API key: the store redacts known secrets."""

    id: int | None = None
    template: str = ""
    endpoint: str = ""
    model: str = ""
    prompt: str = Field(default="", description="rendered messages as JSON")
    reply: str = ""
    parsed: str | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    cached: bool = Field(default=False, description="answered from the workspace's reply "
                         "cache: no request was sent, so its tokens and latency are 0")
    prompt_cached: int = Field(default=0, description="prompt tokens the server reused from "
                               "its KV cache (a shared prefix) instead of evaluating them")
    prompt_s: float | None = Field(default=None, description="seconds the server spent "
                                   "evaluating the prompt, where it reports it (llama.cpp)")
    created_at: datetime | None = None


class CachedReply(Record):
    """A complete reply kept for replay (the `llm_replies` table): `key` is the sha256 of
    the request (model, messages, schema, sampling; see agent/llm/cache.py), never of an API
    key, and the reply holds no secret (one that did is not kept)."""

    key: str = Field(min_length=64, max_length=64)
    model: str
    template: str = ""
    reply: str
    finish_reason: str | None = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    created_at: datetime | None = None
