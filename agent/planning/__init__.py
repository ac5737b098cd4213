"""Targeted planning over the weakness analysis' candidates: the gain-based allocator, the
LLM's enum-constrained choice and code's checks of it, and plans turned into specs."""

from .allocator import allocate
from .choose import choice_schema, validate_choice
from .schemas import SliceTarget, ValidatedPlan
from .validate import floor_size

__all__ = ["SliceTarget", "ValidatedPlan", "allocate", "choice_schema", "floor_size",
           "validate_choice"]
