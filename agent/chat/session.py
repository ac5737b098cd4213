"""The conversational session: each turn the LLM returns a ChatTurn (reply + at most one
action); costly actions ask for confirmation; history is kept per thread in the
workspace's checkpointer, so `synthloop chat --thread T` continues a conversation."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from ..runner import checkpointer
from .actions import describe_workspace, run_action
from .schemas import COSTLY, ChatAction, ChatTurn

HISTORY_TURNS = 6


class ChatState(TypedDict):
    messages: Annotated[list[dict[str, Any]], operator.add]
    """role user|assistant|tool, content, and for assistant turns the proposed action."""


class ChatContext(TypedDict):
    ws: Any
    llm: Any


def _history(messages: list[dict[str, Any]]) -> str:
    return "\n".join(f"{m['role']}: {m['content'][:400]}" for m in messages[-HISTORY_TURNS:])


def respond(state: ChatState, runtime: Runtime[ChatContext]) -> dict[str, Any]:
    ws, llm = runtime.context["ws"], runtime.context["llm"]
    msgs = state["messages"]
    try:
        turn = llm.decide(ChatTurn, "chat", {"workspace": describe_workspace(ws),
                                             "history": _history(msgs[:-1]),
                                             "message": msgs[-1]["content"]})
    except Exception as e:  # the conversation goes on; the failure is said, not hidden
        turn = ChatTurn(reply=f"(I could not form a valid answer: {type(e).__name__}: "
                              f"{str(e)[:200]})")
    return {"messages": [{"role": "assistant", "content": turn.reply,
                          "action": turn.action.model_dump() if turn.action else None}]}


_builder = StateGraph(ChatState, context_schema=ChatContext)
_builder.add_node("respond", respond)
_builder.add_edge(START, "respond")
_builder.add_edge("respond", END)


class ChatSession:
    """One conversation thread. `confirm(action)` is asked before costly actions."""

    def __init__(self, ws, llm, thread_id: str, confirm: Callable[[ChatAction], bool],
                 progress: bool = True):
        self.ws, self.llm, self.confirm, self.progress = ws, llm, confirm, progress
        self.thread_id = thread_id if thread_id.startswith("chat-") else f"chat-{thread_id}"
        self.cfg = {"configurable": {"thread_id": self.thread_id}}

    def history(self) -> list[dict[str, Any]]:
        with checkpointer(self.ws) as saver:
            snap = _builder.compile(checkpointer=saver).get_state(self.cfg)
        return list(snap.values.get("messages", []))

    def send(self, text: str) -> list[str]:
        """One user message in; what to show comes out (the reply, then any action result)."""
        with checkpointer(self.ws) as saver:
            g = _builder.compile(checkpointer=saver)
            out = g.invoke({"messages": [{"role": "user", "content": text}]}, self.cfg,
                           context={"ws": self.ws, "llm": self.llm}, durability="sync")
            last = out["messages"][-1]
            shown = [last["content"]]
            if last.get("action"):
                action = ChatAction.model_validate(last["action"])
                if action.kind in COSTLY and not self.confirm(action):
                    result = f"{action.kind} cancelled by the user"
                else:
                    result = run_action(self.ws, action, progress=self.progress)
                g.update_state(self.cfg, {"messages": [{"role": "tool", "content": result}]})
                shown.append(result)
            return shown
