"""`synthloop report`: a report's summary and its HTML page."""

from __future__ import annotations

import webbrowser

import typer
from rich.markdown import Markdown

from .app import console, open_workspace


def report(
    report_id: str | None = typer.Option(None, "--id", help="Report id (default: latest)."),
    compare_to: str | None = typer.Option(None, "--compare-to", help="An older report id to compare with."),
    open_page: bool = typer.Option(False, "--open", help="Open the HTML page in a browser."),
    max_tokens: int = typer.Option(1500, "--max-tokens", help="Token budget of the summary."),
) -> None:
    """Print a report's summary and write its standalone HTML page."""
    from synthloop.tools.report import compare_reports, render_report_html, summarize_report

    # read-only: a report can be viewed while a loop holds the writer lock; the page's
    # files are written atomically under reports/<id>/ and touch no database row
    with open_workspace(write=False) as ws:
        rep = ws.get_report(report_id)
        comparison = compare_reports(ws.get_report(compare_to), rep) if compare_to else None
        console.print(Markdown(summarize_report(rep, max_tokens=max_tokens, comparison=comparison)))
        page = render_report_html(ws, rep, comparison=comparison)
        console.print(f"report page: {page}", soft_wrap=True, highlight=False)
        if open_page:
            webbrowser.open(page.as_uri())
