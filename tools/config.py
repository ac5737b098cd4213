"""Configuration: `<workspace>/synthloop.toml`, overridden by environment variables.

Precedence (highest first): SYNTHLOOP_* / OPENAI_* environment variables, the workspace's
synthloop.toml, the defaults below. Generic overrides use SYNTHLOOP_<SECTION>__<KEY>, e.g.
SYNTHLOOP_TRAINING__EPOCHS=5. Secrets (api_key) are shown masked and never written by us.
"""

from __future__ import annotations

import os
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic import ValidationError as PydanticValidationError

from .errors import ConfigError
from .secrets import mask, register_secret

CONFIG_NAME = "synthloop.toml"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LLMConfig(_Section):
    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint; unset = embedded")
    model: str | None = Field(default=None, description="model name sent to the endpoint")
    api_key: SecretStr | None = Field(default=None, description="prefer OPENAI_API_KEY in the environment")
    timeout_s: float = Field(default=600.0, gt=0, description="longest silence while a reply "
                             "streams (the embedded model's wait for its first token too)")
    first_byte_s: float = Field(default=30.0, gt=0, description="how long a remote endpoint may "
                                "take to start answering; connecting may take up to 5 s")
    max_retries: int = Field(default=3, ge=0, le=10)
    temperature: float = Field(default=0.2, ge=0, le=2)
    max_tokens: int = Field(default=2048, gt=0)
    cache: bool = Field(default=True, description="replay the reply stored in the workspace "
                        "for an identical request (model, messages, schema, sampling) instead "
                        "of asking again, at any temperature; --no-cache turns it off for one "
                        "command")
    embedded_ctx: int = Field(default=8192, ge=4096, description="n_ctx of the embedded model")
    embedded_threads: int = Field(default=0, ge=0, description="0 = all cores")
    embedded_parallel: int = Field(
        default=1, ge=1, le=16,
        description="requests the embedded server decodes together (slots, each with n_ctx / "
                    "slots of context): 1 for the loop, more for batch jobs such as hf-vlm texts")


class GeneratorConfig(_Section):
    name: Literal["procedural", "diffusers", "gligen"] = "procedural"
    model: str | None = Field(default=None, description="local folder or hub id for diffusers/gligen")
    width: int = Field(default=320, ge=32, le=2048)
    height: int = Field(default=320, ge=32, le=2048)
    workers: int = Field(default=0, ge=0, description="procedural worker processes; 0 = cores")
    batch_size: int = Field(default=4, ge=1)
    steps: int = Field(default=25, ge=1)
    guidance: float = Field(default=7.5, ge=0)
    device: str = Field(default="auto", description="auto | cpu | cuda")
    allow_download: bool = Field(default=False, description="let diffusers fetch a hub id")


class GenerationConfig(_Section):
    """How generation is executed (not what is generated: that is [generator]). `local` runs
    the generator in this process (the procedural one with its own worker processes); `ray`
    shards the specs into batches for a pool of Ray actors (one CPU each for the procedural
    generator, one GPU each for diffusers and GLIGEN) while this process alone writes the
    workspace. Same specs, same samples either way."""

    engine: Literal["local", "ray"] = Field(default="local", description="local | ray")
    ray_address: str | None = Field(
        default=None, description="unset = start a local Ray on this machine; `auto` = the "
        "running cluster (RAY_ADDRESS); `ray://head:10001` = a cluster through Ray Client; "
        "`head:6379` = a cluster's GCS")
    ray_workers: int = Field(default=0, ge=0, description="actors in the pool; 0 = one per "
                             "CPU (procedural) or GPU (diffusers, gligen) of the cluster")
    ray_batch_size: int = Field(default=16, ge=1, description="specs per actor call")
    ray_max_retries: int = Field(default=2, ge=0, le=10, description="times a failed batch "
                                 "is tried again (on another worker) before its specs are "
                                 "reported as failed")
    ray_connect_timeout_s: float = Field(default=5.0, gt=0, description="how long an address "
                                         "may take to accept a connection")


class TrainingConfig(_Section):
    model: str = Field(default="yolov8n.yaml", description="model yaml (from scratch) or a local .pt")
    epochs: int = Field(default=30, ge=1)
    imgsz: int = Field(default=224, ge=32)
    batch: int = Field(default=16, ge=1)
    nominal_batch: int = Field(
        default=64, ge=1, description="Ultralytics' nbs: gradients are accumulated up to this "
        "many images per optimizer step; set it to `batch` for one step per batch (small "
        "datasets on a CPU get 4x more steps for the same compute)")
    lr0: float = Field(default=0.002, gt=0)
    optimizer: str = "AdamW"
    cos_lr: bool = True
    auto_augment: str | None = Field(
        default=None, description="classification only: Ultralytics' auto_augment policy "
        "(randaugment, autoaugment, augmix) or none. Off by default: with it (and erasing) "
        "yolov8n-cls learned nothing from 300 rendered helmet/no-helmet images in 20 epochs "
        "(train loss stuck at ln 2); without, 0.95 validation accuracy in 8")
    erasing: float = Field(default=0.0, ge=0, le=0.9,
                           description="classification only: random-erasing probability "
                           "(Ultralytics' default 0.4 erases small objects the label is about)")
    warmup_epochs: float = Field(
        default=3.0, ge=0, description="Ultralytics' learning-rate warm-up; a fine-tune of a "
        "trained model needs none (its bias warm-up at lr 0.1 shakes a trained head)")
    patience: int = Field(default=50, ge=0)
    device: str = Field(default="auto", description="auto | cpu | cuda | 0")
    workers: int = Field(default=0, ge=0)
    threads: int = Field(default=0, ge=0,
                         description="CPU threads for training and evaluation; 0 = min(8, cores)")
    seed: int = 0


class Planner(StrEnum):
    """Who chooses what the next iteration generates. `llm` chooses among the weakness
    analysis' candidates; `allocator` is code alone; `uniform` and `oracle` are the efficacy
    benchmark's baseline and upper reference (the oracle needs `oracle_slice`)."""

    llm = "llm"
    allocator = "allocator"
    uniform = "uniform"
    oracle = "oracle"


class LoopConfig(_Section):
    """Every setting of the improvement loop, declared once: `synthloop.toml`'s [loop]
    section, SYNTHLOOP_LOOP__<KEY> and the run's stored settings (agent.context.RunSettings
    adds only per-run fields) all read these."""

    iterations: int = Field(default=2, ge=0, description="targeted iterations after the first")
    initial_images: int = Field(default=300, ge=1)
    images_per_iteration: int = Field(default=150, ge=1)
    total_images: int = Field(default=2000, ge=1, description="budget over the whole run")
    holdout_images: int = Field(default=120, ge=1, description="synthetic test holdout")
    val_images: int = Field(default=60, ge=1)
    target_worst_class_recall: float = Field(default=0.95, ge=0, le=1)
    plateau_iterations: int = Field(default=2, ge=1)
    plateau_min_gain: float = Field(default=0.005, ge=0)
    max_synthetic_share: float = Field(default=0.8, gt=0, le=1)
    wall_clock_minutes: float = Field(default=120.0, gt=0)
    floor_fraction: float = Field(default=0.15, ge=0, le=1, description="class floor share")
    min_per_slice: int = Field(default=10, ge=0, description="least images per target")
    explore_fraction: float = Field(default=0.1, ge=0, le=1, description="share of the "
                                    "targeted images kept for candidates outside the plan")
    near_miss_fraction: float = Field(default=0.5, ge=0, le=1, description="share of a "
                                      "target's images that re-use its missed images' variables")
    planner: Planner = Field(default=Planner.llm, description="llm | allocator | uniform | oracle")
    seed: int = 0
    warm_start_epochs: int = Field(
        default=0, ge=0, description="iterations after the first fine-tune the previous "
        "iteration's weights for this many epochs instead of training from scratch (0 = off)")


class CropVerifyConfig(_Section):
    """The object-crop verifier (tools/quality/crops.py): an out-of-fold classifier of each
    labelled box's crop (which class, or nothing), plus a scan for unlabelled objects.
    Thresholds and the worn-object erasing chosen on seeds 0-3 of `bench_verify --verifier
    crops` (heldout, 320 px), `swap_looks` on seeds 0-9 and checked on 10-12; the cleaned
    reference, hard negatives, `confirm` and `reframe_from` chosen on seeds 0-9 and reported
    on fresh seeds 13-15; the candidate rules (`part_only`, `shape_slack`, `peer_sizes`),
    `worn_context` and `peer_reframe` chosen on seeds 13-15 with evals/sweep_verify.py and
    reported on fresh seeds 16-18; `search_epochs` 15 and `confirm` 0.7 chosen on seeds 13-18
    and reported on fresh seeds 19-21 (evals/results/verify_crops.md)."""

    folds: int = Field(default=2, ge=2, le=10, description="out-of-fold crop classifiers")
    size: int = Field(default=32, ge=16, le=128, description="crop side in pixels")
    margin: float = Field(default=0.2, ge=0, le=1, description="context around each box, "
                          "as a share of its width and height on every side")
    epochs: int = Field(default=6, ge=1, le=200, description="few on purpose: a longer "
                        "training learns the wrong labels too (measured: 12 epochs caught 3 of 6 "
                        "swapped looks on seed 0, 6 epochs 5 of 6)")
    search_epochs: int = Field(default=15, ge=0, le=200, description="a second crop model "
                               "trained this many epochs judges the candidates for unlabelled "
                               "objects (a longer training separates objects from clutter "
                               "better; the labels' wrong ones matter little there); 0 = the "
                               "label model judges them too (one training)")
    batch: int = Field(default=128, ge=8)
    lr: float = Field(default=3e-3, gt=0, lt=1)
    prune: float = Field(default=0.0, ge=0, lt=1, description="train twice: crops the first "
                         "model gives their own class less than this (likely wrong labels) "
                         "are left out of the second training; 0 = once")
    ensemble: int = Field(default=1, ge=1, le=8, description="classifiers of different seeds "
                          "whose probabilities are averaged (each costs one training)")
    background_per_label: int = Field(default=3, ge=1, le=12, description="background "
                                      "crops per label: anywhere, slid off it, inside another object")
    absent: bool = Field(default=True, description="also learn from where a worn class "
                         "would be on a person that has no label of it (a head without a "
                         "hat): its place inside the person is learnt from the labels")
    threshold: float = Field(default=0.4, gt=0, lt=1, description="a label whose out-of-fold "
                             "probability of its own class is below this is flagged")
    other_threshold: float = Field(default=0.3, gt=0, le=1, description="a label whose crop "
                                   "the classifier gives another object class at least this "
                                   "probability is flagged (it looks like that class); 1 = off")
    occluded_cut: float = Field(default=0.5, ge=0, le=1, description="labels at least this "
                                "hidden get threshold x occluded_factor: little is visible")
    occluded_factor: float = Field(default=0.4, ge=0, le=1)
    scan: bool = Field(default=True, description="look for unlabelled objects")
    stride: float = Field(default=0.34, gt=0.05, le=1, description="scan step, share of the window")
    extra_threshold: float = Field(default=0.9, gt=0, lt=1, description="a window with no "
                                   "label that the classifier calls an object this surely is flagged")
    proposal_conf: float = Field(default=0.003, gt=0, lt=1, description="with a detector "
                                 "(the loop's previous model): its boxes at least this sure, "
                                 "where no label is, are candidates for unlabelled objects")
    clean_reference: bool = Field(default=True, description="with reference samples (the "
                                  "previous iteration's): judge them out-of-fold first and "
                                  "learn only from those not flagged (costs two trainings)")
    hard_negatives: int = Field(default=8, ge=0, le=20, description="with a detector: "
                                "per reference image, its surest boxes where no label is "
                                "(what it mistakes for an object) are learnt as background")
    confirm: float = Field(default=0.7, gt=0, lt=1, description="a candidate the crop "
                           "classifier gives its class at least this probability is flagged")
    reframe: bool = Field(default=True, description="move each detector candidate to the "
                          "best-framed of 27 boxes around it before it is confirmed")
    reframe_from: float = Field(default=0.3, gt=0, lt=1, description="reframe candidates the "
                                "classifier gives their class at least this")
    label_iou: float = Field(default=0.15, gt=0, lt=1, description="a candidate overlapping a "
                             "label of its class this much is that label, not a new object")
    erase_worn: bool = Field(default=True, description="also learn each person with its "
                             "worn objects inpainted away, so that a person "
                             "wearing nothing is still seen as a person (an unlabelled one "
                             "is then found)")
    swap_looks: bool = Field(default=True, description="also learn each worn or standalone "
                             "object repainted with another class's look, labelled as that "
                             "class: the model judges the look, not the place")
    standardize: bool = Field(default=False, description="scale each crop to zero mean and "
                              "unit spread (over all channels, so colour is kept) before the "
                              "CNN: a dark night or flat foggy crop then shows its look")
    flip: bool = Field(default=False, description="judge each crop by the mean of its and "
                       "its mirror image's probabilities (twice the judging, no more training)")
    part_only: bool = Field(default=True, description="with a detector: an unlabelled worn "
                            "object is a candidate only where its class sits on a person "
                            "(learnt from the labels), not anywhere on the person")
    shape_slack: float = Field(default=0.25, ge=0, le=2, description="with a detector: a "
                               "candidate must have the aspect and size of its class's labels "
                               "(their 2-98 % range, grown by this on the log scale, twice "
                               "that for size); 0 = any shape")
    peer_sizes: bool = Field(default=True, description="with a detector: a candidate must "
                             "have a size that a label of its class in the same image allows "
                             "(learnt from pairs of labels in one image, given their foot "
                             "lines; tools/quality/peer_sizes.py)")
    peer_slack: float = Field(default=0.1, ge=0, le=2, description="peer_sizes: the learnt "
                              "range of size ratios grown by this on the log scale")
    peer_reframe: bool = Field(default=True, description="with a detector: before "
                               "reframing, also try each candidate at the size the labels "
                               "of its class in the same image predict (a faint object's "
                               "detector box is often of the wrong size)")
    worn_context: bool = Field(default=True, description="a worn object's crop shows the "
                               "person it is on: the person class is not taken for its rival "
                               "look (other_threshold), only other objects are")
    min_samples: int = Field(default=20, ge=4)
    threads: int = Field(default=0, ge=0, description="torch threads; 0 = all cores")
    seed: int = 0


class VerifyConfig(_Section):
    """Label verification by model disagreement (tools/quality): `synthloop verify` and the
    loop's verify step. In the loop, each iteration's new images are judged by the previous
    iteration's model (which never saw them): one prediction pass, no extra training."""

    loop: bool = Field(default=True, description="the loop verifies each iteration's new "
                       "images with the previous model and quarantines what it flags")
    method: Literal["detector", "crops"] = Field(
        default="detector", description="the loop's verifier: detector = the previous "
        "model's predictions judged by cleanlab and the unmatched-label rule (one prediction "
        "pass); crops = an object-crop classifier trained on the previous model's images "
        "judges every label, and the previous model's unlabelled boxes it confirms are "
        "flagged (one small CNN training more; see evals/results/verify.md)")
    min_model_score: float = Field(
        default=0.5, ge=0, le=1, description="the loop verifies only with a model whose last "
        "evaluation (mAP50, or accuracy) reached this: a weak model's disagreement is noise "
        "(measured: a 0.78 mAP50 model flagged at 0.92 precision, a smoke-size one flagged "
        "17 of 40 clean images)")
    folds: int = Field(default=2, ge=2, le=10, description="`synthloop verify --folds`: "
                       "out-of-fold models (each one training) when no held-out model fits")
    conf: float = Field(default=0.01, gt=0, lt=1, description="prediction threshold for cleanlab")
    min_samples: int = Field(default=20, ge=4, description="fewer samples than this: not run")
    match_conf: float = Field(default=0.25, gt=0, lt=1, description="unmatched-label rule: "
                              "predictions at least this confident count")
    match_iou: float = Field(default=0.3, gt=0, lt=1, description="unmatched-label rule: "
                             "a label overlapped less than this by any of them is flagged")
    unmatched_rule: bool = True
    rule: Literal["strict", "broad"] = Field(
        default="strict", description="strict: an unmatched label is flagged only with "
        "evidence (the model finds the same class unlabelled in the image, or another class "
        "on the box) and no same-class prediction above missing_conf on it; broad: every "
        "unmatched label (catches more, flags many hard but correct ones; see "
        "evals/results/verify.md)")
    missing_conf: float = Field(default=0.05, gt=0, lt=1, description="strict rule: the "
                                "best same-class confidence on a flagged label stays below this")
    evidence_conf: float = Field(default=0.3, gt=0, lt=1, description="strict rule: the "
                                 "confidence of the evidence prediction")
    crops: CropVerifyConfig = CropVerifyConfig()


class Config(_Section):
    llm: LLMConfig = LLMConfig()
    generator: GeneratorConfig = GeneratorConfig()
    generation: GenerationConfig = GenerationConfig()
    training: TrainingConfig = TrainingConfig()
    loop: LoopConfig = LoopConfig()
    verify: VerifyConfig = VerifyConfig()

    def display(self) -> dict[str, Any]:
        """The effective config for people: secrets masked."""
        data = self.model_dump(mode="python")
        key = self.llm.api_key.get_secret_value() if self.llm.api_key else None
        data["llm"]["api_key"] = mask(key)
        return data


_ENV_DIRECT = {
    "SYNTHLOOP_LLM_BASE_URL": ("llm", "base_url"),
    "OPENAI_BASE_URL": ("llm", "base_url"),
    "SYNTHLOOP_LLM_MODEL": ("llm", "model"),
    "OPENAI_API_KEY": ("llm", "api_key"),
    "SYNTHLOOP_LLM_API_KEY": ("llm", "api_key"),
}


def _env_overrides(env: dict[str, str],
                   sources: dict[tuple[str, str], str] | None = None) -> dict[str, dict[str, str]]:
    """The overrides the environment gives; `sources` gets (section, key) -> variable name."""
    out: dict[str, dict[str, str]] = {}
    sources = {} if sources is None else sources
    # OPENAI_BASE_URL first so that SYNTHLOOP_LLM_BASE_URL wins when both are set
    for var in ("OPENAI_BASE_URL", "SYNTHLOOP_LLM_BASE_URL", "SYNTHLOOP_LLM_MODEL",
                "OPENAI_API_KEY", "SYNTHLOOP_LLM_API_KEY"):
        if env.get(var):
            sec, key = _ENV_DIRECT[var]
            out.setdefault(sec, {})[key] = env[var]
            sources[(sec, key)] = var
    for var, val in env.items():
        if var.startswith("SYNTHLOOP_") and "__" in var:
            sec, _, key = var[len("SYNTHLOOP_"):].lower().partition("__")
            out.setdefault(sec, {})[key] = val
            sources[(sec, key)] = var
    return out


def _merge(base: dict, over: dict) -> dict:
    merged = dict(base)
    for k, v in over.items():
        merged[k] = _merge(merged.get(k, {}), v) if isinstance(v, dict) else v
    return merged


def load_config(workspace: Path | None, env: dict[str, str] | None = None) -> Config:
    """The effective configuration for a workspace (or defaults + environment without one)."""
    env = dict(os.environ) if env is None else env
    data: dict[str, Any] = {}
    path = workspace / CONFIG_NAME if workspace else None
    if path and path.exists():
        data = _read_toml(path)
    sources: dict[tuple[str, str], str] = {}
    data = _merge(data, _env_overrides(env, sources))
    try:
        cfg = Config.model_validate(data)
    except PydanticValidationError as e:
        raise _config_error(e, path, sources) from None
    if cfg.llm.api_key:
        register_secret(cfg.llm.api_key.get_secret_value())
    return cfg


def with_overrides(cfg: Config, overrides: dict[str, dict[str, Any]], source: str, *,
                   labels: dict[str, str] | None = None,
                   hint: str = "see: synthloop config show") -> Config:
    """`cfg` with `overrides` ({section: {key: value}}) merged over it, the way Ultralytics'
    get_cfg merges over default.yaml: presets (the demo's, a benchmark's) and command-line
    options are override dicts, not copies of the schema. `None` values are skipped (an
    option not given). An unknown or invalid key is one line naming it (by its label, e.g.
    `--budget`, when `labels` maps "section.key" to one) and `source`."""
    given = {sec: {k: v for k, v in keys.items() if v is not None}
             for sec, keys in overrides.items()}
    data = _merge(cfg.model_dump(mode="python"), given)
    try:
        return Config.model_validate(data)
    except PydanticValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        label = (labels or {}).get(where)
        if err["type"] == "extra_forbidden":
            raise ConfigError(f"invalid setting {where}: no such setting (from {source})",
                              hint) from None
        allowed = (err.get("ctx") or {}).get("expected")
        what = (f"is not one of {allowed.replace(chr(39), '')}" if allowed
                else err["msg"].lower().removeprefix("input "))
        if label:
            raise ConfigError(f"{label} {err['input']}: {what}", hint) from None
        raise ConfigError(f"invalid setting {where}: {what} (from {source})", hint) from None


def _read_toml(path: Path) -> dict[str, Any]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ConfigError(f"{path} is not UTF-8 text (byte {e.start}, line {line})",
                          "save it as UTF-8 (TOML files are UTF-8), or delete it to get the "
                          "defaults back") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}", "fix the file or delete it") from e


def _config_error(e: PydanticValidationError, path: Path | None,
                  sources: dict[tuple[str, str], str]) -> ConfigError:
    """One line naming the key, the value's source (the variable that set it, or the file)
    and how to fix it there."""
    err = e.errors()[0]
    loc = [str(p) for p in err["loc"]]
    where = ".".join(loc)
    msg = err["msg"] if err["type"] != "extra_forbidden" else "no such setting"
    var = sources.get((loc[0], loc[1])) if len(loc) >= 2 else None
    if var is None and len(loc) == 1:  # an unknown section: only the environment adds those
        var = next((v for (sec, _), v in sources.items() if sec == loc[0]), None)
    if var is not None:
        return ConfigError(f"invalid config value {where}: {msg} (from the environment "
                           f"variable {var})", f"fix or unset {var}")
    if len(loc) == 1:
        return ConfigError(f"invalid config section [{where}]: {msg} (from {path})",
                           f"rename or remove the [{where}] section of {path}")
    return ConfigError(f"invalid config value {where}: {msg} (from {path})",
                       f"fix `{loc[1]}` in the [{loc[0]}] section of {path}, or delete that "
                       "line for the default")


DEFAULT_TOML = """\
# synthloop workspace configuration. Environment variables override these values:
# SYNTHLOOP_LLM_BASE_URL, SYNTHLOOP_LLM_MODEL, OPENAI_API_KEY, OPENAI_BASE_URL, and
# SYNTHLOOP_<SECTION>__<KEY> for any other key (e.g. SYNTHLOOP_TRAINING__EPOCHS=5).
# Keep API keys in the environment, not in this file.

[llm]
# base_url = "http://127.0.0.1:11434/v1"   # any OpenAI-compatible server; unset = embedded model
# model = "qwen2.5:7b-instruct"
timeout_s = 600.0         # longest silence while a reply streams
first_byte_s = 30.0       # a remote endpoint that has not started answering by then is reported
max_retries = 3
cache = true              # replay stored replies of identical requests (off: false, or --no-cache)

[generator]
name = "procedural"       # procedural | diffusers | gligen
width = 320
height = 320

[generation]
engine = "local"          # local | ray (ray_address unset = a local Ray; `pip install synthloop[ray]`)

[training]
model = "yolov8n.yaml"    # a model yaml trains from scratch (no download); a local .pt fine-tunes
epochs = 30
imgsz = 224
lr0 = 0.002

[loop]
iterations = 2
initial_images = 300
images_per_iteration = 150
# planner = "llm"         # llm | allocator | uniform (see `synthloop config show` for every key)
"""


def write_default_config(root: Path) -> None:
    from .store.files import atomic_write_text

    path = root / CONFIG_NAME
    if not path.exists():
        atomic_write_text(path, DEFAULT_TOML)
