"""Silhouettes and textures: how one object is drawn inside its box.

Every silhouette touches all four edges of its box, so the annotation box (the layout box
in pixels) is the tight box of what is drawn. An object is drawn as a textured patch pasted
through its silhouette mask, then a few detail strokes (a brim, wheels, a zip).
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image, ImageDraw

RGB = tuple[int, int, int]
Mask = ImageDraw.ImageDraw


def _r(draw: Mask, x0: float, y0: float, x1: float, y1: float, fill=255, radius: float = 0) -> None:
    x0, y0 = int(round(x0)), int(round(y0))
    x1, y1 = max(int(round(x1)), x0), max(int(round(y1)), y0)
    if radius >= 1 and x1 - x0 > 2 and y1 - y0 > 2:
        draw.rounded_rectangle((x0, y0, x1, y1), radius=int(radius), fill=fill)
    else:
        draw.rectangle((x0, y0, x1, y1), fill=fill)


def _e(draw: Mask, x0: float, y0: float, x1: float, y1: float, fill=255) -> None:
    x0, y0 = int(round(x0)), int(round(y0))
    draw.ellipse((x0, y0, max(int(round(x1)), x0), max(int(round(y1)), y0)), fill=fill)


def _p(draw: Mask, pts: list[tuple[float, float]], fill=255) -> None:
    draw.polygon([(round(x), round(y)) for x, y in pts], fill=fill)


def _chord_top(draw: Mask, x0: float, y0: float, x1: float, y1: float, fill=255) -> None:
    # The upper half of the ellipse (x0, y0, x1, y1).
    x0, y0 = int(round(x0)), int(round(y0))
    x1, y1 = max(int(round(x1)), x0 + 1), max(int(round(y1)), y0 + 1)
    draw.chord((x0, y0, x1, y1), 180, 360, fill=fill)


# -- silhouettes: (mask draw, w, h) with coordinates 0..w-1, 0..h-1 ------------------------
def _dome(d: Mask, w: int, h: int) -> None:
    _chord_top(d, 0.08 * w, 0, 0.92 * w, 1.6 * h)
    _r(d, 0, 0.7 * h, w - 1, h - 1)


def _helmet(d: Mask, w: int, h: int) -> None:
    _chord_top(d, 0, 0, w - 1, 1.9 * h)
    _r(d, 0.12 * w, 0.75 * h, 0.88 * w, h - 1)


def _cap(d: Mask, w: int, h: int) -> None:
    _chord_top(d, 0, 0, 0.72 * w, 1.7 * h)
    _r(d, 0, 0.68 * h, w - 1, h - 1, radius=0.2 * h)


def _hairnet(d: Mask, w: int, h: int) -> None:
    _chord_top(d, 0, 0, w - 1, 2 * h)


def _band(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0, w - 1, h - 1, radius=0.3 * h)


def _mask(d: Mask, w: int, h: int) -> None:
    _r(d, 0.1 * w, 0, 0.9 * w, h - 1, radius=0.35 * h)
    _r(d, 0, 0.35 * h, w - 1, 0.5 * h)


def _goggles(d: Mask, w: int, h: int) -> None:
    _e(d, 0, 0, 0.47 * w, h - 1)
    _e(d, 0.53 * w, 0, w - 1, h - 1)
    _r(d, 0.4 * w, 0.35 * h, 0.6 * w, 0.6 * h)


def _earmuffs(d: Mask, w: int, h: int) -> None:
    _e(d, 0, 0.3 * h, 0.28 * w, h - 1)
    _e(d, 0.72 * w, 0.3 * h, w - 1, h - 1)
    _r(d, 0.1 * w, 0, 0.9 * w, 0.2 * h)
    _r(d, 0.1 * w, 0, 0.2 * w, 0.5 * h)
    _r(d, 0.8 * w, 0, 0.9 * w, 0.5 * h)


def _shield(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0, w - 1, h - 1, fill=150, radius=0.2 * min(w, h))  # see-through


def _vest(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0, w - 1, h - 1)
    _p(d, [(0.32 * w, -1), (0.68 * w, -1), (0.5 * w, 0.32 * h)], fill=0)
    _e(d, -0.12 * w, -0.12 * h, 0.14 * w, 0.32 * h, fill=0)
    _e(d, 0.86 * w, -0.12 * h, 1.12 * w, 0.32 * h, fill=0)


def _harness(d: Mask, w: int, h: int) -> None:
    t = max(1.5, 0.14 * w)
    d.line([(0.15 * w, 0), (0.85 * w, 0.82 * h)], fill=255, width=int(t))
    d.line([(0.85 * w, 0), (0.15 * w, 0.82 * h)], fill=255, width=int(t))
    _r(d, 0, 0.8 * h, w - 1, h - 1)


def _apron(d: Mask, w: int, h: int) -> None:
    _p(d, [(0.25 * w, 0), (0.75 * w, 0), (w - 1, 0.3 * h), (w - 1, h - 1), (0, h - 1), (0, 0.3 * h)])


def _full(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0, w - 1, h - 1)


def _rounded(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0, w - 1, h - 1, radius=0.25 * min(w, h))


def _sash(d: Mask, w: int, h: int) -> None:
    _p(d, [(0, 0), (0.38 * w, 0), (w - 1, 0.62 * h), (w - 1, h - 1), (0.62 * w, h - 1), (0, 0.38 * h)])


def _boot(d: Mask, w: int, h: int) -> None:
    _p(d, [(0, 0), (0.55 * w, 0), (0.55 * w, 0.55 * h), (w - 1, 0.62 * h), (w - 1, h - 1), (0, h - 1)])


def _tool(d: Mask, w: int, h: int) -> None:
    _r(d, 0.42 * w, 0.25 * h, 0.58 * w, h - 1)
    _r(d, 0, 0, w - 1, 0.32 * h)


def _bottle(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0.3 * h, w - 1, h - 1, radius=0.2 * w)
    _r(d, 0.38 * w, 0, 0.62 * w, 0.32 * h)


def _bag(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0.28 * h, w - 1, h - 1, radius=0.15 * min(w, h))
    t = max(1, int(0.08 * min(w, h)))
    d.arc((round(0.25 * w), 0, round(0.75 * w), round(0.56 * h)), 180, 360, fill=255, width=t)


def _orb(d: Mask, w: int, h: int) -> None:
    _e(d, 0, 0, w - 1, h - 1)


def _stick(d: Mask, w: int, h: int) -> None:
    d.line([(0, h - 1), (w - 1, 0)], fill=255, width=max(2, int(0.18 * min(w, h))))
    _r(d, 0, h - 2, 1, h - 1)
    _r(d, w - 2, 0, w - 1, 1)


def _extinguisher(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0.22 * h, 0.72 * w, h - 1, radius=0.2 * w)
    _r(d, 0.2 * w, 0, 0.52 * w, 0.24 * h)
    _r(d, 0.5 * w, 0.06 * h, w - 1, 0.16 * h)


def _cone(d: Mask, w: int, h: int) -> None:
    _p(d, [(0.5 * w, 0), (0.86 * w, 0.88 * h), (0.14 * w, 0.88 * h)])
    _r(d, 0, 0.86 * h, w - 1, h - 1)


def _barrier(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0, w - 1, 0.45 * h)
    _r(d, 0.08 * w, 0.4 * h, 0.18 * w, h - 1)
    _r(d, 0.82 * w, 0.4 * h, 0.92 * w, h - 1)


def _sign(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0, w - 1, 0.6 * h, radius=0.08 * w)
    _r(d, 0.44 * w, 0.58 * h, 0.56 * w, h - 1)


def _ladder(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0, 0.13 * w, h - 1)
    _r(d, 0.87 * w, 0, w - 1, h - 1)
    steps = max(2, int(h / max(4, 0.14 * h)))
    for i in range(steps):
        y = (i + 0.5) * h / steps
        _r(d, 0, y - 0.02 * h, w - 1, y + 0.02 * h)


def _scooter(d: Mask, w: int, h: int) -> None:
    _r(d, 0.05 * w, 0.8 * h, 0.95 * w, 0.88 * h)
    _r(d, 0.78 * w, 0, 0.86 * w, 0.85 * h)
    _r(d, 0.62 * w, 0, w - 1, 0.05 * h)
    _e(d, 0, 0.76 * h, 0.22 * w, h - 1)
    _e(d, 0.78 * w, 0.76 * h, w - 1, h - 1)


def _bicycle(d: Mask, w: int, h: int) -> None:
    t = max(1, int(0.06 * min(w, h)))
    r = 0.5 * min(w * 0.42, h * 0.62)
    for cx in (r, w - 1 - r):
        d.ellipse((round(cx - r), round(h - 1 - 2 * r), round(cx + r), h - 1), outline=255, width=t)
    d.line([(r, h - 1 - r), (0.45 * w, 0.3 * h), (w - 1 - r, h - 1 - r)], fill=255, width=t)
    d.line([(0.45 * w, 0.3 * h), (0.78 * w, 0)], fill=255, width=t)
    _r(d, 0.3 * w, 0, 0.55 * w, 0.08 * h)


def _forklift(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0.35 * h, 0.66 * w, 0.85 * h)
    _r(d, 0.08 * w, 0, 0.5 * w, 0.4 * h)
    _r(d, 0.66 * w, 0, 0.75 * w, h - 1)
    _r(d, 0.75 * w, 0.9 * h, w - 1, h - 1)
    _e(d, 0.05 * w, 0.72 * h, 0.3 * w, h - 1)
    _e(d, 0.38 * w, 0.72 * h, 0.62 * w, h - 1)


def _vehicle(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0.32 * h, w - 1, 0.82 * h, radius=0.08 * h)
    _r(d, 0.2 * w, 0, 0.72 * w, 0.36 * h, radius=0.08 * h)
    _e(d, 0.1 * w, 0.62 * h, 0.3 * w, h - 1)
    _e(d, 0.7 * w, 0.62 * h, 0.9 * w, h - 1)


def _flame(d: Mask, w: int, h: int) -> None:
    _p(d, [(0, h - 1), (0.08 * w, 0.45 * h), (0.25 * w, 0.62 * h), (0.4 * w, 0), (0.55 * w, 0.5 * h),
           (0.7 * w, 0.18 * h), (0.84 * w, 0.58 * h), (w - 1, 0.35 * h), (w - 1, h - 1)])


def _drum(d: Mask, w: int, h: int) -> None:
    _r(d, 0, 0, w - 1, h - 1, radius=0.12 * w)


def _tripod(d: Mask, w: int, h: int) -> None:
    t = max(1, int(0.07 * w))
    d.line([(0.5 * w, 0.2 * h), (0, h - 1)], fill=255, width=t)
    d.line([(0.5 * w, 0.2 * h), (w - 1, h - 1)], fill=255, width=t)
    d.line([(0.5 * w, 0.2 * h), (0.5 * w, h - 1)], fill=255, width=t)
    _r(d, 0.3 * w, 0, 0.7 * w, 0.24 * h)


SILHOUETTES: dict[str, Callable[[Mask, int, int], None]] = {
    "dome": _dome, "helmet": _helmet, "cap": _cap, "hairnet": _hairnet, "band": _band,
    "mask": _mask, "goggles": _goggles, "earmuffs": _earmuffs, "shield": _shield,
    "bare_head": _orb, "vest": _vest, "harness": _harness, "apron": _apron, "jacket": _full,
    "badge": _rounded, "sash": _sash, "mitten": _rounded, "boot": _boot, "phone": _rounded,
    "tool": _tool, "bottle": _bottle, "clipboard": _full, "bag": _bag, "orb": _orb,
    "stick": _stick, "extinguisher": _extinguisher, "crate": _full, "cone": _cone,
    "barrier": _barrier, "sign": _sign, "ladder": _ladder, "scooter": _scooter,
    "bicycle": _bicycle, "forklift": _forklift, "vehicle": _vehicle, "puddle": _orb,
    "flame": _flame, "machine": _full, "door": _full, "drum": _drum, "tripod": _tripod,
    "sheet": _full,
}


# -- textures --------------------------------------------------------------------------
def texture_patch(w: int, h: int, texture: str, c: RGB, c2: RGB) -> Image.Image:
    """A w x h patch of `texture` in colours c (main) and c2 (secondary)."""
    patch = Image.new("RGB", (w, h), c)
    if texture == "solid" or w < 3 or h < 3:
        return patch
    d = ImageDraw.Draw(patch)
    if texture == "stripes":
        step = max(3, int(min(w, h) / 3))
        for x in range(-h, w, 2 * step):
            d.polygon([(x, h), (x + step, h), (x + step + h, 0), (x + h, 0)], fill=c2)
    elif texture == "bands":
        for a, b in ((0.42, 0.52), (0.68, 0.78)):
            _r(d, 0, a * h, w - 1, b * h, fill=c2)
    elif texture == "checker":
        s = max(2, int(min(w, h) / 4))
        for j in range(0, h, s):
            for i in range((j // s) % 2 * s, w, 2 * s):
                d.rectangle((i, j, i + s - 1, j + s - 1), fill=c2)
    elif texture == "dots":
        s = max(3, int(min(w, h) / 4))
        r = max(1, s // 4)
        for j in range(s // 2, h, s):
            for i in range(s // 2, w, s):
                d.ellipse((i - r, j - r, i + r, j + r), fill=c2)
    elif texture == "split":
        _r(d, w / 2, 0, w - 1, h - 1, fill=c2)
    elif texture == "rim":
        t = max(1, int(min(w, h) / 7))
        d.rectangle((0, 0, w - 1, h - 1), outline=c2, width=t)
    return patch


def paint_object(img: Image.Image, box: tuple[int, int, int, int], painter: str, texture: str,
                 c: RGB, c2: RGB) -> None:
    """Draw one object filling the pixel box (x0, y0, x1, y1), x1/y1 exclusive."""
    x0, y0, x1, y1 = box
    w, h = max(1, x1 - x0), max(1, y1 - y0)
    mask = Image.new("L", (w, h), 0)
    SILHOUETTES.get(painter, _full)(ImageDraw.Draw(mask), w, h)
    img.paste(texture_patch(w, h, texture, c, c2), (x0, y0), mask)
    _details(ImageDraw.Draw(img), box, painter, c, c2)


def _shade(c: RGB, k: float) -> RGB:
    return (int(c[0] * k), int(c[1] * k), int(c[2] * k))


def _details(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], painter: str, c: RGB, c2: RGB) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    if w < 6 or h < 5:
        return
    dark = _shade(c, 0.6)
    if painter == "dome":  # ridge and brim edge
        _r(d, x0 + 0.46 * w, y0 + 0.08 * h, x0 + 0.54 * w, y0 + 0.68 * h, fill=_shade(c, 0.85))
        _r(d, x0, y0 + 0.9 * h, x1 - 1, y1 - 1, fill=dark)
    elif painter == "helmet":
        _r(d, x0 + 0.12 * w, y0 + 0.78 * h, x0 + 0.88 * w, y1 - 1, fill=(40, 40, 45))
    elif painter in ("vest", "jacket", "apron"):
        _r(d, x0 + 0.48 * w, y0 + 0.32 * h, x0 + 0.52 * w, y1 - 1, fill=dark)
    elif painter in ("vehicle", "forklift", "scooter"):
        _e(d, x0 + 0.13 * w, y0 + 0.7 * h, x0 + 0.27 * w, y1 - 2, fill=(25, 25, 25))
        _e(d, x0 + 0.73 * w, y0 + 0.7 * h, x0 + 0.87 * w, y1 - 2, fill=(25, 25, 25))
    elif painter == "phone":
        _r(d, x0 + 0.15 * w, y0 + 0.15 * h, x1 - 0.15 * w, y1 - 0.15 * h, fill=(70, 110, 160))
    elif painter in ("crate", "machine"):
        for f in (0.33, 0.66):
            _r(d, x0, y0 + f * h, x1 - 1, y0 + f * h + max(1, 0.04 * h), fill=dark)
    elif painter == "sign":
        _r(d, x0 + 0.2 * w, y0 + 0.2 * h, x1 - 0.2 * w, y0 + 0.4 * h, fill=(20, 20, 20))
    elif painter == "door":
        _e(d, x0 + 0.78 * w, y0 + 0.5 * h, x0 + 0.86 * w, y0 + 0.56 * h, fill=c2)
    elif painter == "clipboard":
        _r(d, x0 + 0.35 * w, y0, x0 + 0.65 * w, y0 + 0.12 * h, fill=(150, 150, 155))


# -- people ----------------------------------------------------------------------------
SKIN_TONES: tuple[RGB, ...] = ((242, 212, 190), (228, 190, 160), (205, 158, 118), (165, 115, 78),
                               (120, 80, 52), (85, 55, 38))
HAIR: tuple[RGB, ...] = ((30, 25, 20), (70, 45, 30), (120, 85, 50), (200, 170, 110), (160, 160, 155))
TROUSERS: tuple[RGB, ...] = ((40, 45, 70), (60, 60, 65), (140, 125, 90), (35, 35, 38), (70, 90, 120))


def paint_person(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], *, skin: RGB, hair: RGB,
                 shirt: RGB, trousers: RGB, pose: str, has_hat: bool) -> None:
    """A person filling the box: head (top edge unless a hat sits there), arms at both
    sides, shoes on the bottom edge. Worn items are drawn over it at their own boxes."""
    x0, y0, x1, y1 = box
    w, h = max(2, x1 - x0), max(4, y1 - y0)
    cx = (x0 + x1) / 2
    hw = min(0.34 * w, 0.13 * h)
    head_top = y0 + (0.045 * h if has_hat else 0)
    head_bot = y0 + 0.19 * h
    shoulder, hip = y0 + 0.19 * h, y0 + 0.55 * h
    if pose == "crouch":
        shoulder, hip = y0 + 0.26 * h, y0 + 0.66 * h
        head_bot = y0 + 0.25 * h
    # legs
    lw = 0.21 * w
    spread = 0.12 * w if pose == "walk" else (0.18 * w if pose == "crouch" else 0.0)
    for side in (-1, 1):
        inner = cx + side * 0.03 * w
        outer = cx + side * (0.03 * w + lw)
        foot_shift = side * spread
        _p(d, [(inner, hip), (outer, hip), (outer + foot_shift, y1 - 0.04 * h),
               (inner + foot_shift, y1 - 0.04 * h)], fill=trousers)
        a, b = sorted((inner + foot_shift, outer + foot_shift + side * 0.05 * w))
        _r(d, max(x0, a), y1 - 0.05 * h, min(x1 - 1, b), y1 - 1, fill=(30, 28, 26))
    # arms: reaching puts both hands up near the head
    aw = 0.14 * w
    for side in (-1, 1):
        xa, xb = (x0, x0 + aw) if side < 0 else (x1 - 1 - aw, x1 - 1)
        if pose == "reach":
            _r(d, xa, head_top + 0.04 * h, xb, shoulder + 0.1 * h, fill=shirt)
            _e(d, xa, head_top + 0.02 * h, xb, head_top + 0.08 * h, fill=skin)
        else:
            _r(d, xa, shoulder + 0.01 * h, xb, hip - 0.04 * h, fill=shirt)
            _e(d, xa, hip - 0.06 * h, xb, hip + 0.01 * h, fill=skin)
    # torso, neck, head, hair
    _r(d, cx - 0.33 * w, shoulder, cx + 0.33 * w, hip, fill=shirt, radius=0.06 * w)
    _r(d, cx - 0.06 * w, head_bot - 0.02 * h, cx + 0.06 * w, shoulder + 0.01 * h, fill=skin)
    _e(d, cx - hw / 2, head_top, cx + hw / 2, head_bot, fill=skin)
    if not has_hat:
        _chord_top(d, cx - hw / 2, head_top, cx + hw / 2, head_top + 0.12 * h, fill=hair)
    if hw >= 8:  # eyes only when there is room for them
        ey = head_top + 0.55 * (head_bot - head_top)
        for ex in (cx - 0.18 * hw, cx + 0.18 * hw):
            _e(d, ex - 1, ey - 1, ex + 1, ey + 1, fill=(20, 20, 20))
