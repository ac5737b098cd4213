"""`synthloop init`, `status`, `check` and `config show`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from synthloop.tools.config import load_config
from synthloop.tools.errors import ValidationError
from synthloop.tools.store import lock

from .app import STATE, app, console, open_workspace

config_app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@app.command()
def init(
    directory: Path | None = typer.Argument(None, help="Folder to create (default: --workspace)."),
) -> None:
    """Create a workspace: a database, a content-addressed file store and a config file."""
    from synthloop.tools.store import Workspace

    target = (directory or STATE.workspace).expanduser()
    existed = (target / "synthloop.db").exists()
    with Workspace.init(target) as ws:
        verb = "opened existing" if existed else "created"
        console.print(f"{verb} workspace [bold]{ws.root}[/]")
        console.print(f"  config: {ws.root / 'synthloop.toml'}   log: {ws.log_path}")


@app.command()
def status() -> None:
    """What the workspace holds: policies, samples, datasets, runs, reports."""
    with open_workspace(write=False) as ws:
        counts = ws.counts()
        holder = lock.holder(ws.root)
        console.print(f"workspace [bold]{ws.root}[/]"
                      + (f"  [yellow](in use by pid {holder})[/]" if holder else ""), soft_wrap=True)
        t = Table(title="contents", show_lines=False)
        t.add_column("what")
        t.add_column("count", justify="right")
        t.add_column("detail")
        by_split = ws.sample_counts_by_split()
        t.add_row("policy versions", str(counts["policies"]), _policy_detail(ws))
        t.add_row("generation specs", str(counts["specs"]), "")
        t.add_row("samples", str(counts["samples"]),
                  ", ".join(f"{k}: {v}" for k, v in sorted(by_split.items())))
        t.add_row("dataset versions", str(counts["datasets"]), "")
        runs = ws.list_train_runs()
        t.add_row("training runs", str(len(runs)),
                  ", ".join(f"{r.status}: {sum(x.status == r.status for x in runs)}"
                            for r in {r.status: r for r in runs}.values()))
        t.add_row("reports", str(counts["reports"]), _report_detail(ws))
        t.add_row("loop iterations", str(counts["iterations"]), "")
        t.add_row("LLM calls", str(counts["llm_calls"]), _llm_detail(ws))
        console.print(t)


@app.command()
def check() -> None:
    """Verify the store: every stored file still matches its sha256 name, and every
    sample's image is there (an edit through a hard-linked export changes both)."""
    from synthloop.tools.store.integrity import check_files

    with open_workspace(write=False) as ws:
        res = check_files(ws)
    for kind, paths in (("changed", res.corrupt), ("missing", res.missing)):
        for p in paths:
            used = ", ".join(res.samples.get(p, [])[:5]) or "no sample"
            console.print(f"[red]{kind}[/] {p} (used by {used})", soft_wrap=True)
    if not res.ok:
        raise ValidationError(
            f"{len(res.corrupt)} stored file(s) no longer match their hash and "
            f"{len(res.missing)} sample image(s) are missing (of {res.checked} files)",
            "restore them from a backup, or delete those samples and generate again; "
            "edit only copies of exported images (export with the default --link copy)")
    console.print(f"checked {res.checked} stored files: all match their hash, "
                  "no sample image is missing")


def _policy_detail(ws) -> str:
    rows = ws.list_policies()
    if not rows:
        return "none yet"
    v, _parent, title, _ = rows[-1]
    st = ws.review_status(v)
    return f"latest v{v} '{title}' ({st[0] if st else 'not reviewed'})"


def _report_detail(ws) -> str:
    reps = ws.list_reports()
    if not reps:
        return ""
    r = reps[-1]
    parts = [f"{k}={v:.3f}" for k, v in list(r.overall.items())[:3]]
    return f"latest: {', '.join(parts)} on {r.eval_set.n_images} {r.eval_set.kind} images"


def _llm_detail(ws) -> str:
    tokens_in, tokens_out, seconds = ws.llm_usage()
    if not (tokens_in or tokens_out):
        return ""
    return f"tokens in/out {tokens_in}/{tokens_out}, {seconds:.1f} s"


@config_app.command("show")
def config_show() -> None:
    """Print the effective configuration (file + environment), secrets masked."""
    root = STATE.workspace if (STATE.workspace / "synthloop.db").exists() else None
    cfg = load_config(root)
    console.print(f"config of {'workspace ' + str(root) if root else 'no workspace (defaults + environment)'}")
    for section, values in cfg.display().items():
        t = Table(title=f"\\[{section}]", show_header=False, title_justify="left")
        t.add_column("key", style="cyan")
        t.add_column("value")
        for k, v in values.items():
            t.add_row(k, str(v))
        console.print(t)
