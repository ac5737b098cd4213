"""Sizes of unlabelled candidates against the labels of their class in the same image."""

from __future__ import annotations

import random

from synthloop.tools.models import Annotation, Provenance, Sample
from synthloop.tools.quality.peer_sizes import fits_peers, peer_sizes


def sample(i: int, boxes, cls="person", h=300) -> Sample:
    return Sample(id=f"s{i:03d}", image="x.png", width=300, height=h,
                  annotations=[Annotation(cls=cls, box=b) for b in boxes],
                  provenance=Provenance(generator="procedural"))


def person(x: float, foot: float, height: float) -> tuple[float, float, float, float]:
    return (x, foot - height, x + 0.4 * height, foot)


def ground_plane(n: int, rng: random.Random) -> list[Sample]:
    """Two people a picture, height proportional to how far below the horizon (y 100)
    their feet stand, with a few per cent of spread."""
    out = []
    for i in range(n):
        feet = [rng.uniform(150, 295) for _ in range(2)]
        out.append(sample(i, [person(20 + 120 * k, f, (f - 100) * rng.uniform(0.95, 1.05))
                              for k, f in enumerate(feet)]))
    return out


def test_learns_the_ground_plane_and_refuses_sizes_that_break_it():
    peers = peer_sizes(ground_plane(60, random.Random(0)))
    slope_h, lo, hi = peers["person"][:3]
    assert slope_h > 0.5                 # lower feet, taller people
    assert -0.3 < lo < 0 < hi < 0.3      # what the line leaves: spread, and the curve of a ratio
    s = sample(99, [person(20, 200, 100)])
    assert fits_peers(s, "person", person(150, 200, 104), peers)       # beside it, its size
    assert fits_peers(s, "person", person(150, 280, 180), peers)       # nearer, larger
    assert not fits_peers(s, "person", person(150, 280, 60), peers)    # nearer yet smaller
    assert not fits_peers(s, "person", person(150, 200, 40), peers)    # a sign half its size
    assert fits_peers(s, "person", person(150, 200, 40), peers, slack=2.0)  # slack lets it


def test_no_pairs_no_rule():
    rng = random.Random(1)
    singles = [sample(i, [person(20, rng.uniform(150, 290), 80)]) for i in range(50)]
    peers = peer_sizes(singles)
    assert "person" not in peers
    assert fits_peers(singles[0], "person", person(150, 200, 10), peers)
    pairs = ground_plane(60, rng)
    peers = peer_sizes(pairs)
    alone = sample(98, [], cls="person")  # no label of the class in the image: nothing to compare
    assert fits_peers(alone, "person", person(150, 200, 10), peers)
    assert fits_peers(pairs[0], "hard_hat", (0.0, 0.0, 5.0, 5.0), peers)


def test_a_world_of_free_sizes_learns_a_wide_range():
    rng = random.Random(2)
    free = [sample(i, [person(20, rng.uniform(150, 290), rng.uniform(30, 250)),
                       person(160, rng.uniform(150, 290), rng.uniform(30, 250))]) for i in range(60)]
    peers = peer_sizes(free)
    s = sample(99, [person(20, 200, 100)])
    assert fits_peers(s, "person", person(150, 200, 40), peers)
    assert fits_peers(s, "person", person(150, 200, 220), peers)


def test_peer_boxes_have_the_size_the_labels_beside_them_give():
    from synthloop.tools.quality.peer_sizes import peer_boxes

    peers = peer_sizes(ground_plane(60, random.Random(3)))
    s = sample(99, [person(20, 200, 100)])
    boxes = peer_boxes(s, "person", (150.0, 180.0, 170.0, 200.0), peers)  # a box too small
    assert len(boxes) == 2
    feet = boxes[0]
    assert feet[3] == 200.0 and 85 < feet[3] - feet[1] < 118  # on its foot line, its size
    assert abs((feet[0] + feet[2]) / 2 - 160.0) < 1e-6
    assert peer_boxes(s, "hard_hat", (0.0, 0.0, 5.0, 5.0), peers) == []
