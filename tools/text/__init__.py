"""Texts for vision-language datasets: grounded captions and question-answer dialogs.

Code computes each sample's facts from its labels (`scene_facts`), writes template captions
and answers from them, and checks any LLM phrasing against the facts (`check_text`): a
phrasing that disagrees is retried once, then replaced by the template. Splits follow the
seed's rules (`assign_splits`): real images to test, augmented and synthetic to train,
texts phrased at the lowest temperature for test and the highest for train.

    assignment = assign_splits(samples)
    built = build_texts(policy, samples, assignment, ask=llm_phraser(llm))  # agent side
    export_hf_vlm(ws, policy, samples, out, texts=built, splits=assignment)
"""

from .build import TextBuild, build_texts, sample_texts
from .checker import Issue, Require, check_text
from .facts import SceneFacts, scene_facts
from .models import Draft, Rejection, SampleTexts, Text, Turn
from .phrase import (
    Phrase,
    PhraseBatch,
    Task,
    TextStats,
    batch_prompt,
    one_by_one,
    task_key,
    write_text,
    write_texts,
)
from .splits import SplitAssignment, SplitRules, assign_splits
from .templates import captions, questions

__all__ = [
    "Draft", "Issue", "Phrase", "PhraseBatch", "Rejection", "Require", "SampleTexts", "SceneFacts",
    "SplitAssignment", "SplitRules", "Task", "Text", "TextBuild", "TextStats", "Turn", "assign_splits",
    "batch_prompt", "build_texts", "captions", "check_text", "one_by_one", "questions",
    "sample_texts", "scene_facts", "task_key", "write_text", "write_texts",
]
