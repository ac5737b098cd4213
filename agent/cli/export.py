"""`synthloop export`: a dataset version in yolo, coco, hf, classify or hf-vlm format.

hf-vlm adds grounded captions and dialogs (synthloop.tools.text): templates by default, or
phrased by the configured LLM with `--texts llm`, every phrasing checked against the labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError as PydanticError

from synthloop.tools.errors import NotFound, ValidationError

from .app import console, err_console, open_workspace, services

FORMATS = ("yolo", "coco", "hf", "classify", "hf-vlm")
TEXTS = ("template", "llm")
NO_REAL_SHARE = 0.1  # hf-vlm without real images: this share of synthetic to validation, and to test


def _latest_or_built(ws, dataset_id: str | None):
    if dataset_id:
        return ws.get_dataset(dataset_id)
    try:
        return ws.get_dataset()
    except NotFound:
        from synthloop.tools.dataset import build_dataset_version

        ds = build_dataset_version(ws, ws.get_policy(), note="built by synthloop export")
        console.print(f"built dataset version [bold]{ds.id}[/] from all samples")
        return ds


def export(
    out_dir: Annotated[Path, typer.Argument(help="Folder to write (new or empty).")],
    fmt: str | None = typer.Option(None, "--format", "-f",
                                   help="yolo | coco | hf | classify (default: yolo for "
                                        "detection, classify for classification)."),
    dataset: str | None = typer.Option(None, "--dataset", help="Dataset version id (default: latest)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an earlier export there."),
    link: str = typer.Option("copy", "--link", help="copy (a reflink where the disk can) | hard | "
                             "symlink: how images are placed; links share the workspace's files."),
    push_to_hub: str | None = typer.Option(None, "--push-to-hub", metavar="OWNER/NAME",
                                           help="Also upload the export (needs HF_TOKEN)."),
    texts: str = typer.Option("template", "--texts",
                              help="hf-vlm: template (code-written, instant) | llm (phrased by "
                                   "the configured LLM, each text checked; slow on a CPU)."),
    val_fraction: float | None = typer.Option(
        None, "--val-fraction", min=0.0, max=0.9,
        help=f"hf-vlm: share of synthetic images moved to validation (default {NO_REAL_SHARE} "
             "when the dataset has no real images, else 0)."),
    test_fraction: float | None = typer.Option(
        None, "--test-fraction", min=0.0, max=0.9,
        help=f"hf-vlm: share of synthetic images moved to test (default {NO_REAL_SHARE} when "
             "the dataset has no real images, else 0: real images are the test split)."),
) -> None:
    """Export a dataset version for training elsewhere or for sharing."""
    from synthloop.tools.dataset import EXPORTERS
    from synthloop.tools.dataset import push_to_hub as push
    from synthloop.tools.dataset.files import LINK_RISK

    if fmt is not None and fmt not in FORMATS:
        raise ValidationError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}",
                              "e.g. synthloop export --format yolo out/")
    if fmt != "hf-vlm":
        given = [o for o, v in (("--texts", texts != "template"), ("--val-fraction", val_fraction),
                                ("--test-fraction", test_fraction)) if v not in (None, False)]
        if given:
            raise ValidationError(f"{given[0]} applies only to --format hf-vlm",
                                  "e.g. synthloop export --format hf-vlm --texts llm out/")
    if texts not in TEXTS:
        raise ValidationError(f"--texts {texts!r} is not one of {', '.join(TEXTS)}",
                              "use --texts template, or --texts llm to phrase with the LLM")
    if link not in ("hard", "symlink", "copy"):
        raise ValidationError(f"--link {link!r} is not one of copy, hard, symlink", "use --link copy")
    if link in LINK_RISK:
        err_console.print(f"[yellow]warning:[/] --link {link}: {LINK_RISK[link]}", soft_wrap=True)
    if fmt == "hf-vlm":
        _export_vlm(dataset, out_dir, overwrite=overwrite, link=link, push_to_hub=push_to_hub,
                   texts=texts, val_fraction=val_fraction, test_fraction=test_fraction)
        return
    with open_workspace(write=True) as ws:
        ds = _latest_or_built(ws, dataset)
        fmt = fmt or ("yolo" if ds.task == "detection" else "classify")
        out = EXPORTERS[fmt](ws, ds, out_dir, overwrite=overwrite, link=link)
        console.print(f"exported dataset {ds.id} as {fmt}: [bold]{out}[/] "
                      f"({', '.join(f'{k}: {len(v)}' for k, v in ds.splits.items())})")
    if push_to_hub:
        folder = out.parent if out.is_file() else out
        console.print(f"pushed to {push(folder, push_to_hub)}")


def _export_vlm(dataset: str | None, out_dir: Path, *, overwrite: bool, link: str,
                push_to_hub: str | None, texts: str, val_fraction: float | None,
                test_fraction: float | None) -> None:
    """hf-vlm: the dataset version's samples with checked captions and dialogs."""
    from synthloop.tools.dataset.export_hf_vlm import export_hf_vlm, push_hf_vlm
    from synthloop.tools.dataset.progress import progress_bar
    from synthloop.tools.text import SplitRules, assign_splits, build_texts

    with services(write=True) as sv:
        ws = sv.workspace
        ds = _latest_or_built(ws, dataset)
        samples = ws.get_samples([i for ids in ds.splits.values() for i in ids])
        policy = ws.get_policy(ds.policy_version)
        no_real = not any(s.source == "real" for s in samples)
        default = NO_REAL_SHARE if no_real else 0.0
        vf = default if val_fraction is None else val_fraction
        tf = default if test_fraction is None else test_fraction
        try:
            rules = SplitRules(validation_fraction=vf, test_fraction=tf)
        except PydanticError as e:
            raise ValidationError(f"--val-fraction {vf} with --test-fraction {tf}: "
                                  f"{e.errors()[0]['msg']}", "keep their sum below 1") from None
        if no_real and (val_fraction is None or test_fraction is None):
            console.print(f"no real images in dataset {ds.id}: {vf:.0%} of the synthetic images "
                          f"go to validation and {tf:.0%} to test (--val-fraction, "
                          "--test-fraction; import real ones with synthloop import-real)", soft_wrap=True)
        assignment = assign_splits(samples, rules)
        ask = None
        if texts == "llm":
            from ..phrasing import llm_phraser

            ask = llm_phraser(make_llm(sv))
        kept = sum(c for c in assignment.counts().values())
        with progress_bar(f"texts ({texts})", kept, unit="sample") as advance:
            built = build_texts(policy, samples, assignment, ask=ask,
                                on_sample=lambda _st: advance())
        out = export_hf_vlm(ws, policy, samples, out_dir, texts=built, splits=assignment,
                            overwrite=overwrite, link=link)
    st = built.stats
    counts = assignment.counts()
    console.print(f"exported dataset {ds.id} as hf-vlm: [bold]{out}[/] "
                  f"({', '.join(f'{k}: {v}' for k, v in counts.items())}"
                  f"{f'; {len(assignment.left_out())} left out' if assignment.left_out() else ''})")
    if texts == "llm":
        reasons = ", ".join(f"{k} {v}" for k, v in st.reasons.items()) or "none"
        console.print(f"texts: {st.llm_accepted} of {st.texts} phrased by the LLM and kept, "
                      f"{st.template} templates; {st.rejected} phrasings refused by the checker "
                      f"({reasons}); {st.llm_errors} failed requests. Every refusal is in "
                      "vlm_manifest.json", soft_wrap=True)
    if push_to_hub:
        console.print(f"pushed to {push_hf_vlm(out, push_to_hub)}")


def make_llm(sv):
    """The LLM that phrases hf-vlm texts: the services' client (tests replace it)."""
    return sv.llm
