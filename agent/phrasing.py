"""The LLM side of the vision-language texts: a `PhraseBatch` over the configured client.

One structured request per sample phrases all of its texts (`prompts/phrase_texts.md`): the
reply is constrained by its JSON schema to an object with one string per text, under the
text's label (t1, t2, ...) in order, so an answer cannot slide onto the next question.
Whatever comes back is still only a proposal; `synthloop.tools.text` checks every string
against the labels and keeps the template where one disagrees.

    built = build_texts(policy, samples, assignment, ask=llm_phraser(llm))
"""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, Field, create_model

from synthloop.tools.text import Task, batch_prompt, task_key

from .llm.base import BaseLLM

TEMPLATE = "phrase_texts"
TOKENS_PER_TEXT = 60  # an answer or a short caption; the budget bounds a runaway reply
LONG_TEXT_TOKENS = 200  # a long caption (counts, every person, the rules, the conditions)


@cache
def reply_schema(n: int) -> type[BaseModel]:
    """`{"t1": str, ..., "tn": str}`: one rewritten text per labelled text, all required."""
    fields = {task_key(i): (str, Field(min_length=1, max_length=600)) for i in range(1, n + 1)}
    return create_model(f"PhrasedTexts{n}", **fields)


def llm_phraser(llm: BaseLLM, *, tokens_per_text: int = TOKENS_PER_TEXT):
    """A PhraseBatch: the tasks in one `decide` request at the split's temperature."""
    def ask(tasks: list[Task], temperature: float) -> list[str | None]:
        reply = llm.decide(reply_schema(len(tasks)), TEMPLATE,
                           {"n": len(tasks), "texts": batch_prompt(tasks)},
                           temperature=temperature,
                           max_tokens=sum(LONG_TEXT_TOKENS if t.draft.kind == "caption_long"
                                          else tokens_per_text for t in tasks) + 16)
        return [getattr(reply, task_key(i)) for i in range(1, len(tasks) + 1)]
    return ask
