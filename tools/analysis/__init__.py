"""Weakness analysis: which classes, conditions and condition pairs the next iteration
should spend images on, with the evidence, how each responded to earlier data, and what to
do about the ones more data does not move. Pure code over reports; nothing here calls a
model or an LLM."""

from .models import Candidate, HistoryPoint, WeaknessAnalysis
from .tally import train_counts
from .weakness import analyse_weakness, history_point, tracked_keys

__all__ = ["Candidate", "HistoryPoint", "WeaknessAnalysis", "analyse_weakness", "history_point",
           "tracked_keys", "train_counts"]
