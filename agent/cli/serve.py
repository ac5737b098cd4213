"""`synthloop serve`: the review desk, a local web app (see agent/serve/)."""

from __future__ import annotations

import typer

from synthloop.tools.errors import ValidationError

from .app import STATE, console

DEFAULT_PORT = 8765


def serve(
    port: int = typer.Option(DEFAULT_PORT, "--port", "-p", min=0, max=65535,
                             help="Port to listen on (0: any free port)."),
    host: str = typer.Option("127.0.0.1", "--host",
                             help="Address to bind. Anything but a loopback address requires "
                                  "the token printed at start on every request."),
) -> None:
    """Start the review desk: policy review, runs, label review in a browser (localhost
    by default; works offline)."""
    import socket

    import uvicorn

    from ..serve import create_app
    from ..serve.security import is_loopback, new_token

    host = host.strip()
    if not host:
        raise ValidationError("--host is empty", "e.g. --host 127.0.0.1 (the default)")
    token = None if is_loopback(host) else new_token()
    # bind first, so a taken port or an unknown address is one clear line, not a traceback
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)  # connections wait in the backlog until the server runs
    except OSError as e:
        raise ValidationError(f"cannot listen on {host}:{port}: {e.strerror or e}",
                              "choose another --port (or --port 0 for any free one), or a "
                              "local address for --host") from e
    port = sock.getsockname()[1]
    try:
        app = create_app(STATE.workspace, token=token, port=port)  # not a workspace: exit 2
    except BaseException:
        sock.close()
        raise
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    console.print(f"review desk for {app.state.desk.root}", highlight=False, soft_wrap=True)
    if token:
        console.print(f"[yellow]bound to {host}: every request needs the token[/]")
        console.print(f"open: {url}?token={token}", highlight=False, soft_wrap=True)
    else:
        console.print(f"open: {url}", highlight=False, soft_wrap=True)
    console.print("stop with Ctrl-C", highlight=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        running = [j for j in app.state.desk.jobs(kind="resume") if j.state == "running"]
        for j in running:
            console.print(f"run {j.thread_id} was still running; continue it with: "
                          f"synthloop resume {j.thread_id}", highlight=False)
