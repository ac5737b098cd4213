"""The failure gallery: a contact sheet of the worst eval images with true boxes (solid)
and predicted boxes (dashed, with confidence), coloured by class, and a legend."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ..models import ImageResult, MisclassificationReport, Sample
from .plots import class_color


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        import matplotlib

        ttf = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
        return ImageFont.truetype(str(ttf), size)
    except (ImportError, OSError):
        return ImageFont.load_default()


def worst_images(report: MisclassificationReport, n: int) -> list[ImageResult]:
    """The `n` images with the most errors (missed + confused + false positives)."""
    bad = [i for i in report.images if i.fn or i.fp]
    return sorted(bad, key=lambda i: (-(i.fn + i.fp), i.sample_id))[:n]


def _counted(items) -> str:
    return ",".join(f"{n}×{k}" if n > 1 else k for k, n in Counter(items).items())


def _dashed_rect(d: ImageDraw.ImageDraw, box, color, width: int = 2, dash: int = 6) -> None:
    x0, y0, x1, y1 = box
    for (a, b) in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)),
                   ((x0, y1), (x0, y0))):
        length = max(abs(b[0] - a[0]), abs(b[1] - a[1]))
        steps = max(int(length // dash), 1)
        for k in range(0, steps, 2):
            t0, t1 = k / steps, min((k + 1) / steps, 1.0)
            d.line([(a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0),
                    (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1)], fill=color, width=width)


def _tile(img: Image.Image, sample: Sample, result: ImageResult, colors: dict[str, tuple],
          tile: int, font) -> Image.Image:
    scale = tile / max(img.width, img.height)
    img = img.convert("RGB").resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))))
    canvas = Image.new("RGB", (tile, tile + 30), "white")
    canvas.paste(img, (0, 30))
    d = ImageDraw.Draw(canvas)
    for a in sample.annotations:
        x0, y0, x1, y1 = (v * scale for v in a.box)
        d.rectangle([x0, y0 + 30, x1, y1 + 30], outline=colors.get(a.cls, (0, 0, 0)), width=2)
    for p in result.predicted:
        if p.box is not None:
            x0, y0, x1, y1 = (v * scale for v in p.box)
            c = colors.get(p.cls, (0, 0, 0))
            _dashed_rect(d, (x0, y0 + 30, x1, y1 + 30), c)
            d.text((x0 + 2, y0 + 31), f"{p.conf:.2f}", fill=c, font=font)
    what = []
    if result.missed:
        what.append("miss " + _counted(result.missed))
    if result.confusions:
        what.append(_counted(f"{t}→{p}" for t, p in result.confusions))
    if sample.label is not None and result.predicted:
        what.append(f"{sample.label}→{result.predicted[0].cls}")
    fp = result.fp - len(result.confusions)
    if fp and sample.label is None:
        what.append(f"{fp} FP")
    d.text((2, 1), result.sample_id[:28], fill="black", font=font)
    d.text((2, 15), "; ".join(what)[:48], fill=(160, 0, 0), font=font)
    return canvas


def render_failure_gallery(report: MisclassificationReport, samples: Mapping[str, Sample],
                           root: Path, *, n: int = 12, tile: int = 200, cols: int = 4) -> bytes | None:
    """PNG bytes of the worst `n` images (image files read from `root`, the workspace),
    or None when no image has an error. Images whose file is missing are skipped."""
    worst = [r for r in worst_images(report, n) if r.sample_id in samples]
    names = [c.name for c in report.classes]
    colors = {name: class_color(i) for i, name in enumerate(names)}
    font = _font(11)
    tiles = []
    for r in worst:
        s = samples[r.sample_id]
        try:
            with Image.open(root / s.image) as img:
                tiles.append(_tile(img, s, r, colors, tile, font))
        except OSError:
            continue
    if not tiles:
        return None
    cols = min(cols, len(tiles))
    rows = -(-len(tiles) // cols)
    width = cols * (tile + 6)
    per_row = max(1, (width - 4) // 110)
    legend_h = 24 + 18 * (-(-len(names) // per_row))
    sheet = Image.new("RGB", (width, rows * (tile + 36) + legend_h), "white")
    for k, t in enumerate(tiles):
        sheet.paste(t, ((k % cols) * (tile + 6), (k // cols) * (tile + 36)))
    d = ImageDraw.Draw(sheet)
    y = rows * (tile + 36) + 4
    d.text((4, y), "solid = ground truth, dashed = prediction (confidence)", fill="black", font=font)
    for i, name in enumerate(names):
        x, yy = 4 + (i % per_row) * 110, y + 18 + (i // per_row) * 18
        d.rectangle([x, yy + 2, x + 12, yy + 12], fill=colors[name])
        d.text((x + 16, yy), name[:14], fill="black", font=font)
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    return buf.getvalue()
