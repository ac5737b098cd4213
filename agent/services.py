"""The composition root: the one place that opens a workspace and builds what works on it
(its configuration, the LLM client, the loop's runtime context). The CLI, the chat, the
LangGraph Studio adapter and the evals all start here, so that each opens a workspace the
same way: the Ultralytics settings folder moved into it, its log file attached (when the
caller keeps logs), and nothing created unless asked.

    with open_services(path, write=True) as sv:
        out = start_run(sv.workspace, sv.loop_context(), goal, settings)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from synthloop.tools.config import Config, load_config

from .context import LoopContext

if TYPE_CHECKING:
    from synthloop.tools.store import Workspace

    from .llm import BaseLLM


@dataclass
class Services:
    """An open workspace with its effective configuration and LLM client (built on first
    use: commands that never ask the LLM never import its client)."""

    workspace: Workspace
    config: Config
    created: bool = False
    """True when `open_services(create=True)` made a new workspace."""
    _llm: BaseLLM | None = None

    @property
    def llm(self) -> BaseLLM:
        if self._llm is None:
            from .llm import get_llm

            self._llm = get_llm(self.config.llm, workspace=self.workspace)  # starts nothing yet
        return self._llm

    def loop_context(self, *, console: Console | None = None, progress: bool = True) -> LoopContext:
        return LoopContext(workspace=self.workspace, llm=self.llm,
                           console=console or Console(), progress=progress)

    def close(self) -> None:
        self.workspace.close()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_services(root: str | Path, *, write: bool = False, create: bool = False,
                  llm: BaseLLM | None = None, llm_cache: bool | None = None,
                  on_open: Callable[[Workspace], None] | None = None) -> Services:
    """Open the workspace at `root` (for writing with `write`; `create` also makes it when
    it is missing, and implies write) and build its services. `llm` replaces the configured
    client (tests pass a ScriptedLLM); `llm_cache` overrides `llm.cache` (the CLI's
    `--no-cache`); `on_open` runs once the workspace is open (the CLI attaches its log file
    there). A missing or foreign folder is a WorkspaceError with a hint, and nothing is
    created unless `create`."""
    from synthloop.tools.offline import use_workspace_config_dir
    from synthloop.tools.store import Workspace

    path = Path(root).expanduser()
    existed = (path / "synthloop.db").exists()
    ws = Workspace.init(path) if create else Workspace.open(path, write=write)
    try:
        config = load_config(ws.root)
        if llm_cache is not None:
            config = config.model_copy(
                update={"llm": config.llm.model_copy(update={"cache": llm_cache})})
        use_workspace_config_dir(ws.root)
        if on_open is not None:
            on_open(ws)
    except BaseException:
        ws.close()
        raise
    return Services(workspace=ws, config=config, created=create and not existed, _llm=llm)
