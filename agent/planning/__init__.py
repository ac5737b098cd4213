"""Targeted planning: the LLM's TargetedPlan, code's checks, and the fallback allocator."""

from .allocator import allocate
from .schemas import SliceTarget, TargetedPlan, ValidatedPlan
from .validate import validate_plan

__all__ = ["SliceTarget", "TargetedPlan", "ValidatedPlan", "allocate", "validate_plan"]
