"""`langgraph dev` for tests, with the network guarded: any connection or name lookup of a
non-loopback address is refused and reported on stderr (NETWORK ATTEMPT ...), so a test can
assert that the server and the loop reached nothing outside this machine.

    python tests/support/langgraph_dev_server.py --config langgraph.json --port N ...
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script
from tests.support.netguard import is_loopback as _loopback  # noqa: E402


def _guard() -> None:
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def refuse(what) -> None:
        print(f"NETWORK ATTEMPT {what}", file=sys.stderr, flush=True)
        raise OSError(f"network access refused in tests: {what}")

    def connect(self, addr):
        if isinstance(addr, tuple) and not _loopback(addr[0]):
            refuse(addr)
        return real_connect(self, addr)

    def connect_ex(self, addr):
        if isinstance(addr, tuple) and not _loopback(addr[0]):
            refuse(addr)
        return real_connect_ex(self, addr)

    def getaddrinfo(host, *args, **kwargs):
        if not _loopback(host):
            refuse(host)
        return real_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
    socket.getaddrinfo = getaddrinfo


if __name__ == "__main__":
    _guard()
    from langgraph_cli.cli import cli

    cli(["dev", *sys.argv[1:]], prog_name="langgraph")
