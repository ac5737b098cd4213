"""Run settings (typed, with defaults that fall back to the workspace config) and the
runtime context nodes receive (workspace, LLM, console) — the latter is never checkpointed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator
from pydantic import ValidationError as PydanticValidationError
from rich.console import Console
from typing_extensions import TypedDict  # pydantic (Studio's schema pages) refuses typing's

from synthloop.tools.config import (
    Config,
    GenerationConfig,
    GeneratorConfig,
    LoopConfig,
    Planner,
    TrainingConfig,
    VerifyConfig,
)
from synthloop.tools.errors import ConfigError

if TYPE_CHECKING:  # the LLM client pulls in openai; the store, sqlite: neither at import
    from synthloop.tools.store import Workspace

    from .llm import BaseLLM


class RunSettings(LoopConfig):
    """Everything that decides what a run does; stored in the run's state so a resumed run
    does exactly what the original would have. The loop's keys are `LoopConfig`'s (declared
    once, in tools/config.py); this adds only what belongs to one run, and the generator,
    generation (the engine), training and verify sections as they were when the run
    started."""

    auto_approve: bool = False
    policy_file: str | None = Field(default=None, description="YAML policy instead of drafting")
    example_policy: str | None = Field(default=None, description="built-in policy name")
    eval_set: str | None = Field(default=None, description="folder of real holdout images")
    oracle_slice: str | None = Field(
        default=None, pattern=r"^[a-z0-9_]+=[^=]+$",
        description="'axis=value' that the oracle planner (a benchmark arm) spends everything on")
    generator: GeneratorConfig = GeneratorConfig()
    generation: GenerationConfig = GenerationConfig()
    training: TrainingConfig = TrainingConfig()
    verify: VerifyConfig = VerifyConfig()

    @model_validator(mode="after")
    def _oracle_has_a_slice(self) -> RunSettings:
        if self.planner == Planner.oracle and not self.oracle_slice:
            raise ValueError("the oracle planner (a benchmark arm) needs oracle_slice "
                             "'axis=value'; use llm, allocator or uniform")
        return self

    @classmethod
    def from_config(cls, cfg: Config, **per_run: Any) -> RunSettings:
        """The run's settings: the config's [loop], [generator], [generation], [training] and
        [verify] sections (already merged with presets and options by `with_overrides`) plus
        per-run fields."""
        loop_keys = set(LoopConfig.model_fields)
        misplaced = sorted(k for k in per_run if k in loop_keys)
        if misplaced:  # a loop key belongs in the config overrides, so it is declared once
            raise TypeError(f"{', '.join(misplaced)}: pass loop keys through with_overrides")
        base = {**cfg.loop.model_dump(), "generator": cfg.generator, "generation": cfg.generation,
                "training": cfg.training, "verify": cfg.verify}
        base.update({k: v for k, v in per_run.items() if v is not None})
        try:
            return cls.model_validate(base)
        except PydanticValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            raise ConfigError(f"invalid run settings ({where}): {err['msg']}",
                              "see: synthloop config show") from None


@dataclass
class LoopContext:
    """Handed to every node by LangGraph as `runtime.context` (never checkpointed); built by
    `agent.services.open_services` for the CLI, the chat, the evals and the Studio server."""

    workspace: Workspace
    """Opened for writing."""
    llm: BaseLLM
    """The configured LLM client (`LLM`), or a `ScriptedLLM` in tests."""
    console: Console = field(default_factory=Console)
    progress: bool = True
    """Show rich progress bars (off in tests and under a server)."""


class StudioContext(TypedDict, total=False):
    """The run context a LangGraph server passes (JSON); the graph's context schema."""

    workspace: str
    """The workspace folder (made by `synthloop init`); default: $SYNTHLOOP_WORKSPACE."""
