"""Pictures the pages show, drawn on request and kept in memory: a sample's thumbnail with
its boxes, preview images of a scenario that has no samples yet, and a report's plots.

Previews are rendered by the configured generator but never stored as samples: a reviewer
browsing a draft must not add training data, spend budget or need the writer lock. They
are deterministic (fixed seeds), so a restart draws the same ones again.
"""

from __future__ import annotations

import io
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from PIL import Image, ImageDraw

from synthloop.tools.models import Annotation, Policy

log = logging.getLogger("synthloop.serve")
THUMB = 160
PREVIEWS_PER_SCENARIO = 6
_PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
            "#9a6324", "#469990", "#800000"]


class Cache:
    """A small thread-safe LRU of bytes."""

    def __init__(self, size: int):
        self.size = size
        self._d: OrderedDict[object, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object, make: Callable[[], bytes | None]) -> bytes | None:
        with self._lock:
            if key in self._d:
                self._d.move_to_end(key)
                return self._d[key]
        value = make()
        if value is not None:
            with self._lock:
                self._d[key] = value
                while len(self._d) > self.size:
                    self._d.popitem(last=False)
        return value

    def peek(self, key: object) -> bytes | None:
        with self._lock:
            return self._d.get(key)

    def put(self, key: object, value: bytes) -> None:
        with self._lock:
            self._d[key] = value


def class_colours(policy: Policy | None) -> dict[str, str]:
    return {c.name: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(policy.classes)} \
        if policy is not None else {}


def thumbnail(data: bytes | str, annotations: list[Annotation], colours: dict[str, str],
              size: int = THUMB) -> bytes:
    """PNG bytes of the image (encoded bytes, or a file path) scaled to fit `size`, with
    its boxes drawn in the class colours."""
    src = io.BytesIO(data) if isinstance(data, bytes) else data
    with Image.open(src) as im:
        im = im.convert("RGB")
        draw = ImageDraw.Draw(im)
        for a in annotations:
            draw.rectangle(a.box, outline=colours.get(a.cls, "#ff2828"),
                           width=max(1, im.width // 120))
        im.thumbnail((size, size))
        buf = io.BytesIO()
        im.save(buf, format="PNG")
    return buf.getvalue()


def render_previews(config, policy: Policy, scenario_id: str, on_image: Callable[[], None],
                    n: int = PREVIEWS_PER_SCENARIO) -> list[tuple[bytes, str]]:
    """`n` preview images of one scenario, drawn by the configured generator in this
    process (one worker), as (thumbnail PNG, caption). `on_image` is called after each."""
    from synthloop.tools.design import expand_specs
    from synthloop.tools.generate.runner import make_generator

    specs = list(expand_specs(policy, n, seed=0, fixed={"scenario": scenario_id},
                              origin="review preview"))
    gen = make_generator(config.model_copy(update={"workers": 1}))
    colours = class_colours(policy)
    out: list[tuple[bytes, str]] = []
    try:
        for img in gen.generate(specs, policy):
            caption = ", ".join(f"{k}={v}" for k, v in list(img.spec.variables.items())[:3])
            out.append((thumbnail(img.png, img.annotations, colours), caption))
            on_image()
    finally:
        gen.close()
    return out


def report_picture(ws, report, name: str) -> bytes | None:
    """One of a report's pictures by name: classes, confusion, slices, gallery or
    training; None when it cannot be drawn for this report (no slices, no errors)."""
    from synthloop.tools.errors import SynthloopError
    from synthloop.tools.report.gallery import render_failure_gallery, worst_images
    from synthloop.tools.report.plots import (
        plot_class_bars,
        plot_confusion,
        plot_epochs,
        plot_slice_heatmap,
    )

    try:
        if name == "gallery":
            ids = [i.sample_id for i in worst_images(report, 12)]
            samples = {s.id: s for s in ws.get_samples(ids)} if ids else {}
            return render_failure_gallery(report, samples, ws.root)
        if name == "training":
            run = ws.get_train_run(report.train_run_id) if report.train_run_id else None
            return plot_epochs(run.epochs) if run is not None and run.epochs else None
        make = {"classes": plot_class_bars, "confusion": plot_confusion,
                "slices": plot_slice_heatmap}[name]
        return make(report)
    except (ValueError, SynthloopError) as e:
        log.info("no %s picture for report %s: %s", name, report.id, e)
        return None


REPORT_PICTURES = {"classes": "Per-class metrics", "confusion": "Confusion matrix",
                   "slices": "Recall per slice and class", "gallery": "Failure gallery",
                   "training": "Training curves"}
