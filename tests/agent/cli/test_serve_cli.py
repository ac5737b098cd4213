"""`synthloop serve`: bad input is one line and exit 2; a non-local bind prints a token and
answers 401 without it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request

from synthloop.agent.cli import run
from synthloop.tools.store import Workspace
from tests.support.factories import hard_hat_policy

ENTRY = "from synthloop.agent.cli import main; main()"


def test_serving_a_folder_that_is_no_workspace_is_one_line_and_exit_2(tmp_path, capsys):
    rc = run(["-w", str(tmp_path / "nothing"), "serve", "--port", "0"])
    err = capsys.readouterr().err
    assert rc == 2 and "does not exist" in err and "hint" in err
    assert len(err.strip().splitlines()) == 1


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path, capsys):
    Workspace.init(tmp_path / "ws").close()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        port = busy.getsockname()[1]
        rc = run(["-w", str(tmp_path / "ws"), "serve", "--port", str(port)])
    finally:
        busy.close()
    err = capsys.readouterr().err
    assert rc == 2 and f"cannot listen on 127.0.0.1:{port}" in err and "--port 0" in err
    assert len(err.strip().splitlines()) == 1


def test_bad_options_exit_2(tmp_path, capsys):
    Workspace.init(tmp_path / "ws").close()
    assert run(["-w", str(tmp_path / "ws"), "serve", "--port", "70000"]) == 2
    assert run(["-w", str(tmp_path / "ws"), "serve", "--host", " "]) == 2
    assert "--host is empty" in capsys.readouterr().err


def _get(url: str, headers: dict | None = None) -> int:
    req = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=60) as r:  # a loaded CI machine is slow to start
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def _lines_until(proc, needle: str, timeout: float = 60.0) -> list[str]:
    """The process's output lines up to the one holding `needle` (read by a thread: a
    select() on a buffered pipe misses lines that arrived in one chunk)."""
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.rstrip())
            if needle in line:
                found.set()
    threading.Thread(target=read, daemon=True).start()
    if not found.wait(timeout):
        raise AssertionError(f"no line with {needle!r} in {lines}")
    return lines


def test_a_non_local_bind_prints_a_token_and_refuses_requests_without_it(tmp_path):
    with Workspace.init(tmp_path / "ws") as ws:
        ws.save_policy(hard_hat_policy())
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, "-w", str(tmp_path / "ws"), "serve",
                             "--host", "0.0.0.0", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        lines = _lines_until(proc, "stop with Ctrl-C")
        (url,) = [ln.split("open: ", 1)[1] for ln in lines if ln.startswith("open: ")]
        assert "every request needs the token" in "\n".join(lines)
        base, token = url.split("?token=")
        port = base.rstrip("/").rsplit(":", 1)[1]
        local = f"http://127.0.0.1:{port}"
        assert len(token) >= 32
        assert _get(f"{local}/policy/1") == 401
        assert _get(f"{local}/policy/1", {"Authorization": "Bearer " + token[:-1] + "x"}) == 401
        assert _get(f"{local}/policy/1", {"Authorization": f"Bearer {token}"}) == 200
        assert _get(f"{local}/static/desk.css") == 401
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_local_bind_needs_no_token(tmp_path):
    with Workspace.init(tmp_path / "ws") as ws:
        ws.save_policy(hard_hat_policy())
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-c", ENTRY, "-w", str(tmp_path / "ws"), "serve",
                             "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        lines = _lines_until(proc, "stop with Ctrl-C")
        (url,) = [ln.split("open: ", 1)[1] for ln in lines if ln.startswith("open: ")]
        assert url.startswith("http://127.0.0.1:") and "token" not in url
        assert _get(url + "policy/1") == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(60) in (0, 130)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise
