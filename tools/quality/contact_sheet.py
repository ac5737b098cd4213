"""Contact sheets: a grid of images with their boxes drawn, to look at what was made."""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw

from ..models import Sample
from .stats import decode_png

if TYPE_CHECKING:
    from ..store import Workspace

_BOX_COLOURS = ((255, 64, 64), (64, 220, 64), (64, 128, 255), (255, 200, 0), (255, 0, 255),
                (0, 230, 230), (255, 128, 0), (160, 100, 255))


def class_colour(names: list[str], cls: str) -> tuple[int, int, int]:
    """A stable colour per class: its position in the sorted class list."""
    order = sorted(names)
    return _BOX_COLOURS[order.index(cls) % len(_BOX_COLOURS)] if cls in order else (255, 255, 255)


def render_contact_sheet(items: Iterable[tuple[bytes, Sample]], *, columns: int = 4,
                         thumb: int = 256, class_names: list[str] | None = None) -> Image.Image:
    """One image: each sample scaled to `thumb` px wide, its boxes drawn in class colours,
    a caption with its label or scenario and variables; flagged samples get a red frame."""
    items = list(items)
    if not items:
        raise ValueError("no samples to draw")
    names = class_names or sorted({a.cls for _, s in items for a in s.annotations})
    cap_h = 30
    rows = (len(items) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * (thumb + 4) + 4, rows * (thumb + cap_h + 4) + 4), (24, 24, 28))
    for i, (data, sample) in enumerate(items):
        try:
            img = decode_png(data)
        except ValueError:
            img = Image.new("RGB", (sample.width, sample.height), (90, 0, 0))
        k = thumb / img.width
        img = img.resize((thumb, max(1, round(img.height * k))))
        d = ImageDraw.Draw(img)
        for a in sample.annotations:
            box = [v * k for v in a.box]
            d.rectangle(box, outline=class_colour(names, a.cls), width=2 if thumb >= 200 else 1)
            if a.occluded > 0.05:
                d.text((box[0] + 2, box[1] + 1), f"{a.occluded:.0%}", fill=(255, 255, 255))
        if sample.flags:
            d.rectangle((0, 0, img.width - 1, img.height - 1), outline=(255, 0, 0), width=4)
        x = 4 + (i % columns) * (thumb + 4)
        y = 4 + (i // columns) * (thumb + cap_h + 4)
        sheet.paste(img, (x, y))
        cd = ImageDraw.Draw(sheet)
        head = sample.label or sample.scenario_id or sample.id
        cd.text((x + 2, y + img.height + 2), str(head)[:40], fill=(235, 235, 235))
        var = ", ".join(f"{v}" for _, v in sorted(sample.variables.items()))
        cd.text((x + 2, y + img.height + 15), var[:44], fill=(170, 170, 175))
    legend = ImageDraw.Draw(sheet)
    for j, name in enumerate(names[:8]):
        legend.text((sheet.width - 110, 6 + 12 * j), name[:16], fill=class_colour(names, name))
    return sheet


def save_contact_sheet(ws: Workspace, samples: list[Sample], rel_path: str, *, columns: int = 4,
                       thumb: int = 256, class_names: list[str] | None = None) -> Path:
    """Draw `samples` (their images read from the workspace) to `rel_path` in the workspace."""
    items = [(ws.path(s.image).read_bytes(), s) for s in samples]
    sheet = render_contact_sheet(items, columns=columns, thumb=thumb, class_names=class_names)
    buf = io.BytesIO()
    sheet.save(buf, format="PNG")
    return ws.write_artifact(rel_path, buf.getvalue())
