"""The improvement loop as a LangGraph StateGraph. This file only wires.

    start -> draft (LLM draft, lint, critic) -> review (interrupt) --reject--> draft
                                                  |
                                                  v
    design (scenarios + axes) -> specs -> generate (+ quality filters) -> dataset -> train
        ^                                                                            |
        |                                                                            v
      plan <- analyse <--continue-- guardrails <--------------------------------- evaluate
                                       |
                                       +--stop--> finish -> END
"""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph

from .cancel import cancellable
from .nodes.analyse import analyse
from .nodes.dataset import dataset
from .nodes.design import design
from .nodes.draft import draft
from .nodes.evaluate import evaluate
from .nodes.finish import finish
from .nodes.generate import generate
from .nodes.guardrails import after_guardrails, guardrails
from .nodes.plan import plan
from .nodes.review import after_review, review
from .nodes.specs import specs
from .nodes.start import start
from .nodes.train import train
from .state import LoopInput, LoopOutput, LoopState
from .studio import StudioContext

# The CLI passes a LoopContext (console, LLM client) as the context; a LangGraph server
# passes JSON, described by StudioContext (see studio.py).
builder = StateGraph(LoopState, context_schema=StudioContext, input_schema=LoopInput,
                     output_schema=LoopOutput)
for name, fn in [("start", start), ("draft", draft), ("review", review), ("design", design),
                 ("specs", specs), ("dataset", dataset), ("evaluate", evaluate),
                 ("guardrails", guardrails), ("analyse", analyse),
                 ("plan", plan), ("finish", finish)]:
    builder.add_node(name, fn)
# The long steps stop their work when a server cancels the run (see cancel.py).
for name, fn in [("generate", generate), ("train", train)]:
    builder.add_node(name, cancellable(fn, name=name))

builder.add_edge(START, "start")
builder.add_edge("start", "draft")
builder.add_edge("draft", "review")
builder.add_conditional_edges("review", after_review, ["draft", "design"])
builder.add_edge("design", "specs")
builder.add_edge("specs", "generate")
builder.add_edge("generate", "dataset")
builder.add_edge("dataset", "train")
builder.add_edge("train", "evaluate")
builder.add_edge("evaluate", "guardrails")
builder.add_conditional_edges("guardrails", after_guardrails, ["analyse", "finish"])
builder.add_edge("analyse", "plan")
builder.add_edge("plan", "specs")
builder.add_edge("finish", END)


def compile_graph(checkpointer=None):
    """The loop, compiled with a checkpointer (the CLI uses the workspace's SQLite saver)."""
    return builder.compile(checkpointer=checkpointer, name="synthloop")


# For `langgraph dev` / LangGraph Studio (langgraph.json): no checkpointer, the platform
# brings its own.
graph = compile_graph()
