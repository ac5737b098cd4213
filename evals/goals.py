"""Compliance goals for the policy-quality suite: varied domains, wearables and
standalone objects, prohibitions, spatial rules and one goal in another language, so a
weakness of the design pipeline on one kind of goal shows up as a failed row."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Goal:
    """A goal as a person would type it, with a short id for tables."""

    id: str
    text: str
    kind: str
    """What makes it different: wearable, standalone object, prohibition, spatial, ..."""
    expects: tuple[tuple[str, ...], ...] = ()
    """Objects a faithful policy must have as classes: each entry is a group of
    alternatives, one of which must occur in a class name (substring, so list 'hat' and
    'helmet' where either is right). A crude semantic check that lint cannot make."""


GOALS: tuple[Goal, ...] = (
    Goal("ppe", "Workers on the construction site must wear a hard hat and a hi-vis vest.",
         "two wearables", (("hat", "helmet"), ("vest",))),
    Goal("scooter_helmet", "E-scooter riders must wear a helmet.", "wearable on a vehicle",
         (("helmet",), ("scooter",))),
    Goal("floor_spill", "Spills on the supermarket floor must be marked with a yellow "
         "wet-floor sign.", "standalone objects", (("spill",), ("sign",))),
    Goal("fire_exit", "Fire exits must never be blocked by boxes, pallets or trolleys.",
         "prohibition, spatial",
         (("exit", "door"), ("box", "pallet", "trolley"))),
    Goal("forklift_seatbelt", "Forklift drivers must wear their seatbelt while driving.",
         "wearable inside a vehicle",
         (("seatbelt", "seat_belt"), ("forklift",))),
    Goal("hairnet", "Staff on the food production line must wear a hairnet and gloves.",
         "two small wearables", (("hairnet", "hair_net"), ("glove",))),
    Goal("phone_driving", "Drivers must not hold a mobile phone while driving.",
         "prohibition, held object", (("phone",),)),
    Goal("child_seat", "Young children travelling in a car must sit in a child car seat.",
         "object in a vehicle", (("child",), ("seat",))),
    Goal("dog_leash", "Dogs in the city park must be kept on a leash.", "animal, held object",
         (("dog",), ("leash", "lead"))),
    Goal("lab_goggles", "Everyone in the chemistry lab wears safety goggles and a lab coat.",
         "two wearables, indoor", (("goggle",), ("coat",))),
    Goal("no_smoking_fuel", "Nobody may smoke near the fuel pumps at a petrol station.",
         "prohibition, action",
         (("cigarette", "smok"), ("pump",))),
    Goal("harness_de", "Arbeiter auf dem Gerüst müssen einen Sicherheitsgurt tragen.",
         "wearable, goal in German",
         (("harness", "belt", "gurt"),)),
)

QUICK_GOALS: tuple[str, ...] = ("scooter_helmet",)


def goals_by_id(ids: list[str] | tuple[str, ...] | None = None) -> list[Goal]:
    """The goals with these ids (all of them for None); an unknown id is a ValueError."""
    if ids is None:
        return list(GOALS)
    known = {g.id: g for g in GOALS}
    missing = [i for i in ids if i not in known]
    if missing:
        raise ValueError(f"unknown goal id(s) {', '.join(missing)}; known: {', '.join(known)}")
    return [known[i] for i in ids]
