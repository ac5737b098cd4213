"""What chat actions do. Each checks its arguments against the workspace (the LLM proposes,
code checks) and returns text for the conversation; refusals say why."""

from __future__ import annotations

from collections import Counter

from synthloop.tools.analysis import WeaknessAnalysis
from synthloop.tools.config import load_config
from synthloop.tools.design import expand_specs, to_snake
from synthloop.tools.models import ClassCount, Scenario

from ..metrics import headline
from ..planning.schemas import SliceTarget
from ..planning.to_specs import derive_seed, target_specs
from .schemas import ChatAction


class Refused(Exception):
    """An action whose arguments do not fit the workspace."""


def describe_workspace(ws) -> str:
    """The short picture of the workspace the chat model reads each turn."""
    lines = []
    try:
        p = ws.get_policy()
    except Exception:
        return "no policy yet (the user can run: synthloop design \"GOAL\")"
    st = ws.review_status(p.version)
    lines.append(f'policy v{p.version} "{p.title}" ({st[0] if st else "not reviewed"}); '
                 f"classes {', '.join(p.class_names())}")
    lines.append("scenarios: " + ", ".join(f"{s.id} ({s.kind})" for s in p.scenarios[:12]))
    lines.append("axes: " + "; ".join(f"{a.name} ({', '.join(a.value_names()[:8])})" for a in p.axes[:10]))
    c = ws.counts()
    lines.append(f"samples {c['samples']}, training runs {c['train_runs']}, reports {c['reports']}")
    reps = ws.list_reports()
    if reps:
        h = headline(reps[-1])
        lines.append(f"latest report: {h['overall_name']} {h['overall']:.2f}; worst class "
                     f"{h['worst_class']} recall {h['worst_class_recall']:.2f}; worst slice "
                     f"{h['worst_slice']} recall {h['worst_slice_recall']:.2f}")
    lines += weakness_lines(ws)
    flags = ws.list_flags(status="quarantined")
    if flags:
        lines.append(f"quarantined by label verification: {len(flags)} sample(s), e.g. "
                     + ", ".join(f.sample_id for f in flags[:5]))
    return "\n".join(lines)


def weakness_lines(ws, top: int = 4) -> list[str]:
    """The latest loop iteration's weakness analysis in words: its best candidates and its
    notes (data-insensitive slices with what to do instead, class-wide misses)."""
    its = [i for i in ws.list_iterations() if i.analysis]
    if not its:
        return []
    a = WeaknessAnalysis.model_validate(its[-1].analysis)
    out = [f"weak (analysis): {c.key}: {c.evidence()}" for c in a.candidates[:top]]
    return out + [f"analysis note: {n}" for n in a.notes]


def run_action(ws, a: ChatAction, *, console=None, progress: bool = True) -> str:
    fn = {
        "show_policy": _show_policy, "show_scenarios": _show_scenarios,
        "show_report": _show_report, "show_worst_slices": _show_worst_slices,
        "show_samples": _show_samples, "add_scenario": _add_scenario,
        "generate_more": _generate_more, "run_iteration": _run_iteration,
        "approve_policy": _approve_policy, "show_quarantine": _show_quarantine,
        "release_sample": _release_sample, "confirm_sample": _confirm_sample,
    }[a.kind]
    try:
        return fn(ws, a, progress=progress)
    except Refused as e:
        return f"refused: {e}"


def _show_policy(ws, a, **_):
    p = ws.get_policy()
    rules = "\n".join(f"- {r.id} ({r.severity}): {r.text}" for r in p.rules)
    classes = "\n".join(f"- {c.name}: {c.description} [{c.appears}]" for c in p.classes)
    return f"**{p.title}** (v{p.version})\n\nClasses:\n{classes}\n\nRules:\n{rules}"


def _show_scenarios(ws, a, **_):
    p = ws.get_policy()
    return "\n".join(f"- {s.id} [{s.kind}, weight {s.weight:g}, risk {s.risk}]: {s.description}"
                     for s in p.scenarios) or "no scenarios yet"


def _show_report(ws, a, **_):
    from synthloop.tools.report import summarize_report

    reps = ws.list_reports()
    if not reps:
        raise Refused("no report yet; train and evaluate first")
    return summarize_report(reps[-1], max_tokens=800)


def _show_worst_slices(ws, a, **_):
    reps = ws.list_reports()
    if not reps:
        raise Refused("no report yet; train and evaluate first")
    n = min(a.count or 5, 20)
    rows = [f"- {s.key()}: recall {s.recall:.2f} (CI {s.recall_ci[0]:.2f}-{s.recall_ci[1]:.2f}), "
            f"{s.fn} missed of {s.support}" for s in reps[-1].slices[:n]]
    return "\n".join(rows) or "no slices in the latest report"


def _show_samples(ws, a, **_):
    by_scn = Counter(s.scenario_id or s.source for s in ws.iter_samples())
    return "\n".join(f"- {k}: {v}" for k, v in by_scn.most_common()) or "no samples yet"


def _add_scenario(ws, a, **_):
    p = ws.get_policy()
    if not a.description:
        raise Refused("add_scenario needs a description")
    kind = a.scenario_kind or "edge_case"
    sid = to_snake(a.description)[:40] or "new_scenario"
    if p.get_scenario(sid):
        raise Refused(f"scenario {sid} already exists")
    base = next((s for s in p.scenarios if s.kind == kind), p.scenarios[0] if p.scenarios else None)
    classes = base.classes if base else [ClassCount(name=n) for n in p.class_names()[:1]]
    new = Scenario(id=sid, rule_id=base.rule_id if base else None, kind=kind,
                   description=a.description, classes=classes, weight=1.0, risk="medium")
    stored = ws.save_policy(p.model_copy(update={"scenarios": [*p.scenarios, new]}),
                            parent_version=p.version)
    return (f"added scenario {sid} ({kind}) as policy v{stored.version}; it needs a review "
            f"(synthloop review --approve) before generation")


def _target(ws, a) -> SliceTarget:
    p = ws.get_policy()
    if a.cls and a.cls not in p.class_names():
        raise Refused(f"unknown class {a.cls!r}; classes are {', '.join(p.class_names())}")
    if a.axis:
        if a.axis not in ("scenario", "class") and p.get_axis(a.axis) is None:
            raise Refused(f"unknown axis {a.axis!r}; axes are {', '.join(x.name for x in p.axes)}")
        if a.axis == "scenario" and not p.get_scenario(a.value or ""):
            raise Refused(f"unknown scenario {a.value!r}")
        if not a.value:
            raise Refused(f"axis {a.axis} needs a value")
    return SliceTarget(axis=a.axis or ("class" if a.cls else "scenario"),
                       value=a.value or (a.cls or ""), cls=a.cls, count=a.count or 50,
                       hypothesis="asked in chat")


def _generate_more(ws, a, *, progress=True, **_):
    from synthloop.tools.generate.engines import make_engine
    from synthloop.tools.generate.runner import generate_samples

    p = ws.get_policy()
    if not ws.is_approved(p.version):
        raise Refused(f"policy v{p.version} is not approved; approve it first")
    t = _target(ws, a)
    n_before = ws.counts()["samples"]
    if t.axis == "scenario" and not t.value:
        specs = list(expand_specs(p, t.count, seed=derive_seed("chat", n_before), origin="chat"))
    else:
        specs = list(target_specs(p, t, seed=derive_seed("chat", n_before, t.axis, t.value),
                                  iteration=0))
    ws.save_specs(specs)
    cfg = load_config(ws.root)
    gen = make_engine(cfg.generator, cfg.generation)
    try:
        res = generate_samples(ws, p, specs, gen, progress=progress)
    finally:
        gen.close()
    return f"generated {res.generated} images for {t.axis}={t.value} ({res.skipped_existing} existed)"


def _run_iteration(ws, a, *, progress=True, **_):
    from synthloop.tools.dataset import build_dataset_version
    from synthloop.tools.evaluate import evaluate_model
    from synthloop.tools.train import train_model

    from ..llm import release_for_training

    p = ws.get_policy()
    ds = build_dataset_version(ws, p, note="chat iteration")
    release_for_training()  # the chat's next turn restarts the embedded LLM (~2.5 s)
    run = train_model(ws, ds, load_config(ws.root).training, progress=progress)
    h = headline(evaluate_model(ws, run, dataset=ds))
    return (f"trained on {ds.count('train')} images: {h['overall_name']} {h['overall']:.3f}, "
            f"worst class {h['worst_class']} ({h['worst_class_recall']:.2f}), worst slice "
            f"{h['worst_slice']} ({h['worst_slice_recall']:.2f})")


def _approve_policy(ws, a, **_):
    p = ws.get_policy()
    ws.record_review(p.version, "approved", "approved in chat")
    return f"policy v{p.version} approved"


def _show_quarantine(ws, a, **_):
    if a.value:
        flags = ws.list_flags(sample_id=a.value)
        if not flags:
            raise Refused(f"sample {a.value!r} has no flag: it is not quarantined")
        return "\n".join(
            f"{f.sample_id} {f.status} by {f.verifier} (score {f.score:.2f}): {f.reason}"
            + "".join(f"\n  - {o.cls}: {o.reason}" for o in f.objects) for f in flags)
    flags = ws.list_flags(status="quarantined")
    if not flags:
        return "no sample is quarantined"
    rows = [f"- {f.sample_id} ({f.verifier}, score {f.score:.2f}): {f.reason}"
            for f in sorted(flags, key=lambda f: f.score)[:20]]
    more = f"\n(and {len(flags) - 20} more: synthloop quarantine list)" if len(flags) > 20 else ""
    return f"{len(flags)} quarantined sample(s):\n" + "\n".join(rows) + more


def _flagged_id(ws, a) -> str:
    if not a.value:
        raise Refused("name the sample id (see show_quarantine)")
    if not ws.list_flags(sample_id=a.value):
        raise Refused(f"sample {a.value!r} has no flag; flagged samples are listed by "
                      "show_quarantine")
    return a.value


def _release_sample(ws, a, **_):
    sid = _flagged_id(ws, a)
    ws.set_flag_status([sid], "released")
    return f"released {sid}: it returns to training in the next dataset version"


def _confirm_sample(ws, a, **_):
    sid = _flagged_id(ws, a)
    ws.set_flag_status([sid], "confirmed")
    return f"confirmed {sid}: its labels are wrong; it stays out of training (kept, not deleted)"
