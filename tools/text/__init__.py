"""Texts for vision-language datasets: grounded captions and question-answer dialogs.

Code computes each sample's facts from its labels (`scene_facts`), writes template captions
and answers from them, and checks any LLM phrasing against the facts (`check_text`): a
phrasing that disagrees is retried once, then replaced by the template. Splits follow the
seed's rules (`assign_splits`): real images to test, augmented and synthetic to train,
texts phrased at the lowest temperature for test and the highest for train.

    assignment = assign_splits(samples)
    built = build_texts(policy, samples, assignment, phrase=lambda p, t: llm(p, t))
    export_hf_vlm(ws, policy, samples, out, texts=built, splits=assignment)
"""

from .build import TextBuild, build_texts, sample_texts
from .checker import Issue, Require, check_text
from .facts import SceneFacts, scene_facts
from .models import Draft, Rejection, SampleTexts, Text, Turn
from .phrase import Phrase, TextStats, write_text
from .splits import SplitAssignment, SplitRules, assign_splits
from .templates import captions, questions

__all__ = [
    "Draft", "Issue", "Phrase", "Rejection", "Require", "SampleTexts", "SceneFacts",
    "SplitAssignment", "SplitRules", "Text", "TextBuild", "TextStats", "Turn", "assign_splits",
    "build_texts", "captions", "check_text", "questions", "sample_texts", "scene_facts",
    "write_text",
]
