"""Render one scene: background, clutter, people and objects at their layout boxes,
occluders, weather, light, sensor noise, blur.

Input is plain data (a `Job` and a `ClassTable`), so worker processes never import
pydantic. Every random choice comes from a stream seeded by the spec's seed and the stream's
purpose, so changing one variable (night instead of day) leaves the rest of the picture (the
background, the clothes, the clutter) the same, and the effect of the variable is isolated.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from .background import draw_background, draw_clutter
from .effects import BACKGROUNDS, Effects, resolve_effects
from .painters import HAIR, SKIN_TONES, TROUSERS, _r, paint_object, paint_person

RGB = tuple[int, int, int]
_OCCLUDER_COLOURS: tuple[RGB, ...] = ((128, 128, 124), (112, 84, 58), (58, 62, 70), (70, 105, 60),
                                      (52, 80, 130), (150, 145, 135))
_DEFAULT_BACKGROUNDS = BACKGROUNDS[:-1]  # no tunnels unless a variable asks for one
MAX_OCCLUDED = 0.85  # hard, not impossible: every object keeps some of itself in view
# random streams, one per purpose (see module docstring)
_S_BG, _S_CLUTTER, _S_PEOPLE, _S_OCCLUDE, _S_WEATHER, _S_NOISE = range(6)


@dataclass(frozen=True)
class ClassTable:
    """Per-class drawing data for one policy: name -> (painter, texture, colour, colour2)
    and name -> appears."""

    looks: dict[str, tuple]
    appears: dict[str, str]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.looks))


@dataclass(frozen=True)
class Job:
    """One image to render: the parts of a GenerationSpec that decide pixels."""

    spec_id: str
    seed: int
    variables: tuple[tuple[str, str], ...]
    layout: tuple[tuple[str, tuple[float, float, float, float], int | None], ...]
    decoys: tuple[str, ...] = ()  # unlabelled look-alikes, see generator.scenario_decoys


Annotation = tuple[str, float, float, float, float, float, bool]  # cls, box, occluded, truncated


def _rng(seed: int, stream: int) -> random.Random:
    return random.Random(seed * 16 + stream)


def _px(b: tuple[float, float, float, float], W: int, H: int) -> tuple[int, int, int, int]:
    x0, y0 = int(round(b[0] * W)), int(round(b[1] * H))
    return x0, y0, max(x0 + 1, int(round(b[2] * W))), max(y0 + 1, int(round(b[3] * H)))


def render_scene(job: Job, table: ClassTable, width: int, height: int) -> tuple[Image.Image, list[Annotation]]:
    """Draw `job` at width x height; returns the RGB image and one annotation per layout box,
    in layout order, boxes in pixels (the layout box scaled, clipped to the image)."""
    W, H = width, height
    fx = resolve_effects(dict(job.variables), table.names)
    rng_bg = _rng(job.seed, _S_BG)
    family = fx.background or rng_bg.choice(_DEFAULT_BACKGROUNDS)
    avoid = {look[0] for look in table.looks.values()}
    img = Image.new("RGB", (W, H))
    draw_background(img, family, rng_bg, horizon=fx.horizon, tilt=fx.tilt, avoid=avoid)
    colours = [(look[2], look[3]) for look in table.looks.values() if look[0] != "person"]
    draw_clutter(img, _rng(job.seed, _S_CLUTTER), density=fx.clutter, distractors=fx.distractors,
                 class_colours=colours, avoid=avoid, horizon=fx.horizon)
    if "gloss" in job.decoys:
        _draw_gloss(img, _rng(job.seed, _S_CLUTTER), fx.horizon)
    _draw_objects(img, job, table, fx)
    occluders = _draw_occluders(img, job, table, fx)
    anns = _annotations(job, W, H, occluders)
    img = _apply_conditions(img, fx, job.seed)
    return img, anns


def _parents(job: Job, table: ClassTable) -> list[int | None]:
    """The person each item belongs to: the layout's `parent`, or the person box that holds
    the item's centre when the layout left it out."""
    people = [i for i, (cls, _, _) in enumerate(job.layout) if table.looks.get(cls, ("",))[0] == "person"]
    out: list[int | None] = []
    for i, (cls, b, parent) in enumerate(job.layout):
        if parent is not None and 0 <= parent < len(job.layout) and parent in people:
            out.append(parent)
            continue
        if i in people or table.appears.get(cls) == "standalone":
            out.append(None)
            continue
        cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
        inside = [p for p in people if job.layout[p][1][0] <= cx <= job.layout[p][1][2]
                  and job.layout[p][1][1] <= cy <= job.layout[p][1][3]]
        out.append(inside[0] if inside else None)
    return out


def _draw_objects(img: Image.Image, job: Job, table: ClassTable, fx: Effects) -> None:
    W, H = img.size
    d = ImageDraw.Draw(img)
    rng = _rng(job.seed, _S_PEOPLE)
    parents = _parents(job, table)
    kids: dict[int, list[int]] = {}
    for i, p in enumerate(parents):
        if p is not None:
            kids.setdefault(p, []).append(i)
    rank = {"worn_on_body": 0, "worn_on_head": 1, "held": 2}
    roots = sorted((i for i, p in enumerate(parents) if p is None), key=lambda i: job.layout[i][1][3])
    skin_default = fx.skin or rng.choice(SKIN_TONES)
    decoy_head = next((x[5:] for x in job.decoys if x.startswith("head:")), None)
    decoy_shirt = next((tuple(int(v) for v in x[6:].split(",")) for x in job.decoys
                        if x.startswith("shirt:")), None)
    head_colour = next((look[2] for cls, look in table.looks.items()
                        if table.appears.get(cls) == "worn_on_head"), (40, 60, 120))
    for i in roots:
        cls, b, _ = job.layout[i]
        look = table.looks.get(cls, ("sheet", "solid", (128, 128, 128), (90, 90, 90)))
        box = _px(b, W, H)
        if look[0] == "person":
            children = kids.get(i, [])
            has_hat = any(table.appears.get(job.layout[k][0]) == "worn_on_head"
                          and table.looks.get(job.layout[k][0], ("",))[0] != "bare_head"
                          for k in children)
            shirt = decoy_shirt or fx.clothing or _vary(look[2], rng)
            dark = sum(shirt) < 200
            paint_person(d, box, skin=skin_default if fx.skin else rng.choice(SKIN_TONES),
                         hair=fx.hair or rng.choice(HAIR), shirt=shirt,
                         trousers=_vary(shirt, rng, 0.7) if dark else rng.choice(TROUSERS),
                         pose=fx.pose, has_hat=has_hat)
            for k in sorted(children, key=lambda k: rank.get(table.appears.get(job.layout[k][0], ""), 3)):
                _draw_item(img, job.layout[k], table, fx, skin_default)
            if decoy_head and not has_hat:  # e.g. a cap where the policy wants a hard hat
                x0, y0, x1, y1 = box
                cx, w, h = (x0 + x1) / 2, x1 - x0, y1 - y0
                # lower and darker than the real item, so shape and shade tell them apart
                cap = (int(head_colour[0] * 0.75), int(head_colour[1] * 0.75), int(head_colour[2] * 0.75))
                paint_object(img, (round(cx - 0.22 * w), round(y0 + 0.03 * h), round(cx + 0.24 * w),
                                   round(y0 + 0.1 * h)), decoy_head, "solid", cap, (40, 40, 45))
        else:
            _draw_item(img, job.layout[i], table, fx, skin_default)


def _vary(c: RGB, rng: random.Random, k: float = 1.0) -> RGB:
    return tuple(min(255, max(0, int(v * k) + rng.randint(-14, 14))) for v in c)  # type: ignore[return-value]


def _draw_item(img: Image.Image, item, table: ClassTable, fx: Effects, skin: RGB) -> None:
    cls, b, _ = item
    painter, texture, c, c2 = table.looks.get(cls, ("sheet", "solid", (128, 128, 128), (90, 90, 90)))
    if painter == "bare_head":
        c, texture = skin, "solid"
    for target, colour in fx.item_colours:
        if target == cls or (target == "*" and painter not in ("person", "bare_head")):
            c = colour
    paint_object(img, _px(b, *img.size), painter, texture, c, c2)


def _draw_gloss(img: Image.Image, rng: random.Random, horizon: float) -> None:
    # shiny floor reflections: pale streaks on the ground that are not spills
    W, H = img.size
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(3, 6)):
        x, y = rng.uniform(0, W), rng.uniform(H * (horizon + 0.1), H)
        w, h = rng.uniform(0.08, 0.25) * W, rng.uniform(0.01, 0.04) * H
        d.ellipse((x, y, x + w, y + h), fill=(236, 238, 242))


def _draw_occluders(img: Image.Image, job: Job, table: ClassTable, fx: Effects) -> np.ndarray | None:
    """Occluders in front of objects, each covering about `fx.occlusion` of its target;
    returns the mask of occluded pixels (None when nothing is occluded)."""
    if fx.occlusion <= 0 or not job.layout:
        return None
    W, H = img.size
    rng = _rng(job.seed, _S_OCCLUDE)
    mask = np.zeros((H, W), dtype=bool)
    d = ImageDraw.Draw(img)
    for cls, b, _ in job.layout:
        person = table.looks.get(cls, ("",))[0] == "person"
        if rng.random() > (0.6 if person else 0.85):
            continue
        f = min(max(fx.occlusion * rng.uniform(0.8, 1.15) * (0.7 if person else 1.0), 0.08), 0.8)
        x0, y0, x1, y1 = _px(b, W, H)
        bw, bh = x1 - x0, y1 - y0
        grounded = person or table.appears.get(cls) == "standalone"
        side = rng.choice(("bottom", "left", "right") if grounded else ("left", "right", "top"))
        mx, my = rng.uniform(0.1, 0.4) * bw + 1, rng.uniform(0.05, 0.3) * bh + 1
        # shapes that could stand there: pillars and poles down to the ground, beams across,
        # crates and barriers standing in front
        if side in ("left", "right"):
            top = y0 - my if rng.random() < 0.6 else 0
            bottom = H if rng.random() < 0.5 else y1 + my
            r = (x0 - mx, top, x0 + f * bw, bottom) if side == "left" else (x1 - f * bw, top, x1 + mx, bottom)
        elif side == "top":
            r = (x0 - mx * rng.uniform(2, 6), y0 - my, x1 + mx * rng.uniform(2, 6), y0 + f * bh)
        else:
            r = (x0 - mx, y1 - f * bh, x1 + mx, y1 + my)
        rx0, ry0 = max(0, int(round(r[0]))), max(0, int(round(r[1])))
        rx1, ry1 = min(W, int(round(r[2]))), min(H, int(round(r[3])))
        if rx1 <= rx0 or ry1 <= ry0:
            continue
        trial = mask.copy()
        trial[ry0:ry1, rx0:rx1] = True
        if any(_hidden(trial, _px(bb, W, H)) > MAX_OCCLUDED for _, bb, _ in job.layout):
            continue  # would hide some object (this one or a neighbour) almost entirely
        colour = rng.choice(_OCCLUDER_COLOURS)
        _r(d, rx0, ry0, rx1 - 1, ry1 - 1, fill=colour)
        edge = tuple(int(v * 0.7) for v in colour)
        d.rectangle((rx0, ry0, rx1 - 1, ry1 - 1), outline=edge, width=max(1, W // 240))
        mask = trial
    return mask


def _hidden(mask: np.ndarray, box: tuple[int, int, int, int]) -> float:
    region = mask[box[1]:box[3], box[0]:box[2]]
    return float(region.mean()) if region.size else 0.0


def _annotations(job: Job, W: int, H: int, occ: np.ndarray | None) -> list[Annotation]:
    out: list[Annotation] = []
    eps = 1e-3
    for cls, b, _ in job.layout:
        x0, y0 = max(0.0, b[0] * W), max(0.0, b[1] * H)
        x1, y1 = min(float(W), b[2] * W), min(float(H), b[3] * H)
        truncated = b[0] <= eps or b[1] <= eps or b[2] >= 1 - eps or b[3] >= 1 - eps
        frac = round(_hidden(occ, _px(b, W, H)), 3) if occ is not None else 0.0
        out.append((cls, x0, y0, x1, y1, frac, truncated))
    return out


# -- conditions: weather, light, noise, blur ----------------------------------------------
def _apply_conditions(img: Image.Image, fx: Effects, seed: int) -> Image.Image:
    W, H = img.size
    scale = W / 320
    rng = _rng(seed, _S_WEATHER)
    if fx.fog > 0:
        fog = Image.new("RGB", (W, H), fx.fog_colour)
        img = Image.composite(fog, img, _gradient(W, H).point(_scaled_lut(fx.fog)))
    if fx.rain > 0 or fx.snow > 0:
        d = ImageDraw.Draw(img)
        for _ in range(int(fx.rain * 140 * scale * scale)):
            x, y = rng.uniform(0, W), rng.uniform(-10, H)
            n = rng.uniform(6, 16) * scale
            d.line([(x, y), (x - 0.25 * n, y + n)], fill=(196, 200, 210), width=1)
        for _ in range(int(fx.snow * 260 * scale * scale)):
            x, y = rng.uniform(0, W), rng.uniform(0, H)
            r = rng.uniform(0.6, 1.8) * scale
            d.ellipse((x - r, y - r, x + r, y + r), fill=(244, 246, 250))
    if fx.saturation < 0.999:
        grey = img.convert("L").convert("RGB")
        img = Image.blend(grey, img, max(0.0, fx.saturation))
    if (fx.brightness, fx.contrast, fx.tint) != (1.0, 1.0, (1.0, 1.0, 1.0)):
        img = img.point(_light_lut(round(fx.brightness, 3), round(fx.contrast, 3),
                                   tuple(round(t, 3) for t in fx.tint)))
    if fx.glare > 0:
        white = Image.new("RGB", (W, H), (255, 250, 235))
        img = Image.composite(white, img, _radial(W, H, True).point(_scaled_lut(fx.glare)))
    if fx.vignette > 0:
        black = Image.new("RGB", (W, H), (0, 0, 0))
        img = Image.composite(black, img, _radial(W, H, False).point(_scaled_lut(fx.vignette)))
    if fx.noise > 0:
        tile = _grain(max(W, H), round(fx.noise, 1))
        rn = _rng(seed, _S_NOISE)
        ox, oy = int(rn.random() * (tile.width - W + 1)), int(rn.random() * (tile.height - H + 1))
        img = ImageChops.add(img, tile.crop((ox, oy, ox + W, oy + H)), 1.0, -128)
    radius = fx.blur * scale
    if radius >= 1.2:
        img = img.filter(ImageFilter.GaussianBlur(radius))
    elif radius >= 0.3:  # one box pass: a third of a gaussian's cost, alike at this size
        img = img.filter(ImageFilter.BoxBlur(radius))
    return img


@lru_cache(maxsize=64)
def _light_lut(brightness: float, contrast: float, tint: tuple[float, float, float]) -> list[int]:
    lut: list[int] = []
    for k in range(3):
        gain = brightness * tint[k]
        lut += [min(255, max(0, int(((v / 255 - 0.5) * contrast + 0.5) * 255 * gain))) for v in range(256)]
    return lut


@lru_cache(maxsize=64)
def _scaled_lut(alpha: float) -> list[int]:
    return [int(v * min(max(alpha, 0.0), 1.0)) for v in range(256)]


@lru_cache(maxsize=8)
def _gradient(W: int, H: int) -> Image.Image:
    # fog is thicker far away, i.e. higher in the frame
    col = (255 * (1.0 - 0.45 * np.arange(H) / max(1, H - 1))).astype(np.uint8)
    return Image.fromarray(np.repeat(col[:, None], W, axis=1))


@lru_cache(maxsize=8)
def _radial(W: int, H: int, corner: bool) -> Image.Image:
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    if corner:  # glare from the top-right corner
        r = np.hypot((xx - W) / W, yy / H) / 1.2
        a = np.clip(1.0 - r, 0, 1) ** 1.5
    else:  # vignette: dark corners
        r = np.hypot((xx - W / 2) / (W / 2), (yy - H / 2) / (H / 2)) / 1.414
        a = np.clip(r, 0, 1) ** 2
    return Image.fromarray((a * 255).astype(np.uint8))


@lru_cache(maxsize=16)
def _grain(size: int, sigma: float) -> Image.Image:
    """A tile of 2x2-block luminance grain (`sigma` around 128), 1.5x the image size so a
    random crop differs per image. Block grain costs a third of per-pixel noise in PNG size
    and encoding time, and a detector sees it much the same."""
    n = int(size * 1.5) // 2 + 1
    g = np.random.default_rng(20260).normal(0, sigma, (n, n)).astype(np.float32)
    g = np.kron(g, np.ones((2, 2), np.float32))
    lum = np.clip(128 + g, 0, 255).astype(np.uint8)
    im = Image.fromarray(lum)
    return Image.merge("RGB", (im, im, im))
