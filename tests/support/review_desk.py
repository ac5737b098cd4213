"""The review desk's test helpers: workspaces with a policy, samples, flags and a report;
a policy full of markup; the app served on a free loopback port in a thread; and headless
Debian Chromium driven by Playwright (never a downloaded browser).

    with served(create_app(root)) as url, chromium() as page:
        page.goto(url + "/policy/1")
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synthloop.tools.models import (
    Annotation,
    AxisValue,
    GenerationSpec,
    ObjectFlag,
    Provenance,
    Sample,
    SampleFlag,
)
from tests.support.factories import hard_hat_policy, png_bytes
from tests.support.paths import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("SYNTHLOOP_SCREENSHOTS", ROOT / "build" / "review_desk"))
HOSTILE = "<script>alert(\"x\")</script> it's a \"quote\" & <b id=\"injected\">bold</b>"


def hostile_policy():
    """hard_hat_policy with markup and quotes in every free-text field and an axis value
    (names are snake_case by the model's rules, so markup cannot be in them)."""
    p = hard_hat_policy()
    classes = [c.model_copy(update={"description": f"{c.description} {HOSTILE}"})
               for c in p.classes]
    rules = [r.model_copy(update={"text": f"{r.text} {HOSTILE}", "compliant": HOSTILE})
             for r in p.rules]
    scenarios = [s.model_copy(update={"description": HOSTILE}) for s in p.scenarios]
    axes = [a.model_copy(update={"values": [*a.values, AxisValue(value="<script>x</script>")]})
            for a in p.axes]
    return p.model_copy(update={"title": f"Hats {HOSTILE}", "goal": HOSTILE,
                                "hard_cases": [HOSTILE], "classes": classes, "rules": rules,
                                "scenarios": scenarios, "axes": axes})


def add_samples(ws, policy_version: int, n: int, *, scenarios=("with_hat", "no_hat"),
                size=(64, 48)) -> list[Sample]:
    """`n` samples of the stored version, spread over `scenarios`, each with a spec (so
    they belong to the version) and a random PNG."""
    specs, samples = [], []
    for k in range(n):
        sid = scenarios[k % len(scenarios)]
        variables = {"lighting": "night" if k % 3 == 0 else "day"}
        sp = GenerationSpec(policy_version=policy_version, scenario_id=sid,
                            prompt=f"a worker {k}", seed=k, variables=variables)
        specs.append(sp)
        rel = ws.put_bytes(png_bytes(k, size), "png")
        anns = [Annotation(cls="person", box=(4, 4, 30, 40))]
        if sid == "with_hat":
            anns.append(Annotation(cls="hard_hat", box=(10, 4, 22, 12)))
        samples.append(Sample(id=f"smp-{k:05d}", spec_id=sp.id, image=rel, width=size[0],
                              height=size[1], annotations=anns, scenario_id=sid,
                              variables=variables, split="train",
                              provenance=Provenance(generator="test", seed=k)))
    ws.save_specs(specs)
    ws.save_samples(samples)
    return samples


def generate(ws, policy, n: int, size: int = 160) -> list[str]:
    """`n` real procedural samples of the stored `policy` (in this process); their ids."""
    from synthloop.tools.design import expand_specs
    from synthloop.tools.generate.procedural import ProceduralGenerator
    from synthloop.tools.generate.runner import generate_samples

    specs = list(expand_specs(policy, n, seed=3))
    ws.save_specs(specs)
    gen = ProceduralGenerator(size, size, workers=1)
    try:
        return generate_samples(ws, policy, specs, gen, progress=False).sample_ids
    finally:
        gen.close()


def flag(sample_id: str, reason: str = "no hard_hat found where one is labelled") -> SampleFlag:
    """A quarantining flag on one sample, naming its second box."""
    return SampleFlag(sample_id=sample_id, verifier="heldout-model", score=0.2, reason=reason,
                      objects=[ObjectFlag(index=1, cls="hard_hat", box=(10, 4, 22, 12),
                                          score=0.2, reason=reason)])


@contextmanager
def served(app) -> Iterator[str]:
    """`app` served on a free 127.0.0.1 port in a thread; yields its URL (and waits for
    the desk's background jobs before stopping)."""
    from synthloop.agent.serve.server import serve_in_thread

    with serve_in_thread(app) as url:
        yield url


@contextmanager
def chromium():
    """A Playwright page in headless Debian Chromium with a fresh profile (the flags keep
    it from reaching out on a closed network)."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="synthloop-chromium-")
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": 1280, "height": 900})
            try:
                page = ctx.new_page()
                page.set_default_timeout(30_000)
                yield page
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(page, name: str) -> Path:
    """A full-page screenshot under SCREENSHOTS (build/review_desk unless set)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def have_chromium() -> bool:
    return Path(CHROMIUM).is_file()


def client(app, *, host: str = "127.0.0.1"):
    """A TestClient of `app` as a browser on `host` would reach it; its first GET sets
    the CSRF cookie (`csrf_of` reads it back)."""
    from fastapi.testclient import TestClient

    return TestClient(app, base_url=f"http://{host}", follow_redirects=False)


def csrf_of(c) -> str:
    """The CSRF token a page would embed in its forms (the cookie's value)."""
    if "synthloop_csrf" not in c.cookies:
        c.get("/")
    return c.cookies["synthloop_csrf"]
