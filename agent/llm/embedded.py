"""The embedded LLM server: xllamacpp in this process, on 127.0.0.1, one per process.

`ensure_embedded(config)` starts it on first use (joining and checking the weights first)
and returns the running one afterwards; `stop_embedded()` stops it (dropping the last
reference to the xllamacpp Server is its only stop, followed by a gc), freeing its ~2 GB;
an LLM client whose server was stopped starts a new one on its next request (~2 s). It is
also stopped at interpreter exit.

Prompt prefixes, per prompt: after every request the server's KV cache (that prompt and
its reply, ~29 KB a token) is saved to `<cache>/llm-slots/` under a key of the prompt's
fixed part (every message but the last: a template's system text and example), and before
a request whose fixed part differs from what the server holds, that key's file is restored.
So each template's system text and example are evaluated once per machine, not once per
call, across templates, runs and server restarts; llama.cpp then evaluates only the tokens
after the longest common prefix. Measured on 2 cores: a save or restore of ~200 tokens
takes ~10 ms; a 616-token plan prompt costs 10.9 s of prompt evaluation from scratch and
1.5 s with 560 tokens restored. Files are written under a temporary name and renamed, the
newest SLOT_FILES are kept, and a failed save or restore only costs the speed-up.

xllamacpp reports a busy port and a bad model file alike as "Failed to init server", so both
are checked here first to give a clear error.

CPU sharing: on 2 cores, generation and torch training at the same moment slow each other
2-3.5x. The loop runs them one after another; any other code that trains while the
embedded server may be generating should hold `exclusive_compute()`, which every embedded
request also holds.
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import json
import logging
import os
import secrets
import socket
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthloop.tools.config import LLMConfig
from synthloop.tools.offline import cache_dir
from synthloop.tools.secrets import register_secret

from .errors import EmbeddedModelError
from .weights import INSTALL_HINT, ensure_weights

log = logging.getLogger("synthloop.llm")
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
PORT_ENV = "SYNTHLOOP_EMBEDDED_PORT"  # a fixed port instead of a free one (rarely needed)
VERBOSITY_ENV = "SYNTHLOOP_EMBEDDED_VERBOSITY"  # llama.cpp log level on stderr (0 = errors)

_registry_lock = threading.Lock()
_compute_lock = threading.RLock()
_server: EmbeddedServer | None = None


@dataclass
class EmbeddedServer:
    """A running xllamacpp server and what it was started with."""

    url: str               # the openai base_url, http://127.0.0.1:PORT/v1
    port: int
    model_path: Path
    model_name: str
    n_ctx: int
    threads: int
    startup_s: float
    api_key: str
    handle: Any            # the xllamacpp.Server; dropping it stops the server
    slot_dir: Path | None = None  # where its KV cache is saved, one file per prompt prefix
    parallel: int = 1             # slots (config.embedded_parallel)
    restored_tokens: int = 0      # tokens restored from saved prefixes, summed
    holds: str | None = None      # the prefix key of what its slot 0 holds now


@contextmanager
def exclusive_compute():
    """Hold while training with torch so the embedded model never generates at the same
    time (and vice versa); re-entrant within a thread."""
    with _compute_lock:
        yield


generation_slot = exclusive_compute


def ensure_embedded(config: LLMConfig | None = None, *, model_path: Path | None = None,
                    port: int | None = None) -> EmbeddedServer:
    """The process's embedded server, started now if it is not running yet."""
    global _server
    with _registry_lock:
        if _server is None:
            _server = start_server(config or LLMConfig(), model_path=model_path, port=port)
        return _server


def running_server() -> EmbeddedServer | None:
    """The embedded server if one is running in this process."""
    return _server


def stop_embedded() -> bool:
    """Stop the process's embedded server; returns whether one was running."""
    global _server
    with _registry_lock:
        if _server is None:
            return False
        server, _server = _server, None
        server.handle = None
        del server
        gc.collect()
        log.info("embedded LLM server stopped")
        return True


atexit.register(stop_embedded)


def release_for_training() -> bool:
    """Stop the embedded server (if running) before torch trains in this process.

    Measured on 2 cores: once the server has generated, yolov8n epochs in the same process
    take ~1.5x as long (4.6 -> 7.0 s, 400 images at 128 px) although the idle server uses
    no CPU; stopping it restores the speed. (Both share torch's libgomp; libgomp stops
    spin-waiting when a process has more OpenMP threads than cores, a likely cause.) The
    next LLM request starts a new server in ~2.5 s."""
    return stop_embedded()


def start_server(config: LLMConfig, *, model_path: Path | None = None,
                 port: int | None = None, verbosity: int | None = None) -> EmbeddedServer:
    """Start a new xllamacpp server (callers normally want `ensure_embedded`)."""
    try:
        import xllamacpp
    except ImportError as e:
        raise EmbeddedModelError("xllamacpp is not installed, so the embedded LLM cannot run",
                                 INSTALL_HINT) from e
    path = model_path or ensure_weights()
    check_model_file(path)
    if port is None:
        port = _port_from_env()
    if port:
        check_port_free(port)
    threads = config.embedded_threads or os.cpu_count() or 1
    if verbosity is None:  # llama.cpp's own log on stderr: errors only, unless asked
        verbosity = int(os.environ.get(VERBOSITY_ENV, "0") or 0)
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.model_alias = {MODEL_NAME}  # /v1/models answers with the name, not the GGUF path
    params.n_ctx = config.embedded_ctx
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.use_jinja = True
    params.hostnames = ["127.0.0.1"]
    params.port = port
    # 1 (the default): one request at a time with the whole context; more: slots decoded
    # together, each with n_ctx / slots, for batch jobs that send concurrent requests
    params.n_parallel = config.embedded_parallel
    params.warmup = False
    params.verbosity = verbosity
    # a per-process key, so other local users cannot use (or probe) our server
    api_key = secrets.token_urlsafe(24)
    register_secret(api_key)
    params.api_keys = [api_key]
    slot_dir = _slot_dir()
    if slot_dir is not None:
        params.endpoint_slots = True
        params.slot_save_path = str(slot_dir) + os.sep  # llama.cpp joins it with the name as text
    started = time.perf_counter()
    try:
        handle = xllamacpp.Server(params)
    except RuntimeError as e:
        raise EmbeddedModelError(
            f"the embedded LLM server did not start ({e}); model {path}, port {port or 'auto'}",
            "its own log above says why; or use another endpoint with SYNTHLOOP_LLM_BASE_URL") from e
    address = handle.listening_address.rstrip("/")
    bound = int(address.rsplit(":", 1)[1])
    elapsed = time.perf_counter() - started
    log.info("embedded LLM %s on %s (n_ctx %d, %d threads) in %.1f s", path.name, address,
             config.embedded_ctx, threads, elapsed)
    server = EmbeddedServer(url=address + "/v1", port=bound, model_path=path,
                            model_name=MODEL_NAME, n_ctx=config.embedded_ctx, threads=threads,
                            startup_s=elapsed, api_key=api_key, handle=handle, slot_dir=slot_dir,
                            parallel=config.embedded_parallel)
    return server


def _slot_dir() -> Path | None:
    try:
        folder = cache_dir() / "llm-slots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    except OSError as e:
        log.debug("no folder for the embedded LLM's saved prompt cache: %s", e)
        return None


SLOT_FILES = 24  # saved prefixes kept (~10-40 MB each); the oldest go first


def prefix_key(messages: list[dict[str, str]]) -> str:
    """The key of a request's fixed part: every message but the last (a template's system
    text and examples; the last user message holds the variables)."""
    fixed = json.dumps(messages[:-1], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(fixed.encode()).hexdigest()[:16]


def slot_file(server: EmbeddedServer, key: str) -> str:
    """A saved KV cache's file name: per model file, context size and prompt prefix."""
    slots = f"-p{server.parallel}" if server.parallel > 1 else ""  # a slot's size differs
    return f"{server.model_path.stem}-ctx{server.n_ctx}{slots}-{key}.slot"


def _slot_action(server: EmbeddedServer, action: str, filename: str) -> dict[str, Any] | None:
    body = json.dumps({"filename": filename}).encode()
    req = urllib.request.Request(f"{server.url.removesuffix('/v1')}/slots/0?action={action}",
                                 data=body, headers={"Content-Type": "application/json",
                                                     "Authorization": f"Bearer {server.api_key}"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.load(r)
    except (OSError, ValueError) as e:  # URLError, HTTPError and timeouts are OSErrors
        log.debug("embedded LLM slot %s failed: %s", action, e)
        return None


def _prefixes_usable(server: EmbeddedServer | None) -> bool:
    # with several slots, requests land on any of them: only slot 0 is saved and restored
    return server is not None and server.slot_dir is not None and server.handle is not None \
        and server.parallel == 1


def use_prefix(server: EmbeddedServer | None, key: str) -> int:
    """Before a request: load the saved KV cache of `key`'s prefix into slot 0 unless it
    already holds that prefix; returns the tokens restored (0 when nothing was)."""
    if not _prefixes_usable(server) or server.holds == key:
        return 0
    server.holds = key  # after the request it holds this prefix, restored or not
    if not (server.slot_dir / slot_file(server, key)).is_file():
        return 0
    got = _slot_action(server, "restore", slot_file(server, key))
    n = int((got or {}).get("n_restored", 0) or 0)
    server.restored_tokens += n
    return n


def keep_prefix(server: EmbeddedServer | None, key: str) -> bool:
    """After a request: save slot 0's KV cache as `key`'s prefix (atomically), and drop the
    oldest saved prefixes beyond SLOT_FILES."""
    if not _prefixes_usable(server):
        return False
    final = slot_file(server, key)
    tmp = f"{final}.{os.getpid()}.tmp"
    got = _slot_action(server, "save", tmp)
    path = server.slot_dir / tmp
    try:
        if got and got.get("n_saved", 0) > 0:
            os.replace(path, server.slot_dir / final)
            _prune(server.slot_dir)
            return True
        path.unlink(missing_ok=True)
    except OSError as e:
        log.debug("could not keep the embedded LLM's prompt cache: %s", e)
    return False


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.slot"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[SLOT_FILES:]:
        old.unlink(missing_ok=True)


def check_model_file(path: Path) -> None:
    """A readable GGUF file, or a clear EmbeddedModelError."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except FileNotFoundError:
        raise EmbeddedModelError(f"the embedded model file {path} does not exist",
                                 INSTALL_HINT) from None
    except OSError as e:
        raise EmbeddedModelError(f"cannot read the embedded model file {path}: {e.strerror}",
                                 "check its permissions, or set SYNTHLOOP_CACHE") from e
    if magic != b"GGUF":
        raise EmbeddedModelError(f"{path} is not a GGUF model file (starts with {magic!r})",
                                 "delete it so that it is joined again from the part packages")


def check_port_free(port: int, host: str = "127.0.0.1") -> None:
    """Raise EmbeddedModelError if something already listens on host:port."""
    if not 0 < port < 65536:
        raise EmbeddedModelError(f"port {port} is not a valid TCP port", f"unset {PORT_ENV}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        listening = s.connect_ex((host, port)) == 0
    if not listening:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                listening = True
    if listening:
        raise EmbeddedModelError(f"port {port} on {host} is already in use, so the embedded "
                                 "LLM server cannot listen there",
                                 f"stop what uses it, or unset {PORT_ENV} to pick a free port")


def _port_from_env() -> int:
    raw = os.environ.get(PORT_ENV, "").strip()
    if not raw:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise EmbeddedModelError(f"{PORT_ENV}={raw!r} is not a port number",
                                 f"unset {PORT_ENV} or give a number") from None
