"""The prompt loader: every shipped template renders, and bad templates or variables fail
with a clear PromptError."""

from __future__ import annotations

import pytest

from synthloop import prompts
from synthloop.prompts import PromptError, list_prompts, load_prompt, parse_prompt, render_prompt


class Dummy:
    """Stands in for any variable: a string, a list of one item, an object with any
    attribute or key, so a template can be rendered without knowing its real inputs."""

    def __init__(self, name: str):
        self._name = name

    def __str__(self) -> str:
        return f"<{self._name}>"

    def __iter__(self):
        return iter([Dummy(f"{self._name}[0]")])

    def __len__(self) -> int:
        return 1

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return Dummy(f"{self._name}.{attr}")

    def __getitem__(self, key):
        return Dummy(f"{self._name}[{key}]")

    def items(self):
        return [("key", Dummy(f"{self._name}.key"))]

    def keys(self):
        return ["key"]

    def values(self):
        return [Dummy(f"{self._name}.key")]

    def model_dump(self, **kw):
        return {"value": str(self)}

    def __bool__(self) -> bool:
        return True


def test_prompts_are_found():
    names = list_prompts()
    assert "_test_decide" in names and "_test_chat" in names  # tests/support/prompts, added
    assert {"draft_policy", "plan", "chat"} <= set(names)


def test_added_folder_cannot_shadow_a_packaged_template(tmp_path):
    (tmp_path / "plan.md").write_text("---\ndescription: fake\nvariables: []\n---\n## user\nhi\n")
    prompts.add_prompt_folder(tmp_path)
    try:
        assert load_prompt("plan").description != "fake"
    finally:
        prompts._EXTRA_FOLDERS.remove(tmp_path.resolve())


@pytest.mark.parametrize("name", list_prompts())
def test_every_template_renders_with_its_declared_variables(name):
    prompt = load_prompt(name)
    assert prompt.description, f"{name} needs a description"
    messages = prompt.render(**{v: Dummy(v) for v in prompt.variables})
    assert messages, name
    roles = [m["role"] for m in messages]
    assert roles[-1] == "user", f"{name}: the last section should be the user's"
    assert set(roles) <= {"system", "user", "assistant"}
    for m in messages:
        assert m["content"].strip(), f"{name}: section {m['role']} renders empty"


def test_render_gives_openai_messages():
    msgs = render_prompt("_test_decide", topic="hard hats")
    assert msgs == [
        {"role": "system", "content": "You answer with a single JSON object and nothing else."},
        {"role": "user", "content": "Give me a JSON object about hard hats."},
    ]


def test_missing_and_extra_variables_are_errors():
    with pytest.raises(PromptError, match="missing topic"):
        render_prompt("_test_decide")
    with pytest.raises(PromptError, match="undeclared colour"):
        render_prompt("_test_decide", topic="x", colour="red")


def test_unknown_and_unsafe_names():
    with pytest.raises(PromptError, match="no prompt named 'nope'"):
        load_prompt("nope")
    for bad in ("../etc/passwd", "a/b", "UPPER", ""):
        with pytest.raises(PromptError, match="bad prompt name"):
            load_prompt(bad)


GOOD = """---
description: demo
variables:
  items: a list
  report: an object
---
## system
Rules.
## notes are plain text
## user
{% for i in items %}{{ i }};{% endfor %}
{{ report | json }}
{{ items | bullets }}
## assistant
{"ok": true}
## user
again
"""


def test_parse_sections_filters_and_roles():
    p = parse_prompt("demo", GOOD)
    assert p.variables == {"items": "a list", "report": "an object"}
    msgs = p.render(items=["a", "b"], report={"recall": 0.5, "note": "<x & y>"})
    assert [m["role"] for m in msgs] == ["system", "user", "assistant", "user"]
    assert msgs[0]["content"] == "Rules.\n## notes are plain text"
    assert "a;b;" in msgs[1]["content"]
    assert '"note": "<x & y>"' in msgs[1]["content"]  # no HTML escaping
    assert "- a\n- b" in msgs[1]["content"]


def test_json_filter_takes_pydantic_models():
    from pydantic import BaseModel

    class M(BaseModel):
        x: int = 3

    p = parse_prompt("m", "---\ndescription: d\nvariables: [m]\n---\n## user\n{{ m | json(None) }}")
    assert p.render(m=M())[0]["content"] == '{"x": 3}'


@pytest.mark.parametrize("text, match", [
    ("## user\nhi", "no front matter"),
    ("---\nvariables: []\n---\n## user\nhi", "description"),
    ("---\ndescription: d\nvariabls: []\n---\n## user\nhi", "unknown front-matter keys variabls"),
    ("---\ndescription: d\n---\nhello", "no '## system'"),
    ("---\ndescription: d\n---\nstray\n## user\nhi", "text before the first"),
    ("---\ndescription: d\nvariables: [a]\n---\n## user\n{{ a }} {{ b }}", "undeclared variables b"),
    ("---\ndescription: d\n---\n## user\n{% if %}", "section user, line"),
    ("---\ndescription: [unclosed\n---\n## user\nx", "not valid YAML"),
])
def test_malformed_templates(text, match):
    with pytest.raises(PromptError, match=match):
        parse_prompt("bad", text)


def test_templates_are_package_resources():
    # importlib.resources (not a path relative to the repo), so a wheel install works
    from importlib import resources

    assert resources.files(prompts).joinpath("draft_policy.md").is_file()
    # test templates live in tests/, not in the package
    assert not any(p.name.startswith("_test") for p in resources.files(prompts).iterdir())
