"""The improvement loop as a LangGraph StateGraph. This file only wires.

    start -> draft (LLM draft, lint, critic) -> review (interrupt) --reject--> draft
                                                  |
                                                  v
    design (scenarios + axes) -> specs -> generate (+ filters) -> verify -> dataset -> train
        ^                                                                            |
        |                                                                            v
      plan <- analyse <--continue-- guardrails <--------------------------------- evaluate
                                       |
                                       +--stop--> finish -> END
"""

from __future__ import annotations

from collections.abc import Callable

from langgraph.graph import END, START, StateGraph

from .cancel import cancellable
from .context import StudioContext
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
from .nodes.verify import verify
from .state import LoopInput, LoopOutput, LoopState

NODES = [("start", start), ("draft", draft), ("review", review), ("design", design),
         ("specs", specs), ("generate", generate), ("verify", verify), ("dataset", dataset), ("train", train),
         ("evaluate", evaluate), ("guardrails", guardrails), ("analyse", analyse),
         ("plan", plan), ("finish", finish)]
CANCELLABLE = {"generate", "train"}
"""The long steps stop their work when a server cancels the run (see cancel.py)."""


def build_graph(wrap: Callable[[Callable], Callable] | None = None) -> StateGraph:
    """The loop's StateGraph. `wrap` wraps every node (studio.py uses it to turn a server's
    JSON context into a LoopContext); the CLI, the chat and the evals pass a LoopContext
    and need none. The context schema is the JSON a server passes (StudioContext)."""
    g = StateGraph(LoopState, context_schema=StudioContext, input_schema=LoopInput,
                   output_schema=LoopOutput)
    for name, fn in NODES:
        node = wrap(fn) if wrap else fn
        g.add_node(name, cancellable(node, name=name) if name in CANCELLABLE else node)
    g.add_edge(START, "start")
    g.add_edge("start", "draft")
    g.add_edge("draft", "review")
    g.add_conditional_edges("review", after_review, ["draft", "design"])
    g.add_edge("design", "specs")
    g.add_edge("specs", "generate")
    g.add_edge("generate", "verify")
    g.add_edge("verify", "dataset")
    g.add_edge("dataset", "train")
    g.add_edge("train", "evaluate")
    g.add_edge("evaluate", "guardrails")
    g.add_conditional_edges("guardrails", after_guardrails, ["analyse", "finish"])
    g.add_edge("analyse", "plan")
    g.add_edge("plan", "specs")
    g.add_edge("finish", END)
    return g


builder = build_graph()


def compile_graph(checkpointer=None):
    """The loop, compiled with a checkpointer (the CLI uses the workspace's SQLite saver)."""
    return builder.compile(checkpointer=checkpointer, name="synthloop")
