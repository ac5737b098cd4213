"""Variable values -> rendering effects, so every slice of a policy looks different.

Each (axis, value) pair is matched against keyword rules. The axis name decides which
family of rules is tried first (in a 'clothing_colour' axis 'dark' means dark clothes, in a
'lighting' axis it means a dark scene); when nothing in that family matches, every family
is tried; when still nothing matches, a hash of the pair picks a mild effect, so any value
of any axis renders, deterministically, and differs from its siblings.

Some slices are made hard on purpose (night dims and desaturates and adds sensor noise,
heavy occlusion hides most of an object, fog flattens contrast, far adds blur), because the
improvement loop needs weak slices to find. None is made impossible: objects stay inside
the image with at least a fifth of their area visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

from .appearance import COLOURS, RGB, name_hash, tokens

BACKGROUNDS = ("site", "street", "warehouse", "factory", "indoor", "field", "parking", "lab",
               "tunnel")


@dataclass(frozen=True)
class Effects:
    """Everything the scene renderer varies. Defaults are a clear, well-lit day."""

    brightness: float = 1.0
    contrast: float = 1.0
    saturation: float = 1.0
    tint: tuple[float, float, float] = (1.0, 1.0, 1.0)
    noise: float = 0.0          # sensor grain, sigma in 0..255 units
    glare: float = 0.0          # bright radial wash from a corner (backlight)
    vignette: float = 0.0
    background: str | None = None
    clutter: float = 0.3        # 0..1 density of background clutter
    distractors: float = 0.0    # 0..1 clutter that borrows class colours (hard negatives)
    rain: float = 0.0
    fog: float = 0.0
    fog_colour: RGB = (200, 202, 205)
    snow: float = 0.0
    occlusion: float = 0.0      # target fraction of each object hidden by occluders
    blur: float = 0.0           # gaussian radius in pixels at 320 px
    horizon: float = 0.42       # horizon height as a fraction of the image
    tilt: float = 0.0           # degrees; tilts the background only, boxes stay exact
    clothing: RGB | None = None
    skin: RGB | None = None
    hair: RGB | None = None
    pose: str = "stand"
    item_colours: tuple[tuple[str, RGB], ...] = ()   # (class name or "*", colour)
    notes: tuple[str, ...] = field(default=(), compare=False)


# Field -> how two contributions combine.
_MUL = {"brightness", "contrast", "saturation"}
_MAX = {"noise", "glare", "vignette", "rain", "fog", "snow", "occlusion", "blur", "distractors"}
_ADD = {"clutter"}

# Axis-name words -> the rule family tried first for that axis.
_AXIS_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("skin", ("skin", "complexion", "tone", "fitzpatrick")),
    ("clothing", ("clothing", "clothes", "outfit", "apparel", "shirt", "attire", "garment",
                  "uniform", "wear", "dress", "trousers")),
    ("colour", ("colour", "color", "hue", "paint")),
    ("lighting", ("light", "lighting", "illumination", "time", "daylight", "lux", "brightness",
                  "exposure", "sun")),
    ("weather", ("weather", "climate", "condition", "conditions", "precipitation", "atmosphere",
                 "air")),
    ("season", ("season",)),
    ("background", ("background", "scene", "environment", "location", "setting", "site", "place",
                    "area", "venue", "surroundings", "indoor", "outdoor")),
    ("clutter", ("clutter", "busy", "busyness", "crowd", "crowding", "density", "traffic")),
    ("occlusion", ("occlusion", "occluded", "visibility", "obstruction", "obstructed", "hidden",
                   "coverage")),
    ("distance", ("distance", "scale", "range", "size", "zoom", "shot")),
    ("blur", ("blur", "motion", "focus", "sharpness", "quality", "resolution", "shake")),
    ("camera", ("camera", "angle", "viewpoint", "view", "tilt", "perspective", "height",
                "elevation", "position")),
    ("pose", ("pose", "posture", "activity", "action", "movement", "stance")),
    ("person", ("gender", "sex", "age", "hair", "build", "body")),
    ("noise", ("noise", "grain", "iso", "sensor")),
)

# family, words (single tokens or "multi word" phrases), changes
_RULES: tuple[tuple[str, tuple[str, ...], dict], ...] = (
    ("lighting", ("night", "nighttime", "midnight", "dark", "darkness", "unlit"),
     {"brightness": 0.36, "saturation": 0.5, "contrast": 0.8, "noise": 7.0,
      "tint": (0.85, 0.92, 1.2)}),
    ("lighting", ("low light", "lowlight", "dim", "dimly", "poor", "poorly lit", "low"),
     {"brightness": 0.45, "saturation": 0.7, "contrast": 0.85, "noise": 5.0}),
    ("lighting", ("dusk", "dawn", "twilight", "evening", "sunset", "sunrise", "golden"),
     {"brightness": 0.62, "tint": (1.15, 0.95, 0.75), "noise": 3.0, "contrast": 0.9}),
    ("lighting", ("backlit", "backlight", "backlighting", "glare", "against the sun", "silhouette"),
     {"glare": 0.55, "contrast": 0.8}),
    ("lighting", ("overcast", "cloudy", "shade", "shaded", "shadow", "shadows", "grey", "gray"),
     {"brightness": 0.82, "contrast": 0.85, "tint": (0.96, 1.0, 1.06)}),
    ("lighting", ("sodium", "streetlight", "street light", "orange light", "lamp", "lamps"),
     {"brightness": 0.6, "tint": (1.25, 0.95, 0.55), "noise": 4.0}),
    ("lighting", ("fluorescent", "artificial", "led", "neon", "indoor lighting", "strip light"),
     {"tint": (0.94, 1.04, 1.02), "brightness": 0.92}),
    ("lighting", ("bright", "sunny", "harsh", "direct sun", "strong sun", "midday sun"),
     {"brightness": 1.12, "contrast": 1.15}),
    ("lighting", ("warm",), {"tint": (1.12, 1.0, 0.85)}),
    ("lighting", ("cool", "cold"), {"tint": (0.88, 0.98, 1.15)}),
    ("lighting", ("flash", "spotlight", "spot"), {"vignette": 0.5}),
    ("lighting", ("day", "daytime", "daylight", "morning", "afternoon", "noon", "midday", "normal",
                  "good", "well lit", "lit", "even", "standard", "natural", "clear"), {}),
    ("weather", ("storm", "thunderstorm", "downpour", "heavy rain", "torrential"),
     {"rain": 1.0, "brightness": 0.75, "contrast": 0.85, "fog": 0.15}),
    ("weather", ("rain", "rainy", "raining", "drizzle", "shower", "showers", "wet"),
     {"rain": 0.6, "brightness": 0.85, "contrast": 0.9}),
    ("weather", ("fog", "foggy", "mist", "misty", "haze", "hazy", "smog"), {"fog": 0.5}),
    ("weather", ("dust", "dusty", "sandstorm", "smoke", "smoky"),
     {"fog": 0.4, "fog_colour": (185, 165, 130)}),
    ("weather", ("snow", "snowy", "snowing", "blizzard", "sleet", "hail"),
     {"snow": 0.6, "fog": 0.12, "brightness": 1.04, "tint": (0.95, 0.98, 1.08)}),
    ("weather", ("wind", "windy", "gusty"), {"clutter": 0.15, "blur": 0.5}),
    ("weather", ("heat", "hot", "heatwave"), {"tint": (1.1, 1.0, 0.88), "blur": 0.6}),
    ("weather", ("clear", "sunny", "fine", "dry", "calm", "none", "no"), {}),
    ("season", ("winter",), {"snow": 0.25, "tint": (0.92, 0.97, 1.1)}),
    ("season", ("summer",), {"brightness": 1.06, "tint": (1.06, 1.02, 0.92)}),
    ("season", ("autumn", "fall"), {"tint": (1.1, 0.98, 0.85), "clutter": 0.1}),
    ("season", ("spring",), {"tint": (0.98, 1.06, 0.96)}),
    ("background", ("construction", "building site", "scaffold", "scaffolding", "site", "roadworks"),
     {"background": "site"}),
    ("background", ("street", "road", "city", "urban", "sidewalk", "pavement", "crosswalk", "town",
                    "downtown", "bike lane", "intersection"), {"background": "street"}),
    ("background", ("warehouse", "storage", "depot", "logistics", "loading", "dock", "port",
                    "harbour", "harbor", "shelves", "shelving", "aisle", "racking"),
     {"background": "warehouse"}),
    ("background", ("factory", "plant", "industrial", "workshop", "manufacturing", "production",
                    "assembly", "mill", "refinery", "concrete"), {"background": "factory"}),
    ("background", ("indoor", "indoors", "office", "room", "hall", "corridor", "lobby", "interior",
                    "inside", "home", "house", "shop", "store", "retail", "mall", "station",
                    "checkout", "supermarket", "tiled", "carpet", "floor"),
     {"background": "indoor"}),
    ("background", ("field", "park", "outdoor", "outdoors", "rural", "garden", "farm", "grass",
                    "forest", "countryside", "campus", "yard"), {"background": "field"}),
    ("background", ("parking", "car park", "garage", "lot", "driveway"), {"background": "parking"}),
    ("background", ("kitchen", "lab", "laboratory", "hospital", "clean room", "cleanroom", "clinic",
                    "pharmacy"), {"background": "lab"}),
    ("background", ("tunnel", "mine", "underground", "basement", "cave"),
     {"background": "tunnel", "brightness": 0.75}),
    ("clutter", ("none", "empty", "clean", "sparse", "minimal", "bare", "tidy"), {"clutter": -0.25}),
    ("clutter", ("low", "light", "few", "little"), {"clutter": -0.1}),
    ("clutter", ("medium", "moderate", "some", "normal", "average"), {"clutter": 0.15}),
    ("clutter", ("high", "heavy", "busy", "cluttered", "crowded", "dense", "messy", "chaotic", "lots"),
     {"clutter": 0.55, "distractors": 0.7}),
    ("occlusion", ("none", "no", "unoccluded", "clear", "visible", "fully visible", "unobstructed",
                   "full"), {}),
    ("occlusion", ("heavy", "heavily", "mostly", "high", "severe", "strong", "major", "large",
                   "significant"), {"occlusion": 0.7}),
    ("occlusion", ("partial", "partially", "partly", "some", "light", "low", "slight", "minor",
                   "occluded", "medium", "moderate", "behind", "blocked", "obstructed"),
     {"occlusion": 0.35}),
    ("distance", ("far", "distant", "long", "remote", "background", "small", "tiny", "wide"),
     {"blur": 0.6}),
    ("distance", ("near", "close", "closeup", "close up", "large", "foreground", "medium", "mid",
                  "normal"), {}),
    ("blur", ("motion", "moving", "fast", "blur", "blurry", "blurred", "shaky", "out of focus",
              "defocus", "defocused", "soft", "low quality", "poor quality", "low resolution"),
     {"blur": 1.4}),
    ("blur", ("sharp", "none", "no", "static", "still", "in focus", "focused", "high quality",
              "high resolution", "crisp"), {}),
    ("blur", ("slight", "mild", "low", "light"), {"blur": 0.8}),
    ("blur", ("heavy", "strong", "high", "severe"), {"blur": 2.0}),
    ("camera", ("cctv", "security", "surveillance", "webcam", "dashcam"),
     {"horizon": 0.2, "noise": 3.0, "blur": 0.4, "saturation": 0.85}),
    ("camera", ("high", "overhead", "top", "elevated", "bird", "above", "ceiling", "drone", "aerial",
                "top down"), {"horizon": 0.15}),
    ("camera", ("low", "ground", "worm", "below", "low angle"), {"horizon": 0.68}),
    ("camera", ("tilted", "angled", "oblique", "dutch", "canted", "skewed"), {"tilt": 9.0}),
    ("camera", ("side", "profile", "lateral"), {"tilt": -4.0}),
    ("camera", ("fisheye", "wide angle", "wide"), {"vignette": 0.45}),
    ("camera", ("eye", "eye level", "level", "normal", "frontal", "front", "straight"), {}),
    ("pose", ("crouch", "crouching", "kneel", "kneeling", "bend", "bending", "squat", "sitting",
              "seated"), {"pose": "crouch"}),
    ("pose", ("walk", "walking", "run", "running", "moving", "jogging"), {"pose": "walk"}),
    ("pose", ("climb", "climbing", "reach", "reaching", "arms up", "raised", "lifting", "carrying"),
     {"pose": "reach"}),
    ("pose", ("stand", "standing", "idle", "still", "static", "upright"), {}),
    ("person", ("female", "woman", "women", "girl", "long hair"), {"hair": (70, 45, 30)}),
    ("person", ("male", "man", "men", "boy", "short hair"), {"hair": (40, 30, 25)}),
    ("person", ("older", "elderly", "senior", "old", "grey hair", "gray hair"),
     {"hair": (185, 185, 180)}),
    ("person", ("young", "adult", "middle", "child", "teen", "teenager"), {"hair": (55, 35, 20)}),
)

_SKIN = {"very": (245, 215, 195), "light": (235, 200, 175), "fair": (240, 205, 180),
         "pale": (242, 212, 190), "medium": (200, 150, 110), "olive": (190, 150, 100),
         "tan": (195, 140, 95), "brown": (145, 95, 60), "dark": (105, 68, 45),
         "deep": (85, 55, 38), "black": (80, 52, 36)}
_SKIN_SCALE = [(242, 212, 190), (228, 190, 160), (205, 158, 118), (165, 115, 78),
               (120, 80, 52), (85, 55, 38)]

# Mild effects a hash picks for values no rule knows: each changes pixels measurably.
_FALLBACKS: tuple[dict, ...] = (
    {"tint": (1.08, 1.0, 0.9)}, {"tint": (0.9, 1.0, 1.1)}, {"brightness": 0.85},
    {"noise": 4.0}, {"clutter": 0.4}, {"saturation": 0.7}, {"vignette": 0.35},
    {"fog": 0.15}, {"blur": 0.6}, {"contrast": 0.85}, {"tint": (1.0, 1.08, 0.95)},
)


def axis_kind(axis: str) -> str | None:
    """The rule family an axis name points at, e.g. 'time_of_day' -> 'lighting'."""
    toks = set(tokens(axis))
    for kind, words in _AXIS_KINDS:
        if toks & set(words):
            return kind
    return None


def _phrase_hit(words: tuple[str, ...], toks: list[str]) -> bool:
    padded = f" {' '.join(toks)} "
    return any((f" {w} " in padded) if " " in w else (w in toks) for w in words)


def _colour_changes(kind: str, axis: str, toks: list[str], class_names: tuple[str, ...]) -> dict | None:
    colour = next((COLOURS[t] for t in toks if t in COLOURS), None)
    if kind == "skin":
        num = next((int(t) for t in toks if t.isdigit() and 1 <= int(t) <= 6), None)
        if num is None:
            roman = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}
            num = next((roman[t] for t in toks if t in roman), None)
        if num is not None:
            return {"skin": _SKIN_SCALE[num - 1]}
        hit = next((_SKIN[t] for t in toks if t in _SKIN), None)
        return {"skin": hit} if hit else None
    if kind == "clothing":
        if colour is None and _phrase_hit(("hi vis", "high visibility", "hivis"), toks):
            colour = COLOURS["hivis"]
        return {"clothing": colour} if colour else None
    if kind == "colour" and colour is not None:
        axis_toks = set(tokens(axis))
        target = max(class_names, key=lambda c: len(axis_toks & set(tokens(c))), default=None)
        if target is None or not axis_toks & set(tokens(target)):
            target = "*"
        return {"item_colours": ((target, colour),)}
    return None


# Words that mean different things on different axes ("low" light, "low" clutter, "low"
# camera): they only count within the axis's own family, never across families.
_AMBIGUOUS = frozenset({
    "low", "high", "medium", "mid", "none", "no", "light", "heavy", "some", "normal", "moderate",
    "average", "strong", "slight", "mild", "severe", "major", "minor", "full", "large", "small",
    "clear", "still", "static", "standard", "good", "poor", "wide", "long", "top", "front", "side",
    "even", "lots", "little", "few", "bare", "clean", "moving", "fast", "soft", "level", "spot",
    "lit", "natural", "far", "near", "close", "old", "young", "man", "men",
})
_FAMILY_ORDER = tuple(dict.fromkeys(fam for fam, _, _ in _RULES))


def _first_rule(family: str, toks: list[str]) -> dict | None:
    for fam, words, changes in _RULES:
        if fam == family and _phrase_hit(words, toks):
            return changes
    return None


def _family_fallback(kind: str | None, h: int) -> dict | None:
    # An unknown value on a known axis still does what that axis is about.
    if kind == "occlusion":
        return {"occlusion": 0.35}
    if kind == "background":
        return {"background": BACKGROUNDS[h % (len(BACKGROUNDS) - 1)]}  # tunnels only by name
    if kind == "noise":
        return {"noise": 4.0 + h % 5}
    return None


@lru_cache(maxsize=4096)
def effect_changes(axis: str, value: str, class_names: tuple[str, ...] = ()) -> tuple[dict, str]:
    """The changes one (axis, value) pair makes, and how they were found: 'colour',
    'rule:<families>', 'axis' (a known axis's default for an unknown value) or 'hash'."""
    toks = tokens(value)
    kind = axis_kind(axis)
    if kind in ("skin", "clothing", "colour"):
        found = _colour_changes(kind, axis, toks, class_names)
        if found is not None:
            return found, "colour"
    if kind == "noise":
        level = {"none": 0.0, "no": 0.0, "low": 3.0, "light": 3.0, "medium": 6.0,
                 "moderate": 6.0, "high": 10.0, "heavy": 10.0, "strong": 10.0}
        hit = next((level[t] for t in toks if t in level), None)
        if hit is not None:
            return {"noise": hit}, "rule:noise"
    merged: dict = {}
    used: list[str] = []
    if kind is not None:
        own = _first_rule(kind, toks)
        if own is not None:
            merged, used = _combine(merged, own), [kind]
    strong = [t for t in toks if t not in _AMBIGUOUS]
    if strong:
        for fam in _FAMILY_ORDER:
            if fam == kind:
                continue
            other = _first_rule(fam, strong)
            if other is not None:
                merged = _combine(merged, other)
                used.append(fam)
    if used:
        return _intensify(merged, toks), "rule:" + "+".join(used)
    h = name_hash(f"{axis}={value}")
    fallback = _family_fallback(kind, h)
    if fallback is not None:
        return fallback, "axis"
    # plus a faint colour cast of its own, so two unknown values never render alike
    cast = tuple(1.0 + ((h >> (8 * k + 8)) % 13 - 6) / 100 for k in range(3))
    return _combine(dict(_FALLBACKS[h % len(_FALLBACKS)]), {"tint": cast}), "hash"


def _intensify(changes: dict, toks: list[str]) -> dict:
    scale = 1.0
    if set(toks) & {"heavy", "dense", "thick", "strong", "severe", "extreme", "very"}:
        scale = 1.35
    elif set(toks) & {"light", "slight", "mild", "thin", "little", "patchy"}:
        scale = 0.55
    if scale == 1.0:
        return changes
    out = dict(changes)
    for k in ("rain", "fog", "snow"):
        if k in out:
            out[k] = min(out[k] * scale, 0.85 if k == "fog" else 1.0)
    return out


def _combine(acc: dict, changes: dict) -> dict:
    out = dict(acc)
    for k, v in changes.items():
        if k not in out:
            out[k] = v
        elif k in _MUL:
            out[k] = out[k] * v
        elif k in _MAX:
            out[k] = max(out[k], v)
        elif k in _ADD:
            out[k] = out[k] + v
        elif k == "tint":
            out[k] = tuple(a * b for a, b in zip(out[k], v, strict=True))
        elif k == "item_colours":
            out[k] = out[k] + v
        else:
            out[k] = v
    return out


def resolve_effects(variables: dict[str, str], class_names: tuple[str, ...] = ()) -> Effects:
    """The Effects for a spec's variables. Order-independent: pairs are applied sorted."""
    acc: dict = {}
    notes = []
    for axis, value in sorted(variables.items()):
        changes, how = effect_changes(axis, str(value), tuple(class_names))
        acc = _combine(acc, changes)
        notes.append(f"{axis}={value}:{how}")
    base = Effects()
    fields: dict = {}
    for k, v in acc.items():
        if k in _MUL:
            fields[k] = getattr(base, k) * v
        elif k in _ADD:
            fields[k] = min(max(getattr(base, k) + v, 0.0), 1.0)
        elif k == "tint":
            fields[k] = tuple(min(max(x, 0.4), 1.6) for x in v)
        else:
            fields[k] = v
    fields["brightness"] = min(max(fields.get("brightness", 1.0), 0.18), 1.3)
    fields["occlusion"] = min(fields.get("occlusion", 0.0), 0.8)
    return replace(base, **fields, notes=tuple(notes))
