"""Choosing the training device and turning device failures into clear errors."""

from __future__ import annotations

import logging
import os
import re

from ..errors import ConfigError, ExternalError
from ..offline import apply_offline_defaults

_CUDA_INDEX = re.compile(r"^(?:cuda:)?(\d+(?:,\d+)*)$")


def cuda_available() -> bool:
    """Whether torch sees a usable CUDA device."""
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(device: str) -> str:
    """Ultralytics' device string for a config value.

    'auto' -> '0' when CUDA is present, else 'cpu'; 'cpu' -> 'cpu'; 'cuda', 'gpu',
    'cuda:1', '0', '0,1' -> the CUDA index list, or ExternalError when there is no CUDA;
    'mps' -> 'mps' when Apple's backend is present. Anything else is a ConfigError.
    """
    d = (device or "auto").strip().lower()
    if d == "auto":
        return "0" if cuda_available() else "cpu"
    if d == "cpu":
        return "cpu"
    if d == "mps":
        import torch

        if not torch.backends.mps.is_available():
            raise ExternalError("device 'mps' was asked for but Apple's MPS backend is not available",
                                "use --device cpu or set training.device = \"auto\"")
        return "mps"
    m = _CUDA_INDEX.match(d)
    if d in ("cuda", "gpu") or m:
        if not cuda_available():
            raise ExternalError(f"device {device!r} was asked for but no CUDA GPU is available "
                                "(torch.cuda.is_available() is False)",
                                "use --device cpu, or set training.device = \"auto\" to pick "
                                "the GPU only when there is one")
        return "0" if d in ("cuda", "gpu") else m.group(1)
    raise ConfigError(f"unknown training device {device!r}",
                      "use auto, cpu, cuda, cuda:N or a GPU index such as 0")


def cpu_threads(requested: int = 0) -> int:
    """Torch threads for CPU work: `requested`, or min(8, cores) when it is 0."""
    return requested if requested > 0 else max(1, min(8, os.cpu_count() or 1))


def use_cpu_threads(requested: int = 0) -> int:
    """Make Ultralytics' CPU training and prediction use `cpu_threads(requested)` threads.

    Whenever Ultralytics selects the CPU it resets torch to its module-level NUM_THREADS,
    min(8, cores - 1): one thread on a 2-core machine, where two train yolov8n 1.6 x faster
    (4.6 vs 7.5 s per epoch, medians of 6, 400 images at 128 px). It reads that global at selection
    time, so setting it (and torch's own count) is enough."""
    import torch

    apply_offline_defaults()
    from .yolo import _import_quietly

    for line in _import_quietly():  # "Creating new Ultralytics Settings ..." goes to the log
        logging.getLogger("synthloop.train").info("ultralytics: %s", line)
    import ultralytics.utils.torch_utils as ultralytics_torch

    n = cpu_threads(requested)
    ultralytics_torch.NUM_THREADS = n
    torch.set_num_threads(n)
    return n


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` (or its cause) is an accelerator out-of-memory error."""
    while exc is not None:
        name = type(exc).__name__
        if name == "OutOfMemoryError" or "out of memory" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def out_of_memory_error(batch: int, imgsz: int, device: str) -> ExternalError:
    """The error to raise when training ran out of accelerator memory."""
    smaller = max(1, batch // 2)
    return ExternalError(
        f"training ran out of memory on device {device} with batch {batch} at imgsz {imgsz}",
        f"use a smaller batch, e.g. --batch {smaller} (or a smaller --imgsz)",
    )
