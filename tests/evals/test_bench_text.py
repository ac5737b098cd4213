"""bench_text's summary: every finished sample counts; a run marked contended (it shared
the cores with other work) counts for its samples but not for the speed figures."""

from __future__ import annotations

from synthloop.evals.bench_text import scenes, summarise
from synthloop.tools.design.policy_io import load_example_policy
from synthloop.tools.text import TextStats, sample_texts


def test_contended_runs_are_left_out_of_the_speed_but_not_the_counts():
    pol = load_example_policy("ppe")
    samples = scenes(3, 0)
    done = {}
    for s in samples[:2]:
        stats = TextStats()
        st = sample_texts(pol, s, "train", 1.0, ask=None, stats=stats)
        done[s.id] = {"texts": st.model_dump(mode="json"), "stats": stats.model_dump(mode="json")}
    runs = [{"samples": 1, "wall_s": 40.0, "completion_tokens": 200},
            {"samples": 1, "wall_s": 400.0, "completion_tokens": 200, "contended": True}]
    res = summarise(samples, done, runs, 3)
    assert res["done"] == 2 and res["agree_share"] == 1.0
    assert res["s_per_sample"] == 40.0 and res["tokens_per_s"] == 5.0
    assert res["speed_from_runs"] == 1


def test_a_run_started_with_contended_is_marked_in_the_checkpoint(tmp_path, monkeypatch):
    import types

    import synthloop.agent.llm as llm_mod
    from synthloop.evals.bench_text import phrase_missing, read_checkpoint

    class NoLLM:  # every request fails: the texts fall back to their templates
        usage = types.SimpleNamespace(completion_tokens=0, prompt_tokens=0)
        model = "none"

        def decide(self, *a, **k):
            raise RuntimeError("no model here")

    monkeypatch.setattr(llm_mod, "get_llm", lambda cfg: NoLLM())
    samples = scenes(2, 0)
    ck = tmp_path / "ck.jsonl"
    phrase_missing(samples, samples[:1], 1, 0, ck)
    phrase_missing(samples, samples[1:], 1, 0, ck, contended="beside the tests")
    done, runs = read_checkpoint(ck, 0)
    assert len(done) == 2
    assert "contended" not in runs[0]
    assert runs[1]["contended"] is True and runs[1]["note"] == "beside the tests"
    assert summarise(samples, done, runs, 2)["speed_from_runs"] == 1


def test_a_kept_phrasing_the_stricter_checker_refuses_counts_as_template_and_is_not_audited():
    from synthloop.evals.bench_text import audit_sheet

    pol = load_example_policy("ppe")
    samples = scenes(1, 0)
    stats = TextStats()
    st = sample_texts(pol, samples[0], "train", 1.0, ask=None, stats=stats).model_dump(mode="json")
    good, bad = st["caption_short"], st["caption_long"]
    good.update(source="llm", text=good["reference"])
    bad.update(source="llm", text=bad["reference"] + " A forklift stands next to them.")
    stats.llm_accepted, stats.template = 2, stats.template - 2
    done = {samples[0].id: {"texts": st, "stats": stats.model_dump(mode="json")}}
    res = summarise(samples, done, [], 1)
    assert res["refused_on_recheck"] == 1 and res["recheck_reasons"]["unsupported"] >= 1
    assert res["llm_accepted"] == 1 and res["agree_share"] == 1.0
    sheet = audit_sheet(samples, done, 5, 0)
    assert "1 of the 1 exported texts" in sheet and "forklift" not in sheet
