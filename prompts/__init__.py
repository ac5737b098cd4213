"""Prompt templates as files, and the one loader every LLM call goes through.

A template is `prompts/<name>.md`: a small YAML front matter, then one section per chat
message, each a Jinja2 template.

    ---
    description: Draft a compliance policy from the user's goal.
    variables:
      goal: the user's compliance goal, one sentence
      classes: list of class names already known (may be empty)
    ---
    ## system
    You design computer-vision datasets. Answer with JSON only.

    ## user
    Goal: {{ goal }}
    Known classes: {{ classes | json }}

Rules:
- `description:` (one line) and `variables:` (a mapping name -> what it holds, or a plain list
  of names) are required. Every variable the body uses must be declared, and a render must
  pass exactly the declared ones: a missing or an extra variable is a `PromptError`.
- Sections start with a line that is exactly `## system`, `## user` or `## assistant`
  (few-shot examples); any other `##` line is ordinary text. Each section becomes one
  `{"role": ..., "content": ...}` message, in file order, with its text stripped.
- Jinja2 with StrictUndefined and no HTML escaping. Extra filters: `json` (pretty JSON of
  any value, pydantic models included) and `bullets` (a list as "- item" lines).
- Names are lowercase letters, digits, `_` and `-`; files are read with importlib.resources
  so the templates work from an installed wheel too. The package ships only the product's
  templates; tests and benchmarks keep their own folders and add them with
  `add_prompt_folder` (a name the package already has cannot be shadowed).

    >>> from synthloop.prompts import render_prompt
    >>> messages = render_prompt("draft_policy", goal="workers wear hard hats", feedback="")
    >>> [m["role"] for m in messages][:1]
    ['system']
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import yaml

__all__ = ["Prompt", "PromptError", "add_prompt_folder", "list_prompts", "load_prompt",
           "render_prompt"]

_NAME = re.compile(r"^[a-z0-9_][a-z0-9_\-]*$")
_SECTION = re.compile(r"^##[ \t]+(system|user|assistant)[ \t]*$", re.MULTILINE)
_FRONT = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)


class PromptError(ValueError):
    """A prompt file is malformed, or a render got missing or undeclared variables.

    A ValueError rather than a synthloop UserError: a broken template is a bug in the
    package, not something the user can fix (prompts/ imports nothing of synthloop)."""


def _to_jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    return value


def _json_filter(value: Any, indent: int | None = 2) -> str:
    # jinja2's own `tojson` escapes <, > and & for HTML, which only confuses a model
    return json.dumps(_to_jsonable(value), indent=indent, ensure_ascii=False, default=str)


def _bullets(values: Any) -> str:
    return "\n".join(f"- {v}" for v in values)


_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["json"] = _json_filter
_ENV.filters["bullets"] = _bullets


@dataclass(frozen=True)
class Prompt:
    """A parsed template: its name, description, declared variables and message sections."""

    name: str
    description: str
    variables: dict[str, str]
    sections: tuple[tuple[str, str], ...]
    _compiled: tuple[jinja2.Template, ...] = field(repr=False, compare=False, default=())

    def render(self, **variables: Any) -> list[dict[str, str]]:
        """The OpenAI chat messages for these variables (exactly the declared ones)."""
        missing = sorted(set(self.variables) - set(variables))
        extra = sorted(set(variables) - set(self.variables))
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if extra:
                parts.append(f"undeclared {', '.join(extra)}")
            raise PromptError(
                f"prompt {self.name!r}: {'; '.join(parts)} "
                f"(declared: {', '.join(self.variables) or 'none'})")
        messages = []
        for (role, _), tpl in zip(self.sections, self._compiled, strict=True):
            try:
                text = tpl.render(**variables).strip()
            except jinja2.UndefinedError as e:
                raise PromptError(f"prompt {self.name!r}, section {role}: {e.message}") from e
            messages.append({"role": role, "content": text})
        return messages


_EXTRA_FOLDERS: list[Path] = []


def add_prompt_folder(folder: str | Path) -> None:
    """Also look for templates in `folder` (after the package's own). For tests and
    benchmarks, whose templates do not ship in the wheel."""
    path = Path(folder).resolve()
    if not path.is_dir():
        raise PromptError(f"prompt folder {path} does not exist")
    if path not in _EXTRA_FOLDERS:
        _EXTRA_FOLDERS.append(path)


def _prompt_file(name: str):
    if not isinstance(name, str) or not _NAME.match(name):
        raise PromptError(f"bad prompt name {name!r}: use lowercase letters, digits, _ and -")
    packaged = resources.files(__name__).joinpath(f"{name}.md")
    if packaged.is_file():
        return packaged
    for folder in _EXTRA_FOLDERS:
        if (folder / f"{name}.md").is_file():
            return folder / f"{name}.md"
    return packaged


def parse_prompt(name: str, text: str) -> Prompt:
    """Parse a template's text (front matter + sections); `load_prompt` reads the file."""
    m = _FRONT.match(text)
    if not m:
        raise PromptError(f"prompt {name!r} has no front matter: start it with a '---' block "
                          "holding description: and variables:")
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as e:
        raise PromptError(f"prompt {name!r}: its front matter is not valid YAML: {e}") from e
    if not isinstance(meta, dict) or not isinstance(meta.get("description"), str):
        raise PromptError(f"prompt {name!r}: the front matter needs a 'description:' line")
    unknown = sorted(set(meta) - {"description", "variables"})
    if unknown:
        raise PromptError(f"prompt {name!r}: unknown front-matter keys {', '.join(unknown)}")
    raw_vars = meta.get("variables") or {}
    if isinstance(raw_vars, list):
        variables = {str(v): "" for v in raw_vars}
    elif isinstance(raw_vars, dict):
        variables = {str(k): "" if v is None else str(v) for k, v in raw_vars.items()}
    else:
        raise PromptError(f"prompt {name!r}: 'variables:' must be a mapping or a list of names")

    body = text[m.end():]
    heads = list(_SECTION.finditer(body))
    if not heads:
        raise PromptError(f"prompt {name!r} has no '## system' / '## user' section")
    if body[:heads[0].start()].strip():
        raise PromptError(f"prompt {name!r}: text before the first '## <role>' line")
    sections = []
    for i, h in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(body)
        sections.append((h.group(1), body[h.end():end]))
    compiled, used = [], set()
    for role, src in sections:
        try:
            used |= jinja2.meta.find_undeclared_variables(_ENV.parse(src))
            compiled.append(_ENV.from_string(src))
        except jinja2.TemplateSyntaxError as e:
            raise PromptError(f"prompt {name!r}, section {role}, line {e.lineno}: {e.message}") from e
    undeclared = sorted(used - set(variables))
    if undeclared:
        raise PromptError(f"prompt {name!r} uses undeclared variables {', '.join(undeclared)}: "
                          "declare them under 'variables:'")
    return Prompt(name, meta["description"].strip(), variables, tuple(sections), tuple(compiled))


def load_prompt(name: str) -> Prompt:
    """Read and parse `prompts/<name>.md`; a missing or malformed file is a PromptError."""
    f = _prompt_file(name)
    if not f.is_file():
        raise PromptError(f"no prompt named {name!r} (known: {', '.join(list_prompts())})")
    return parse_prompt(name, f.read_text(encoding="utf-8"))


def render_prompt(name: str, **variables: Any) -> list[dict[str, str]]:
    """Load `prompts/<name>.md` and render it into OpenAI chat messages."""
    return load_prompt(name).render(**variables)


def list_prompts() -> list[str]:
    """The names of every template shipped in this package or in an added folder, sorted."""
    files = list(resources.files(__name__).iterdir())
    for folder in _EXTRA_FOLDERS:
        files += list(folder.iterdir())
    return sorted({p.name[:-3] for p in files
                   if p.name.endswith(".md") and _NAME.match(p.name[:-3])})
