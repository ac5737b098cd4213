"""One slow test: the embedded model drafts a real policy that lints clean (no errors)
after the critic pass. It checks structure and lint, not wording; prompts and outputs are
kept short (the model does ~25 tokens/s on 2 shared cores)."""

from __future__ import annotations

import pytest

from synthloop.agent.design import draft_policy
from synthloop.agent.llm import get_llm, stop_embedded
from synthloop.tools.config import LLMConfig
from synthloop.tools.design import has_errors
from synthloop.tools.models.base import SNAKE_CASE


@pytest.fixture
def embedded(monkeypatch):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SYNTHLOOP_LLM_BASE_URL",
                "SYNTHLOOP_LLM_MODEL", "SYNTHLOOP_LLM_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    yield
    stop_embedded()


@pytest.mark.slow
@pytest.mark.timeout(1800)  # two requests of ~1k prompt tokens; minutes on a busy 2-core box
def test_embedded_model_drafts_a_policy_that_lints_clean(embedded, ws, no_network):
    llm = get_llm(LLMConfig(temperature=0.0, timeout_s=900, max_retries=0), workspace=ws)
    result = draft_policy(llm, "Workers on site wear a hard hat.")
    p = result.policy
    assert [c.template for c in llm.calls][:1] == ["draft_policy"]
    assert 1 <= len(p.classes) <= 20 and 1 <= len(p.rules) <= 30
    assert all(SNAKE_CASE.match(c.name) for c in p.classes)
    names = set(p.class_names())
    assert all(set(r.classes) <= names for r in p.rules)
    assert [r.id for r in p.rules] == [f"R{i + 1}" for i in range(len(p.rules))]
    if has_errors(result.findings_before):
        assert result.critic_used and llm.calls[1].template == "critic_policy"
    assert not has_errors(result.findings_after), [f.one_line() for f in result.findings_after]
    assert not p.scenarios and not p.axes  # those come from the next steps
    assert ws.counts()["llm_calls"] == len(llm.calls) and no_network == []
