"""Planted label faults, for measuring verifiers (benchmark mode; off by default).

With `FaultPlan(fraction=f)`, a fraction f of images *per kind* gets one wrong label:
  missing  - a labelled object is not drawn (its label stays)
  swapped  - an object is drawn with another class's look (its label keeps the old class)
  shifted  - a box is moved off its object
  extra    - an object is drawn that no label covers: by default standing on the ground
             line of the object it copies (as a generator's stray extra person looks);
             `extra_placement="anywhere"` puts it at any height, floating included
Which images and objects is decided by a hash of the spec id and the plan's seed, so it is
reproducible and independent of chunking or workers. What was planted goes to
`ProceduralGenerator.planted` (spec id -> PlantedFault), never onto the sample: a verifier
sees only the image and its (partly wrong) labels. Provenance notes that faults were on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Literal

from pydantic import BaseModel, Field

from .scene import ClassTable, Job

KINDS = ("missing", "swapped", "shifted", "extra")


class FaultPlan(BaseModel):
    fraction: float = Field(default=0.05, gt=0.0, le=0.25, description="images per kind")
    kinds: tuple[str, ...] = KINDS
    seed: int = 0
    extra_placement: Literal["grounded", "anywhere"] = Field(
        default="grounded", description="grounded: on the copied object's foot line; "
                                        "anywhere: any height (the first benchmarks' planter)")


class PlantedFault(BaseModel):
    spec_id: str
    kind: str
    index: int = Field(description="index into the labels; for 'extra', the unlabelled "
                                   "object's position is `box` and index is -1")
    cls: str
    drawn_as: str | None = None
    box: tuple[float, float, float, float] | None = Field(default=None, description="pixels")


def _u(plan: FaultPlan, spec_id: str, salt: str) -> float:
    h = hashlib.sha256(f"{plan.seed}:{salt}:{spec_id}".encode()).hexdigest()
    return int(h[:12], 16) / 16 ** 12


@dataclass(frozen=True)
class Planned:
    kind: str
    index: int
    cls: str
    drawn_as: str | None = None
    extra_box: tuple[float, float, float, float] | None = None


def choose(plan: FaultPlan, job: Job, table: ClassTable) -> Planned | None:
    """The fault to plant in `job`, or None."""
    u = _u(plan, job.spec_id, "kind")
    slot = int(u / plan.fraction)
    if slot >= len(plan.kinds) or not job.layout:
        return None
    kind = plan.kinds[slot]
    parents = {p for _, _, p in job.layout if p is not None}
    leaves = [i for i in range(len(job.layout)) if i not in parents]
    if kind == "extra":
        return _extra(plan, job, table)
    if kind == "swapped":
        leaves = [i for i in leaves if _swap_target(job.layout[i][0], table)]
    if not leaves:
        return None
    i = leaves[int(_u(plan, job.spec_id, "obj") * len(leaves))]
    cls = job.layout[i][0]
    return Planned(kind, i, cls, _swap_target(cls, table) if kind == "swapped" else None)


def _swap_target(cls: str, table: ClassTable) -> str | None:
    """Another class to draw instead: same placement (e.g. worn_on_head) first."""
    look = table.looks.get(cls, ("",))[0]
    others = [c for c in sorted(table.looks) if c != cls and table.looks[c][0] != "person"
              and look != "person"]
    same = [c for c in others if table.appears.get(c) == table.appears.get(cls)]
    pool = same or [c for c in others if table.appears.get(c) not in ("worn_on_head",)]
    return pool[0] if pool else None


def _extra(plan: FaultPlan, job: Job, table: ClassTable) -> Planned | None:
    cls, b, _ = job.layout[int(_u(plan, job.spec_id, "obj") * len(job.layout))]
    if table.appears.get(cls) not in ("person", "standalone"):
        cls = next((c for c, _, _ in job.layout if table.appears.get(c) in ("person", "standalone")),
                   None)
        if cls is None:
            return None
        b = next(bb for c, bb, _ in job.layout if c == cls)
    w, h = b[2] - b[0], b[3] - b[1]
    for attempt in range(8):
        x = _u(plan, job.spec_id, f"x{attempt}") * (1 - w)
        v = _u(plan, job.spec_id, f"y{attempt}")
        if plan.extra_placement == "grounded":  # its feet within a tenth of its height
            y = min(max(0.0, b[3] + (v - 0.5) * 0.1 * h), 1.0) - h
            y = min(max(0.0, y), 1 - h)
        else:
            y = v * (1 - h)
        box = (x, y, x + w, y + h)
        if all(_overlap(box, bb) < 0.1 for _, bb, _ in job.layout):
            return Planned("extra", -1, cls, None, box)
    return None


def _overlap(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / max(1e-9, min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])))


def render_job(job: Job, p: Planned) -> Job:
    """The job to draw for planted fault `p` (the labels are fixed up by `fix_labels`)."""
    lay = list(job.layout)
    if p.kind == "missing":
        del lay[p.index]
        lay = [(c, b, None if par is None else par - (par > p.index)) for c, b, par in lay]
    elif p.kind == "swapped":
        c, b, par = lay[p.index]
        lay[p.index] = (p.drawn_as, b, par)
    elif p.kind == "extra":
        lay.append((p.cls, p.extra_box, None))
    return replace(job, layout=tuple(lay))


def fix_labels(job: Job, p: Planned, anns: list, width: int, height: int) -> tuple[list, PlantedFault]:
    """The (wrong) labels for the drawn image, and the record of what was planted."""
    anns = list(anns)
    pf_box = None
    if p.kind == "missing":
        c, b, _ = job.layout[p.index]
        x0, y0 = max(0.0, b[0] * width), max(0.0, b[1] * height)
        x1, y1 = min(float(width), b[2] * width), min(float(height), b[3] * height)
        anns.insert(p.index, (c, x0, y0, x1, y1, 0.0, False))
        pf_box = (x0, y0, x1, y1)
    elif p.kind == "swapped":
        c, *rest = anns[p.index]
        anns[p.index] = (p.cls, *rest)
        pf_box = tuple(rest[:4])
    elif p.kind == "shifted":
        c, x0, y0, x1, y1, occ, tr = anns[p.index]
        w, h = x1 - x0, y1 - y0
        dx = (1 if (x0 + x1) / 2 < width / 2 else -1) * 0.8 * w
        dy = (1 if _u_box(job) < 0.5 else -1) * 0.4 * h
        nx0 = min(max(0.0, x0 + dx), width - w)
        ny0 = min(max(0.0, y0 + dy), height - h)
        anns[p.index] = (c, nx0, ny0, nx0 + w, ny0 + h, occ, tr)
        pf_box = (x0, y0, x1, y1)
    elif p.kind == "extra":
        _, x0, y0, x1, y1, _, _ = anns.pop()
        pf_box = (x0, y0, x1, y1)
    return anns, PlantedFault(spec_id=job.spec_id, kind=p.kind, index=p.index, cls=p.cls,
                              drawn_as=p.drawn_as, box=pf_box)


def _u_box(job: Job) -> float:
    return int(hashlib.sha256(job.spec_id.encode()).hexdigest()[:8], 16) / 16 ** 8
