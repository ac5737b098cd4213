"""The loop's design step: code computes the scenarios of a rule about something worn, the
LLM words them, and every wording code refused is printed with the reason (never replaced
silently)."""

from __future__ import annotations

from types import SimpleNamespace

from rich.console import Console

from synthloop.agent.context import LoopContext
from synthloop.agent.llm import ScriptedLLM
from synthloop.agent.nodes.design import design
from synthloop.tools.design import load_example_policy
from tests.support.llm_replies import HARD_HAT_AXES, WORDINGS_TO_CHECK


def test_refused_wordings_are_printed_and_code_wording_is_stored(ws):
    base = load_example_policy("ppe")
    rule = base.rules[0]  # the hard-hat rule: person + hard_hat
    policy = ws.save_policy(base.model_copy(update={"rules": [rule], "scenarios": [],
                                                    "axes": []}))
    ws.record_review(policy.version, "approved", "test")
    console = Console(record=True, width=200)
    llm = ScriptedLLM([WORDINGS_TO_CHECK, HARD_HAT_AXES])
    runtime = SimpleNamespace(context=LoopContext(workspace=ws, llm=llm, console=console,
                                                  progress=False))
    out = design({"policy_version": policy.version}, runtime)
    stored = ws.get_policy(out["policy_version"])
    assert [c.template for c in llm.calls] == ["describe_scenarios", "propose_axes"]
    violating = next(s for s in stored.scenarios if s.kind == "violating")
    assert "hard_hat" not in {c.name for c in violating.classes}
    assert violating.description == "a person without a hard hat"  # code's, not the model's
    text = console.export_text()
    assert "refused the model's description 'a worker wearing a hard hat'" in text
    assert f"scenario {violating.id}" in text and "unlabelled object" in text
