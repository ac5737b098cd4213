"""`synthloop generate`: images from the workspace's approved policy."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from synthloop.tools.errors import ValidationError

from .app import console, services


def approved_policy(ws, auto_approve: bool):
    """The latest policy, refused (exit 2) unless it was approved; `auto_approve` records
    an 'auto-approved' review instead of refusing."""
    policy = ws.get_policy()
    if ws.is_approved(policy.version):
        return policy
    if not auto_approve:
        status = ws.review_status(policy.version)
        state = f"was {status[0]}" if status else "was never reviewed"
        raise ValidationError(
            f"policy v{policy.version} '{policy.title}' {state}; nothing is generated from an "
            "unapproved policy",
            "review it (synthloop review), or pass --auto-approve to approve it as it stands")
    ws.record_review(policy.version, "auto-approved", "synthloop generate --auto-approve")
    console.print(f"policy v{policy.version} auto-approved (recorded in the review history)")
    return policy


def summary_table(result, title: str = "generation") -> Table:
    """A GenerationResult as a two-column table."""
    t = Table(title=title, show_header=False, title_justify="left")
    t.add_column("what", style="cyan")
    t.add_column("value", justify="right")
    t.add_row("requested", str(result.requested))
    t.add_row("already had a sample", str(result.skipped_existing + result.duplicates_in_input))
    t.add_row("generated", f"[bold]{result.generated}[/]")
    dropped = ", ".join(f"{k} {v}" for k, v in sorted(result.dropped_by_filter.items()))
    t.add_row("dropped by filters", f"{result.dropped}" + (f" ({dropped})" if dropped else ""))
    t.add_row("failed", f"[red]{len(result.failed)}[/]" if result.failed else "0")
    if result.flagged:
        t.add_row("flagged for review", str(result.flagged))
    t.add_row("time", f"{result.elapsed_s:.1f} s ({result.images_per_s:.1f} images/s)")
    objects = ", ".join(f"{k} {v}" for k, v in result.per_class.items())
    t.add_row("objects per class", objects or "-")
    return t


class GeneratorName(StrEnum):
    procedural = "procedural"
    diffusers = "diffusers"
    gligen = "gligen"


class EngineName(StrEnum):
    local = "local"
    ray = "ray"


class SplitName(StrEnum):
    train = "train"
    val = "val"
    test = "test"


class StrategyName(StrEnum):
    stratified = "stratified"
    random = "random"
    pairwise = "pairwise"


CONTACT_SHEET_IMAGES = 16


def generate(
    n: Annotated[int, typer.Option("--n", min=1, help="How many images to make.")],
    generator: Annotated[GeneratorName | None, typer.Option(
        "--generator", "-g", help="Generator; default: generator.name in the config.")] = None,
    model: Annotated[str | None, typer.Option(
        "--model", help="Diffusion model: a local folder or a hub id (diffusers/gligen).")] = None,
    split: Annotated[SplitName, typer.Option("--split", help="Split the images go to.")] = SplitName.train,
    seed: Annotated[int, typer.Option(
        "--seed", min=0, max=2**32 - 1, help="Spec seed. The same seed gives the same specs, so a "
        "re-run resumes instead of adding; use another seed for more images.")] = 0,
    strategy: Annotated[StrategyName, typer.Option(
        "--strategy", help="How scenarios and variable values are picked.")] = StrategyName.stratified,
    auto_approve: Annotated[bool, typer.Option(
        "--auto-approve", help="Approve the latest policy as it is if not yet approved.")] = False,
    no_filters: Annotated[bool, typer.Option(
        "--no-filters", help="Keep blank images and near-duplicates.")] = False,
    engine_name: Annotated[EngineName | None, typer.Option(
        "--engine", help="Where the generator runs: local, or ray (an actor pool on a local "
        "Ray or generation.ray_address); default: generation.engine in the config.")] = None,
) -> None:
    """Generate N images (with boxes or labels) from the latest, approved policy."""
    from synthloop.tools.generate.engines import make_engine
    from synthloop.tools.generate.runner import generate_samples
    from synthloop.tools.quality import default_filters

    with services(write=True) as sv:
        ws = sv.workspace
        policy = approved_policy(ws, auto_approve)
        cfg = sv.config.generator
        overrides = {"name": generator.value if generator else None, "model": model}
        cfg = cfg.model_copy(update={k: v for k, v in overrides.items() if v is not None})
        # the generator first: a bad --model (a missing folder, a hub id not cached) or an
        # unreachable Ray address is refused before any spec is stored
        engine = sv.config.generation
        if engine_name is not None:
            engine = engine.model_copy(update={"engine": engine_name.value})
        gen = make_engine(cfg, engine)
        try:
            specs = _expand(policy, n, strategy.value, seed, split.value)
            new = ws.save_specs(specs)
            console.print(f"policy v{policy.version}: {len(specs)} specs ({new} new), "
                          f"strategy {strategy.value}, seed {seed}, split {split.value}; "
                          f"generator {cfg.name} at {cfg.width}x{cfg.height}"
                          + (f" on Ray, {gen.workers} workers" if engine.engine == "ray" else ""))
            result = generate_samples(ws, policy, specs, gen,
                                      filters=None if no_filters else default_filters())
        finally:
            gen.close()
        console.print(summary_table(result, f"generated with {result.generator}"))
        for spec_id, error in result.failed[:5]:
            console.print(f"  [red]failed[/] {spec_id}: {error}", highlight=False)
        if result.skipped_existing and not result.generated:
            console.print(f"every spec already had a sample; use another --seed (e.g. --seed "
                          f"{seed + 1}) for new images")
        _contact_sheet(ws, policy, result)


def _expand(policy, n: int, strategy: str, seed: int, split: str) -> list:
    from synthloop.tools.design.expand import expand_specs

    specs = list(expand_specs(policy, n, strategy=strategy, seed=seed, split=split))  # type: ignore[arg-type]
    if len(specs) < n:
        console.print(f"[yellow]the policy gives only {len(specs)} distinct specs for seed {seed}[/]")
    return specs


def _contact_sheet(ws, policy, result) -> None:
    from synthloop.tools.quality import save_contact_sheet

    if not result.sample_ids:
        return
    ids = result.sample_ids[:CONTACT_SHEET_IMAGES]
    samples = ws.get_samples(ids)
    path = save_contact_sheet(ws, samples, f"reports/contact-sheet-{ids[0][:12]}.png",
                              class_names=policy.class_names())
    console.print(f"contact sheet of the first {len(samples)} images: [bold]{path}[/]")
