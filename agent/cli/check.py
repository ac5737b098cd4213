"""`synthloop check`: every stored file still matches its hash."""

from __future__ import annotations

from synthloop.tools.errors import ValidationError

from .app import console, open_workspace


def check() -> None:
    """Verify the store: every stored file still matches its sha256 name, and every
    sample's image is there (an edit through a hard-linked export changes both)."""
    from synthloop.tools.store.integrity import check_files

    with open_workspace(write=False) as ws:
        res = check_files(ws)
    for kind, paths in (("changed", res.corrupt), ("missing", res.missing)):
        for p in paths:
            used = ", ".join(res.samples.get(p, [])[:5]) or "no sample"
            console.print(f"[red]{kind}[/] {p} (used by {used})", soft_wrap=True)
    if not res.ok:
        raise ValidationError(
            f"{len(res.corrupt)} stored file(s) no longer match their hash and "
            f"{len(res.missing)} sample image(s) are missing (of {res.checked} files)",
            "restore them from a backup, or delete those samples and generate again; "
            "edit only copies of exported images (export with the default --link copy)")
    console.print(f"checked {res.checked} stored files: all match their hash, "
                  "no sample image is missing")
