"""Backgrounds and clutter: the world the objects stand in.

A background family (site, street, warehouse, ...) draws sky or wall, ground or floor and a
few structures. Clutter adds neutral shapes; distractors borrow the colours of the policy's
classes with other silhouettes, so a detector has to learn shape as well as colour. Nothing
drawn here may look like a labelled class: structures whose silhouette a class uses are
left out (`avoid`), so the background never holds an unlabelled positive.
"""

from __future__ import annotations

import math
import random

from PIL import Image, ImageDraw

from .painters import _e, _r, paint_object

RGB = tuple[int, int, int]

_SKY = ((150, 185, 222), (205, 220, 236))
_PALETTE = {
    "site": {"sky": _SKY, "ground": (152, 124, 90), "accent": (120, 120, 125)},
    "street": {"sky": _SKY, "ground": (92, 92, 98), "accent": (170, 160, 150)},
    "warehouse": {"sky": ((178, 174, 165), (160, 158, 152)), "ground": (142, 142, 138),
                  "accent": (40, 90, 160)},
    "factory": {"sky": ((150, 156, 162), (128, 134, 140)), "ground": (118, 124, 120),
                "accent": (110, 110, 118)},
    "indoor": {"sky": ((214, 206, 190), (200, 193, 178)), "ground": (165, 130, 95),
               "accent": (120, 140, 160)},
    "field": {"sky": _SKY, "ground": (92, 150, 72), "accent": (70, 110, 50)},
    "parking": {"sky": _SKY, "ground": (72, 74, 78), "accent": (225, 225, 225)},
    "lab": {"sky": ((232, 234, 236), (220, 223, 226)), "ground": (200, 202, 205),
            "accent": (150, 170, 190)},
    "tunnel": {"sky": ((70, 66, 62), (90, 85, 80)), "ground": (80, 76, 70), "accent": (230, 200, 120)},
}
_NEUTRAL = ((120, 85, 55), (95, 95, 100), (150, 140, 120), (60, 70, 85), (135, 110, 80),
            (80, 90, 70), (170, 165, 155))
_CLUTTER_PAINTERS = ("crate", "drum", "orb", "sheet", "tripod", "sign", "barrier", "bag")


def _jitter(c: RGB, rng: random.Random, amount: int = 12) -> RGB:
    # rng.random() rather than randint: this runs ~40 times an image and randint is slow
    r = rng.random
    return (min(255, max(0, int(c[0] + (2 * r() - 1) * amount))),
            min(255, max(0, int(c[1] + (2 * r() - 1) * amount))),
            min(255, max(0, int(c[2] + (2 * r() - 1) * amount))))


def _horizon_y(W: int, H: int, horizon: float, tilt: float, x: float) -> float:
    return H * horizon + math.tan(math.radians(tilt)) * (x - W / 2)


def draw_background(img: Image.Image, family: str, rng: random.Random, *, horizon: float,
                    tilt: float, avoid: set[str]) -> None:
    """Sky/wall, ground/floor and structures of `family`, tilted by `tilt` degrees."""
    W, H = img.size
    d = ImageDraw.Draw(img)
    pal = _PALETTE.get(family, _PALETTE["site"])
    top, bottom = pal["sky"]
    _r(d, 0, 0, W, H, fill=bottom)
    bands = 8
    for i in range(bands):
        f = i / (bands - 1)
        c = tuple(int(top[k] + (bottom[k] - top[k]) * f) for k in range(3))
        _r(d, 0, H * horizon * i / bands - 2, W, H * horizon * (i + 1) / bands + 2, fill=c)
    ground = _jitter(pal["ground"], rng, 10)
    hl, hr = _horizon_y(W, H, horizon, tilt, 0), _horizon_y(W, H, horizon, tilt, W)
    structures = _STRUCTURES.get(family, _site)
    structures(d, W, H, rng, hl, hr, pal, avoid, behind=True)
    d.polygon([(0, round(hl)), (W, round(hr)), (W, H), (0, H)], fill=ground)
    for _ in range(10 + (W * H) // 8000):  # ground speckle: texture without per-pixel noise
        x, y = rng.uniform(0, W), rng.uniform(max(hl, hr), H)
        s = rng.uniform(1, 4) * W / 320
        _r(d, x, y, x + s * 2, y + s, fill=_jitter(ground, rng, 18))
    structures(d, W, H, rng, hl, hr, pal, avoid, behind=False)


def _site(d, W, H, rng, hl, hr, pal, avoid, behind):
    if behind:
        x = rng.uniform(0.05, 0.5) * W
        bw, top = rng.uniform(0.25, 0.45) * W, rng.uniform(0.05, 0.2) * H
        grey = pal["accent"]
        for i in range(5):  # a building frame under construction
            xx = x + bw * i / 4
            _r(d, xx, top, xx + 3 * W / 320, max(hl, hr) + 2, fill=grey)
        for j in range(4):
            yy = top + (max(hl, hr) - top) * j / 4
            _r(d, x, yy, x + bw, yy + 2 * H / 320, fill=grey)
        if rng.random() < 0.7:  # a crane: mast and jib
            cx = rng.uniform(0.55, 0.95) * W
            _r(d, cx, 0.02 * H, cx + 0.02 * W, max(hl, hr), fill=(200, 160, 40))
            _r(d, cx - rng.uniform(0.2, 0.45) * W, 0.02 * H, cx + 0.1 * W, 0.04 * H, fill=(200, 160, 40))
    else:
        for _ in range(rng.randint(1, 3)):  # sand piles
            x, w = rng.uniform(0, W), rng.uniform(0.1, 0.25) * W
            y = rng.uniform(max(hl, hr), H * 0.9)
            d.chord((round(x), round(y), round(x + w), round(y + w * 0.8)), 180, 360,
                    fill=_jitter((190, 160, 110), rng))


def _street(d, W, H, rng, hl, hr, pal, avoid, behind):
    if behind:
        x = -rng.uniform(0, 0.1) * W
        while x < W:
            bw, bh = rng.uniform(0.12, 0.3) * W, rng.uniform(0.15, 0.38) * H
            base = max(hl, hr) + 2
            c = _jitter(rng.choice(((170, 150, 130), (150, 155, 165), (185, 170, 150), (120, 110, 105))), rng)
            _r(d, x, base - bh, x + bw, base, fill=c)
            for wy in range(int(base - bh + 6), int(base - 6), max(8, int(18 * H / 320))):
                for wx in range(int(x + 5), int(x + bw - 6), max(8, int(16 * W / 320))):
                    _r(d, wx, wy, wx + 5 * W / 320, wy + 6 * H / 320, fill=(90, 110, 135))
            x += bw + rng.uniform(0, 0.05) * W
    else:
        y0 = max(hl, hr)
        _r(d, 0, y0, W, y0 + 0.06 * H, fill=(160, 158, 152))  # pavement
        y = (y0 + H) / 2 + 0.1 * H
        for x in range(0, W, max(8, W // 8)):
            _r(d, x, y, x + W / 16, y + 2 * H / 320, fill=(225, 225, 215))


def _warehouse(d, W, H, rng, hl, hr, pal, avoid, behind):
    if behind:
        x = rng.uniform(-0.1, 0.05) * W
        while x < W:
            rw = rng.uniform(0.2, 0.35) * W
            base = max(hl, hr) + 2
            _r(d, x, 0.05 * H, x + 4 * W / 320, base, fill=pal["accent"])
            _r(d, x + rw, 0.05 * H, x + rw + 4 * W / 320, base, fill=pal["accent"])
            for lvl in range(4):
                ly = 0.05 * H + (base - 0.05 * H) * lvl / 4
                _r(d, x, ly, x + rw, ly + 3 * H / 320, fill=(230, 120, 30))
                if "crate" not in avoid:
                    bx = x + 5
                    while bx < x + rw - 10:
                        bw = rng.uniform(0.04, 0.08) * W
                        _r(d, bx, ly - 0.06 * H, bx + bw, ly, fill=_jitter((165, 125, 80), rng))
                        bx += bw + 3
            x += rw + rng.uniform(0.08, 0.2) * W
    else:
        y = rng.uniform(max(hl, hr) + 0.1 * H, 0.9 * H)
        _r(d, 0, y, W, y + 3 * H / 320, fill=(225, 195, 40))  # floor marking


def _factory(d, W, H, rng, hl, hr, pal, avoid, behind):
    if behind:
        for _ in range(rng.randint(2, 4)):
            x, w = rng.uniform(0, 0.85) * W, rng.uniform(0.12, 0.25) * W
            hgt = rng.uniform(0.15, 0.3) * H
            base = max(hl, hr) + 2
            if "machine" not in avoid:
                _r(d, x, base - hgt, x + w, base, fill=_jitter((105, 115, 125), rng))
            _r(d, x + w * 0.3, 0, x + w * 0.38, base - hgt, fill=(140, 140, 145))  # pipe
        _r(d, 0, 0.08 * H, W, 0.1 * H, fill=(130, 130, 135))
    else:
        y = rng.uniform(max(hl, hr) + 0.05 * H, 0.95 * H)
        for x in range(0, W, max(6, W // 20)):  # hazard stripe
            _r(d, x, y, x + W / 40, y + 4 * H / 320, fill=(230, 190, 30))


def _indoor(d, W, H, rng, hl, hr, pal, avoid, behind):
    if behind:
        wall = _jitter(rng.choice(((214, 206, 190), (200, 210, 215), (220, 210, 200), (190, 200, 185))), rng)
        _r(d, 0, 0, W, max(hl, hr) + 2, fill=wall)
        x = rng.uniform(0.05, 0.6) * W
        _r(d, x, 0.1 * H, x + 0.25 * W, 0.3 * H, fill=(170, 200, 225))  # window
        _r(d, x + 0.12 * W, 0.1 * H, x + 0.13 * W, 0.3 * H, fill=(240, 240, 240))
        if "door" not in avoid:
            dx = rng.uniform(0.6, 0.85) * W
            _r(d, dx, 0.12 * H, dx + 0.12 * W, max(hl, hr), fill=(140, 105, 75))
    else:
        y0 = max(hl, hr)
        step = max(8, int(0.08 * H))
        for y in range(int(y0), H, step):
            _r(d, 0, y, W, y + 1, fill=(140, 108, 80))


def _field(d, W, H, rng, hl, hr, pal, avoid, behind):
    if behind:
        for _ in range(rng.randint(2, 5)):
            x, s = rng.uniform(0, W), rng.uniform(0.06, 0.14) * W
            base = min(hl, hr) + 3
            _r(d, x - s * 0.1, base - s * 1.2, x + s * 0.1, base, fill=(95, 70, 45))
            _e(d, x - s, base - s * 2.4, x + s, base - s * 0.8, fill=_jitter((60, 120, 55), rng))
    else:
        for _ in range(6):
            x, y = rng.uniform(0, W), rng.uniform(max(hl, hr), H)
            _e(d, x, y, x + rng.uniform(0.05, 0.15) * W, y + 0.03 * H, fill=_jitter((75, 130, 60), rng))


def _parking(d, W, H, rng, hl, hr, pal, avoid, behind):
    if behind:
        _street(d, W, H, rng, hl, hr, pal, avoid, True)
    else:
        y0 = max(hl, hr)
        for x in range(int(rng.uniform(0, 0.1) * W), W, max(10, W // 5)):
            d.line([(x, y0 + 0.05 * H), (x - 0.08 * W, H)], fill=(225, 225, 225), width=max(1, W // 160))


def _lab(d, W, H, rng, hl, hr, pal, avoid, behind):
    if behind:
        base = max(hl, hr) + 2
        _r(d, 0, base - 0.12 * H, W, base, fill=(190, 195, 200))  # counter
        _r(d, 0, 0.12 * H, W, 0.14 * H, fill=(200, 205, 210))  # shelf
        if "bottle" not in avoid:
            x = rng.uniform(0, 0.1) * W
            while x < W:
                _r(d, x, 0.06 * H, x + 0.025 * W, 0.12 * H, fill=_jitter((120, 160, 200), rng, 30))
                x += rng.uniform(0.04, 0.1) * W
    else:
        step = max(10, int(0.1 * W))
        for x in range(0, W, step):
            _r(d, x, max(hl, hr), x + 1, H, fill=(185, 187, 190))


def _tunnel(d, W, H, rng, hl, hr, pal, avoid, behind):
    if behind:
        for x in range(int(0.1 * W), W, max(12, W // 4)):
            _e(d, x, 0.05 * H, x + 0.06 * W, 0.09 * H, fill=pal["accent"])  # lamps
    else:
        _r(d, 0, max(hl, hr), W, max(hl, hr) + 0.02 * H, fill=(60, 58, 55))


_STRUCTURES = {"site": _site, "street": _street, "warehouse": _warehouse, "factory": _factory,
               "indoor": _indoor, "field": _field, "parking": _parking, "lab": _lab,
               "tunnel": _tunnel}


def draw_clutter(img: Image.Image, rng: random.Random, *, density: float, distractors: float,
                 class_colours: list[tuple[RGB, RGB]], avoid: set[str], horizon: float) -> None:
    """Neutral clutter (count grows with density) and distractors in class colours."""
    W, H = img.size
    allowed = [p for p in _CLUTTER_PAINTERS if p not in avoid] or ["sheet"]
    n = round(density * 12 * (W * H) / (320 * 320))
    n_dis = round(distractors * 6) if class_colours else 0
    for i in range(n + n_dis):
        painter = rng.choice(allowed)
        size = rng.uniform(0.04, 0.13) * min(W, H)
        w = max(3, int(size * rng.uniform(0.6, 1.6)))
        h = max(3, int(size * rng.uniform(0.6, 1.4)))
        x = rng.randint(0, max(0, W - w))
        y = rng.randint(int(H * horizon * 0.8), max(int(H * horizon * 0.8), H - h))
        if i < n:
            c, c2, tex = _jitter(rng.choice(_NEUTRAL), rng, 15), _jitter(rng.choice(_NEUTRAL), rng), "solid"
        else:
            c, c2 = rng.choice(class_colours)
            tex = rng.choice(("solid", "rim", "split"))
        paint_object(img, (x, y, x + w, y + h), painter, tex, c, c2)
