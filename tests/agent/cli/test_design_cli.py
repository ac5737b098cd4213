"""The design commands end to end with a scripted LLM: design (text and --json), review
decisions, policy export/import/diff/show, and bad input as one line + exit 2 with the
stored versions untouched."""

from __future__ import annotations

import json

import pytest

from synthloop.agent.cli import design as design_cli
from synthloop.agent.cli import run
from synthloop.agent.llm import ScriptedLLM
from synthloop.tools.store import Workspace
from tests.support.llm_replies import AXES_TO_REPAIR, CLEAN_DRAFT, WORDINGS_TO_CHECK


@pytest.fixture
def scripted(monkeypatch):
    """Every design command gets a ScriptedLLM with one design's replies."""
    made = []

    def make(sv):
        llm = ScriptedLLM([CLEAN_DRAFT, WORDINGS_TO_CHECK, AXES_TO_REPAIR],
                          workspace=sv.workspace)
        made.append(llm)
        return llm

    monkeypatch.setattr(design_cli, "make_llm", make)
    return made


def versions(w):
    with Workspace.open(w) as ws:
        return [v for v, *_ in ws.list_policies()]


def test_design_stores_a_version_and_prints_a_summary(tmp_path, capsys, scripted, no_network):
    w = tmp_path / "ws"
    assert run(["-w", str(w), "design", "Workers wear a hard hat"]) == 0  # creates the workspace
    out = capsys.readouterr().out
    assert "policy v1" in out and "hard_hat" in out and "pairwise design" in out
    assert "synthloop review --version 1" in out
    assert versions(w) == [1] and not no_network


def test_design_json(tmp_path, capsys, scripted):
    w = tmp_path / "ws"
    assert run(["-w", str(w), "design", "Workers wear a hard hat", "--json", "--preview", "200"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["version"] == 1 and data["preview"]["total"] == 200
    assert data["policy"]["classes"][1]["name"] == "hard_hat"
    assert data["pairwise_rows"] < data["full_product"] and len(data["example_prompts"]) == 3
    assert not [f for f in data["findings"] if f["level"] == "error"]


@pytest.mark.parametrize("goal,needle", [("", "the goal is empty"),
                                         ("x" * 10_001, "at most 10,000"),
                                         ("🦺🦺🦺", "no compliance content"),
                                         ("a" * 10_000, "no compliance content")])
def test_bad_goal_is_one_line_and_exit_2(tmp_path, capsys, scripted, goal, needle):
    assert run(["-w", str(tmp_path / "ws"), "design", goal]) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err
    assert scripted == []  # no model was started


def test_review_approve_reject(tmp_path, capsys, scripted):
    w = str(tmp_path / "ws")
    run(["-w", w, "design", "Workers wear a hard hat"])
    capsys.readouterr()
    assert run(["-w", w, "review"]) == 0
    out = capsys.readouterr().out
    assert "review-v1.html" in out and "not reviewed" in out
    assert (tmp_path / "ws" / "reports" / "review-v1.html").is_file()
    assert run(["-w", w, "review", "--reject", "add a vest class"]) == 0
    with Workspace.open(w) as ws:
        assert ws.review_status(1) == ("rejected", "add a vest class")
    capsys.readouterr()
    assert run(["-w", w, "review"]) == 0
    out = capsys.readouterr().out
    assert "status: rejected; redraft with the comment" in out and "--approve" in out
    assert run(["-w", w, "review", "--version", "1", "--approve"]) == 0
    with Workspace.open(w) as ws:
        assert ws.is_approved(1)
    capsys.readouterr()
    assert run(["-w", w, "review"]) == 0  # an approved policy is not asked for a decision
    out = capsys.readouterr().out
    assert "status: approved; next: synthloop generate" in out and "decide with" not in out
    assert run(["-w", w, "review", "--approve", "--reject", "x"]) == 2
    assert run(["-w", w, "review", "--reject", " "]) == 2
    assert run(["-w", w, "review", "--version", "9"]) == 2


def test_policy_export_import_diff_show(tmp_path, capsys, scripted):
    w = str(tmp_path / "ws")
    run(["-w", w, "design", "Workers wear a hard hat"])
    f = tmp_path / "p.yaml"
    assert run(["-w", w, "policy", "export", str(f)]) == 0
    f.write_text(f.read_text().replace("title: Hard hats", "title: Hard hats on site"))
    capsys.readouterr()
    assert run(["-w", w, "policy", "import", str(f)]) == 0
    out = capsys.readouterr().out
    assert "as policy v2 (parent v1)" in out and "title" in out
    assert run(["-w", w, "policy", "diff", "1", "2"]) == 0
    assert "~ fields title: 'Hard hats' -> 'Hard hats on site'" in capsys.readouterr().out
    assert run(["-w", w, "policy", "show", "--yaml"]) == 0
    assert "title: Hard hats on site" in capsys.readouterr().out
    assert run(["-w", w, "policy", "show", "--version", "1"]) == 0
    assert "Design review" in capsys.readouterr().out


@pytest.mark.parametrize("edit,needle", [
    (lambda t: t.replace("title:", "colour: red\ntitle:", 1), "unknown key 'colour'"),
    (lambda t: t.replace("name: hard_hat", "name: ../hard_hat"), "../hard_hat"),
    (lambda t: t.replace("classes: [person, hard_hat]", "classes: [person, goggles]", 1), "goggles"),
    (lambda t: "title: [unclosed\n", "not valid YAML"),
])
def test_bad_policy_file_is_one_line_exit_2_and_versions_untouched(tmp_path, capsys, scripted,
                                                                    edit, needle):
    w = str(tmp_path / "ws")
    run(["-w", w, "design", "Workers wear a hard hat"])
    f = tmp_path / "p.yaml"
    run(["-w", w, "policy", "export", str(f)])
    f.write_text(edit(f.read_text()))
    capsys.readouterr()
    assert run(["-w", w, "policy", "import", str(f)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "unchanged" in err and len(err.strip().splitlines()) <= 3
    assert versions(w) == [1]


def test_goal_in_another_language_is_said_once(tmp_path, capsys, scripted):
    assert run(["-w", str(tmp_path / "ws"), "design", "Arbeiter müssen einen Helm tragen"]) == 0
    out = capsys.readouterr().out
    assert out.count("looks like German") == 1 and "drafted in English" in out
