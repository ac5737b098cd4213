"""The desk served in a background thread (tests, benchmarks, a notebook); `synthloop
serve` runs uvicorn in the foreground instead.

    with serve_in_thread(create_app(root)) as url:
        httpx.get(url + "/policy/1")
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def serve_in_thread(app, *, host: str = "127.0.0.1", start_s: float = 30.0) -> Iterator[str]:
    """Serve `app` with uvicorn on a free port of `host` in a daemon thread; yields the
    base URL. On exit it waits for the desk's background jobs, then stops the server."""
    import uvicorn

    sock = socket.socket()
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    t = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                         name="desk-server")
    t.start()
    end = time.time() + start_s
    while not server.started and t.is_alive() and time.time() < end:
        time.sleep(0.05)
    if not server.started:
        sock.close()
        raise RuntimeError(f"the review desk did not start within {start_s:.0f} s")
    try:
        yield f"http://{host}:{port}"
    finally:
        app.state.desk.wait(300)
        server.should_exit = True
        t.join(30)
        sock.close()
