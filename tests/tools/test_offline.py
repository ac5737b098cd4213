"""Importing synthloop changes no environment variable; the CLI then applies the offline
defaults, after which running `init` and importing the stack open no non-loopback connection."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

GUARDED = textwrap.dedent("""
    import ipaddress, socket, sys
    attempts = []
    def loop(host):
        if host is None: return True
        host = host.decode() if isinstance(host, bytes) else str(host)
        if host in ("localhost", ""): return True
        try: return ipaddress.ip_address(host).is_loopback
        except ValueError: return False
    real_connect, real_gai = socket.socket.connect, socket.getaddrinfo
    def connect(self, addr):
        if isinstance(addr, tuple) and not loop(addr[0]):
            attempts.append(str(addr)); raise OSError("blocked by test")
        return real_connect(self, addr)
    def gai(host, *a, **k):
        if not loop(host):
            attempts.append(str(host)); raise OSError("blocked by test")
        return real_gai(host, *a, **k)
    socket.socket.connect, socket.getaddrinfo = connect, gai
    import os
    before = dict(os.environ)
    import synthloop.agent, synthloop.prompts, synthloop.tools
    import synthloop.agent.cli
    changed = sorted(k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k))
    assert changed == [], f"importing synthloop changed the environment: {changed}"
    from synthloop.agent.cli import run
    code = run(["init", sys.argv[1]])
    for mod in ("langgraph.graph", "langgraph.checkpoint.sqlite", "openai", "ultralytics",
                "diffusers", "datasets", "albumentations", "transformers", "torch"):
        __import__(mod)
    code = code or run(["-w", sys.argv[1], "status"])
    print("ATTEMPTS", attempts, "CODE", code)
    sys.exit(3 if attempts else code)
""")


def test_imports_and_init_make_no_network_connection(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("YOLO_", "HF_", "NO_ALBUMENTATIONS"))}
    env["HOME"] = str(tmp_path / "home")  # no settings left by earlier runs
    p = subprocess.run([sys.executable, "-c", GUARDED, str(tmp_path / "ws")], env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    assert "ATTEMPTS [] CODE 0" in p.stdout
    # Ultralytics' font is in place inside the workspace so it never fetches Arial.ttf
    assert (tmp_path / "ws" / ".ultralytics" / "Ultralytics" / "Arial.ttf").exists() or \
        (tmp_path / "home" / ".cache" / "synthloop" / "ultralytics" / "Ultralytics" / "Arial.ttf").exists()


def test_offline_defaults_respect_user_values(monkeypatch):
    from synthloop.tools import offline

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("NO_ALBUMENTATIONS_UPDATE", raising=False)
    offline.apply_offline_defaults()
    assert os.environ["HF_HUB_OFFLINE"] == "0"
    assert os.environ["NO_ALBUMENTATIONS_UPDATE"] == "1"
