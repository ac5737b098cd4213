"""Shared fixtures: temporary workspaces and a network guard."""

from __future__ import annotations

import socket

import pytest

from synthloop.prompts import add_prompt_folder
from synthloop.tools.offline import apply_offline_defaults
from synthloop.tools.store import Workspace
from tests.support.netguard import is_loopback as _is_loopback
from tests.support.paths import PROMPTS

apply_offline_defaults()  # as the CLI's main() does: the suite never reaches the network
add_prompt_folder(PROMPTS)  # _test_decide, _test_chat


@pytest.fixture
def ws(tmp_path):
    """A fresh workspace opened for writing."""
    w = Workspace.init(tmp_path / "ws")
    yield w
    w.close()



class NetworkAttempt(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test on any attempt to resolve or connect to a non-loopback address.
    Records every attempt in the returned list, even ones swallowed by library code."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guard_addr(addr):
        host = addr[0] if isinstance(addr, tuple) else None
        if isinstance(addr, str | bytes):  # AF_UNIX path
            return
        if not _is_loopback(host):
            attempts.append(f"connect {addr}")
            raise NetworkAttempt(f"network connection attempted: {addr}")

    def connect(self, addr):
        guard_addr(addr)
        return real_connect(self, addr)

    def connect_ex(self, addr):
        guard_addr(addr)
        return real_connect_ex(self, addr)

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            attempts.append(f"getaddrinfo {host}")
            raise NetworkAttempt(f"name resolution attempted: {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


@pytest.fixture(autouse=True)
def _drop_cli_log_handlers():
    """The CLI installs logging handlers (file + console) per invocation; tests that run it
    in-process would otherwise pile them up and keep temp log files open."""
    import logging

    yield
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_synthloop", False):
            root.removeHandler(h)
            h.close()
