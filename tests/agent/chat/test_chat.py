"""The chat session: a question, then one costly action with confirmation."""

from __future__ import annotations

from synthloop.agent.chat import ChatSession
from synthloop.agent.llm import ScriptedLLM
from synthloop.tools.design import load_example_policy


def _approved_policy(ws):
    p = ws.save_policy(load_example_policy("ppe"))
    ws.record_review(p.version, "approved")
    return p


def test_question_then_confirmed_action(ws, monkeypatch):
    monkeypatch.setenv("SYNTHLOOP_GENERATOR__WIDTH", "64")
    monkeypatch.setenv("SYNTHLOOP_GENERATOR__HEIGHT", "64")
    monkeypatch.setenv("SYNTHLOOP_GENERATOR__WORKERS", "1")
    p = _approved_policy(ws)
    axis = p.axes[0]
    value = axis.values[-1].value
    cls = p.class_names()[-1]
    llm = ScriptedLLM([
        {"reply": "It has these classes.", "action": {"kind": "show_policy"}},
        {"reply": "Generating.", "action": {"kind": "generate_more", "axis": axis.name,
                                            "value": value, "cls": cls, "count": 6}},
        {"reply": "Generating more.", "action": {"kind": "generate_more", "count": 4}},
    ], workspace=ws)
    asked = []
    answers = iter([True, False])
    session = ChatSession(ws, llm, "t1", confirm=lambda a: asked.append(a) or next(answers),
                          progress=False)
    shown = session.send("what classes does the policy have?")
    assert shown[0] == "It has these classes." and cls in shown[1]
    assert asked == []  # showing things costs nothing: no confirmation
    shown = session.send(f"generate 6 more {cls} at {axis.name}={value}")
    assert len(asked) == 1 and asked[0].kind == "generate_more"
    assert "generated 6 images" in shown[1]
    specs = list(ws.iter_specs())
    assert len(specs) == 6 and all(s.variables[axis.name] == value for s in specs)
    shown = session.send("and 4 more anywhere")
    assert "cancelled" in shown[1] and ws.counts()["samples"] == 6
    # the conversation is kept in the checkpointer, per thread
    again = ChatSession(ws, llm, "t1", confirm=lambda a: True)
    roles = [m["role"] for m in again.history()]
    assert roles == ["user", "assistant", "tool"] * 3
    assert "what classes" in llm.calls[1].messages[-1]["content"]  # history in the prompt


def test_unknown_names_are_refused_not_run(ws):
    _approved_policy(ws)
    llm = ScriptedLLM([{"reply": "ok", "action": {"kind": "generate_more", "cls": "unicorn",
                                                  "count": 5}}], workspace=ws)
    session = ChatSession(ws, llm, "t2", confirm=lambda a: True, progress=False)
    shown = session.send("make unicorns")
    assert shown[1].startswith("refused: unknown class 'unicorn'")
    assert ws.counts()["samples"] == 0


def test_the_chat_model_reads_the_analysis_in_words(ws):
    from synthloop.agent.chat.actions import weakness_lines
    from synthloop.tools.analysis import Candidate, WeaknessAnalysis
    from synthloop.tools.models import LoopIteration

    far = Candidate(id="X1", kind="condition", key="distance=far", fixed={"distance": "far"},
                    support=40, found=0, recall=0.0, reference=0.8, reference_label="expected",
                    z=-6.0, excess_misses=32, responsiveness="data-insensitive",
                    images_added=30, recommendation="train at a larger imgsz")
    a = WeaknessAnalysis(insensitive=[far], notes=["distance=far is data-insensitive: "
                                                  "train at a larger imgsz"])
    ws.save_iteration(LoopIteration(thread_id="t", number=1, analysis=a.model_dump(mode="json")))
    lines = weakness_lines(ws)
    assert any("data-insensitive" in ln and "larger imgsz" in ln for ln in lines)


def test_why_quarantined_then_release_and_unknown_ids_refused(ws):
    from synthloop.tools.models import ObjectFlag, SampleFlag
    from tests.support.factories import store_sample

    _approved_policy(ws)
    s = store_sample(ws, 1)
    ws.save_flags([SampleFlag(sample_id=s.id, verifier="held_out_model", score=0.1,
                              reason="hard_hat: not found by the model",
                              objects=[ObjectFlag(index=1, cls="hard_hat", score=0.0,
                                                  reason="not found by the model")])])
    llm = ScriptedLLM([
        {"reply": "Here is why.", "action": {"kind": "show_quarantine", "value": s.id}},
        {"reply": "Releasing.", "action": {"kind": "release_sample", "value": s.id}},
        {"reply": "Releasing.", "action": {"kind": "release_sample", "value": "made-up"}},
    ], workspace=ws)
    session = ChatSession(ws, llm, "t3", confirm=lambda a: True, progress=False)
    shown = session.send(f"why was sample {s.id} quarantined?")
    assert "not found by the model" in shown[1] and "quarantined by held_out_model" in shown[1]
    assert "quarantined by label verification: 1 sample" in llm.calls[0].messages[-1]["content"]
    shown = session.send("release it")
    assert shown[1].startswith(f"released {s.id}") and ws.quarantined_ids() == set()
    shown = session.send("release made-up")
    assert shown[1].startswith("refused: sample 'made-up' has no flag")
