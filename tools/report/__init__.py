"""Renderings of a MisclassificationReport: a token-budgeted Markdown summary for the LLM,
pictures, a standalone HTML page, and the comparison of two reports."""

from .compare import compare_reports, describe_comparison
from .html import render_report_html
from .summary import estimate_tokens, summarize_report

__all__ = ["compare_reports", "describe_comparison", "estimate_tokens", "render_report_html",
           "summarize_report"]
