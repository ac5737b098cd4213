"""How each policy class looks in the procedural simulator.

A class gets a `Look`: a silhouette painter, a texture and two colours. Known words in the
class name pick a fitting painter and colour (a hard hat is a dome, a vest has reflective
bands, a cone is orange); anything else is derived from a hash of the name, restricted to
the painters that suit the class's `appears` field. Looks are made distinct within a policy
so two classes never share both silhouette and hue, which would make them impossible to
tell apart for any detector.

Pure data and stdlib: worker processes receive the looks as plain tuples.
"""

from __future__ import annotations

import colorsys
import hashlib
import re
from dataclasses import dataclass

RGB = tuple[int, int, int]

# Named colours used by class names and by colour-valued variables.
COLOURS: dict[str, RGB] = {
    "orange": (245, 120, 20), "yellow": (240, 215, 30), "green": (40, 160, 60),
    "lime": (170, 230, 40), "red": (205, 35, 35), "blue": (35, 85, 200),
    "navy": (25, 35, 85), "white": (235, 235, 230), "black": (25, 25, 28),
    "grey": (130, 130, 135), "gray": (130, 130, 135), "silver": (185, 190, 195),
    "brown": (120, 75, 40), "pink": (235, 120, 170), "purple": (120, 50, 160),
    "beige": (215, 195, 160), "cyan": (40, 200, 215), "teal": (20, 130, 130),
    "maroon": (110, 25, 35), "khaki": (170, 160, 110), "gold": (215, 170, 40),
    "dark": (32, 32, 38), "light": (215, 215, 210), "bright": (250, 230, 60),
    "hivis": (205, 245, 20), "fluorescent": (205, 245, 20), "neon": (190, 250, 30),
    "reflective": (205, 245, 20), "camouflage": (90, 100, 60), "denim": (60, 85, 130),
}

# (keywords in the class name, painter, default colour name or None, texture or None)
_KEYWORD_LOOKS: tuple[tuple[tuple[str, ...], str, str | None, str | None], ...] = (
    (("person", "worker", "people", "pedestrian", "rider", "human", "man", "woman", "driver",
      "operator", "visitor", "child", "staff", "employee", "cyclist", "player"), "person", None, None),
    (("hard_hat", "hardhat", "safety_helmet", "construction_helmet"), "dome", "yellow", "solid"),
    (("helmet",), "helmet", "red", "stripes"),
    (("hat",), "dome", "white", "solid"),
    (("cap", "beanie"), "cap", "blue", "solid"),
    (("hairnet", "hair_net", "net"), "hairnet", "white", "dots"),
    (("mask", "respirator", "face_covering"), "mask", "white", "solid"),
    (("goggle", "glasses", "eyewear", "spectacle", "eye_protection"), "goggles", "cyan", "solid"),
    (("earmuff", "ear_muff", "ear_protection", "hearing", "headphone"), "earmuffs", "red", "solid"),
    (("face_shield", "visor", "shield"), "shield", "silver", "solid"),
    (("head", "face", "bare"), "bare_head", None, None),
    (("vest", "hi_vis", "hivis", "high_vis", "high_visibility", "reflective"), "vest", "hivis", "bands"),
    (("harness",), "harness", "orange", "solid"),
    (("apron", "gown", "smock"), "apron", "white", "solid"),
    (("jacket", "coat", "shirt", "uniform", "coverall", "overall", "suit"), "jacket", "navy", "split"),
    (("glove", "mitt"), "mitten", "orange", "solid"),
    (("boot", "shoe", "footwear"), "boot", "black", "solid"),
    (("badge", "lanyard", "id_card", "tag"), "badge", "white", "bands"),
    (("phone", "mobile", "smartphone", "cellphone"), "phone", "black", "solid"),
    (("extinguisher",), "extinguisher", "red", "solid"),
    (("hammer", "wrench", "tool", "drill", "screwdriver", "saw", "spanner", "torch", "flashlight"),
     "tool", "grey", "split"),
    (("box", "package", "parcel", "carton", "crate", "pallet"), "crate", "brown", "bands"),
    (("bottle", "cup", "drink", "can", "mug"), "bottle", "green", "solid"),
    (("clipboard", "tablet", "paper", "document", "laptop"), "clipboard", "beige", "stripes"),
    (("bag", "backpack", "handbag", "suitcase"), "bag", "black", "solid"),
    (("cigarette", "vape", "lighter"), "stick", "white", "solid"),
    (("knife", "blade", "scissors"), "stick", "silver", "solid"),
    (("cone", "pylon"), "cone", "orange", "bands"),
    (("barrier", "barricade", "fence", "railing", "guardrail", "rail"), "barrier", "red", "stripes"),
    (("sign", "signage", "placard", "notice"), "sign", "yellow", "solid"),
    (("ladder",), "ladder", "silver", "solid"),
    (("scooter",), "scooter", "black", "solid"),
    (("bicycle", "bike"), "bicycle", "blue", "solid"),
    (("forklift",), "forklift", "yellow", "solid"),
    (("car", "vehicle", "truck", "van", "bus", "tractor", "excavator"), "vehicle", "blue", "split"),
    (("spill", "puddle", "leak", "water"), "puddle", "cyan", "solid"),
    (("fire", "flame", "smoke"), "flame", "orange", "solid"),
    (("machine", "equipment", "generator", "compressor"), "machine", "grey", "bands"),
    (("door", "gate", "exit"), "door", "green", "split"),
)

# Painters a hash may pick for each `appears` value when no keyword matched.
_FALLBACK_PAINTERS: dict[str, tuple[str, ...]] = {
    "person": ("person",),
    "worn_on_head": ("dome", "cap", "helmet", "band", "hairnet"),
    "worn_on_body": ("vest", "harness", "apron", "jacket", "badge", "sash"),
    "held": ("phone", "tool", "bottle", "clipboard", "bag", "orb", "stick"),
    "standalone": ("cone", "barrier", "sign", "crate", "machine", "drum", "tripod", "orb"),
}
TEXTURES = ("solid", "stripes", "bands", "checker", "dots", "split", "rim")


@dataclass(frozen=True)
class Look:
    """How one class is drawn: silhouette painter, texture, main and secondary colour."""

    painter: str
    texture: str
    colour: RGB
    colour2: RGB

    def as_tuple(self) -> tuple:
        return (self.painter, self.texture, self.colour, self.colour2)


def name_hash(text: str) -> int:
    """A stable 64-bit hash (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", text.lower()) if t]


_NEGATIONS = {"no", "not", "without", "missing", "bare", "unprotected", "absent", "none"}
_HEAD_PAINTERS = {"dome", "helmet", "cap", "hairnet", "mask", "goggles", "earmuffs", "shield"}


def _match_keyword(name: str, *, allow_person: bool = True) -> tuple[str, str | None, str | None] | None:
    joined = "_".join(tokens(name))
    toks = set(joined.split("_"))
    for words, painter, colour, texture in _KEYWORD_LOOKS:
        if painter == "person" and not allow_person:
            continue
        for w in words:
            if ("_" in w and w in joined) or w in toks:
                if toks & _NEGATIONS and painter != "person":
                    # "no_hard_hat", "without_vest": the absence, drawn as what is seen instead
                    return ("bare_head", None, None) if painter in _HEAD_PAINTERS else \
                        ("jacket", "grey", "solid")
                return painter, colour, texture
    return None


def _colour_in(text: str) -> RGB | None:
    for t in tokens(text):
        if t in COLOURS and t not in ("dark", "light", "bright"):
            return COLOURS[t]
    return None


def _hue_colour(h: int, sat: float = 0.85, val: float = 0.9) -> RGB:
    r, g, b = colorsys.hsv_to_rgb((h % 360) / 360.0, sat, val)
    return (int(r * 255), int(g * 255), int(b * 255))


def _hue_of(c: RGB) -> float:
    h, s, v = colorsys.rgb_to_hsv(*(x / 255 for x in c))
    return h * 360 if s > 0.25 and v > 0.25 else -1.0  # -1: greyish, no meaningful hue


def _secondary(c: RGB, h: int) -> RGB:
    # A contrasting partner colour: silver for bright bases (reflective bands), light for dark.
    lum = 0.3 * c[0] + 0.59 * c[1] + 0.11 * c[2]
    if h % 3 == 0:
        return (200, 200, 205) if lum < 170 else (60, 60, 70)
    return _hue_colour((_hue_of(c) + 150 + h % 60) if _hue_of(c) >= 0 else h, 0.7, 0.95 if lum < 128 else 0.35)


def look_for(name: str, appears: str, description: str = "") -> Look:
    """The look a class gets on its own, before distinctness within a policy is enforced."""
    h = name_hash(name)
    hit = _match_keyword(name, allow_person=appears in ("person", "standalone"))
    if hit is None and appears != "person":
        hit = _match_keyword(description, allow_person=False)
    if appears == "person" or (hit and hit[0] == "person"):
        shirt = _colour_in(name) or _hue_colour(h >> 8, 0.55, 0.75)
        return Look("person", "solid", shirt, _hue_colour(h >> 20, 0.3, 0.35))
    if hit:
        painter, colour_name, texture = hit
    else:
        choices = _FALLBACK_PAINTERS.get(appears, _FALLBACK_PAINTERS["standalone"])
        painter, colour_name, texture = choices[h % len(choices)], None, None
    colour = _colour_in(name) or _colour_in(description) or (
        COLOURS[colour_name] if colour_name else _hue_colour(h >> 8))
    texture = texture or TEXTURES[(h >> 16) % len(TEXTURES)]
    if painter == "vest":  # reflective bands are silver on any vest colour
        return Look(painter, texture, colour, (205, 205, 212))
    return Look(painter, texture, colour, _secondary(colour, h >> 24))


def derive_looks(classes: list[tuple[str, str, str]]) -> dict[str, Look]:
    """Looks for (name, appears, description) triples, made pairwise distinct: a class whose
    painter and hue both collide with an earlier one (in name order) is moved round the
    colour wheel and given another texture."""
    looks: dict[str, Look] = {}
    for name, appears, desc in sorted(classes):
        look = look_for(name, appears, desc)
        for attempt in range(1, 8):
            clash = any(o.painter == look.painter and _close_hue(o.colour, look.colour)
                        for o in looks.values())
            if not clash:
                break
            h = name_hash(f"{name}#{attempt}")
            base = _hue_of(look.colour)
            colour = _hue_colour(int(base if base >= 0 else h) + 97 * attempt, 0.85, 0.9)
            texture = TEXTURES[(TEXTURES.index(look.texture) + attempt) % len(TEXTURES)]
            if look.painter == "person":
                texture = "solid"
            look = Look(look.painter, texture, colour, _secondary(colour, h))
        looks[name] = look
    return looks


def _close_hue(a: RGB, b: RGB) -> bool:
    ha, hb = _hue_of(a), _hue_of(b)
    if ha < 0 or hb < 0:
        return ha < 0 and hb < 0 and abs(sum(a) - sum(b)) < 120
    d = abs(ha - hb) % 360
    return min(d, 360 - d) < 35
