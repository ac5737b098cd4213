"""A bad setting is blamed on where it came from (an environment variable or the file),
with a hint that works; a non-UTF-8 config file and duplicate YAML keys are clear errors
(issue 14, item 8)."""

from __future__ import annotations

import pytest

from synthloop.agent.cli import run
from synthloop.tools.config import load_config
from synthloop.tools.design import policy_from_yaml
from synthloop.tools.errors import ConfigError, ValidationError


@pytest.fixture
def wsdir(tmp_path):
    w = tmp_path / "w"
    assert run(["init", str(w)]) == 0
    return w


def _one_error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_a_bad_environment_value_names_the_variable_not_the_file(wsdir, capsys, monkeypatch):
    monkeypatch.setenv("SYNTHLOOP_TRAINING__EPOCHS", "-1")
    assert run(["-w", str(wsdir), "config", "show"]) == 2
    err = _one_error(capsys)
    assert "training.epochs" in err and "SYNTHLOOP_TRAINING__EPOCHS" in err
    assert "synthloop.toml" not in err
    assert "config show" not in err  # the hint must not send you to the command that failed
    assert "unset SYNTHLOOP_TRAINING__EPOCHS" in err


def test_an_unknown_environment_key_names_the_variable(wsdir, monkeypatch):
    monkeypatch.setenv("SYNTHLOOP_TRAINING__EPOCHZ", "3")
    with pytest.raises(ConfigError, match="SYNTHLOOP_TRAINING__EPOCHZ") as e:
        load_config(wsdir)
    assert "no such setting" in e.value.message


def test_a_bad_file_value_names_the_file_and_the_section(wsdir, capsys):
    (wsdir / "synthloop.toml").write_text("[training]\nepochs = 0\n")
    assert run(["-w", str(wsdir), "config", "show"]) == 2
    err = _one_error(capsys)
    assert "training.epochs" in err and "synthloop.toml" in err
    assert "[training]" in err and "config show" not in err


def test_a_non_utf8_config_file_is_a_config_error(wsdir, capsys):
    (wsdir / "synthloop.toml").write_bytes("[training]\n# caf\xe9\nepochs = 3\n".encode("latin-1"))
    assert run(["-w", str(wsdir), "config", "show"]) == 2
    err = _one_error(capsys)
    assert "not UTF-8" in err and "line 2" in err and "save it as UTF-8" in err


POLICY = """\
title: site safety
classes:
  - {name: person, appears: person}
scenarios:
  - id: anyone
    kind: compliant
    classes: {person: 1}
title: another title
"""


def test_duplicate_yaml_keys_are_refused_naming_the_key_and_line():
    with pytest.raises(ValidationError) as e:
        policy_from_yaml(POLICY, source="p.yaml")
    assert "duplicate key 'title'" in e.value.message
    assert "line 8" in e.value.message and "first on line 1" in e.value.message
    ok = policy_from_yaml(POLICY.replace("title: another title\n", ""), source="p.yaml")
    assert ok.title == "site safety"
    anchors = "base: &b {name: person, appears: person}\n" \
              "classes:\n  - {<<: *b, name: person}\n"  # a merge key may be overridden
    from synthloop.tools.strict_yaml import safe_load

    assert safe_load(anchors)["classes"][0]["name"] == "person"


def test_policy_import_with_duplicate_keys_exits_2(wsdir, tmp_path, capsys):
    f = tmp_path / "p.yaml"
    f.write_text(POLICY)
    assert run(["-w", str(wsdir), "policy", "import", str(f)]) == 2
    err = _one_error(capsys)
    assert "duplicate key 'title'" in err and "line 8" in err


def test_duplicate_keys_in_an_imported_data_yaml(tmp_path):
    from synthloop.tools.dataset.real_import import _read_names

    (tmp_path / "data.yaml").write_text("names: [a, b]\nnc: 2\nnames: [c]\n")
    with pytest.raises(ValidationError, match="duplicate key 'names'"):
        _read_names(tmp_path)
