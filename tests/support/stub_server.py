"""A tiny OpenAI-compatible HTTP server on 127.0.0.1 for tests: scripted responses to
/v1/chat/completions, a one-model /v1/models, and a record of every request."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Response = tuple[int, Any] | tuple[int, Any, dict[str, str]]


def chat_reply(content: str, finish_reason: str = "stop", prompt_tokens: int = 12,
               completion_tokens: int = 5) -> dict:
    """The JSON body of a successful chat completion."""
    return {
        "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()),
        "model": "stub-model",
        "choices": [{"index": 0, "finish_reason": finish_reason,
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


def error_body(message: str) -> dict:
    return {"error": {"message": message, "type": "stub_error"}}


def sse_events(body: dict, pieces: int = 3) -> list[dict]:
    """A chat completion body as the chunks of a streamed one (content split in `pieces`,
    then the finish reason, then the usage), as OpenAI sends them with include_usage."""
    choice = body["choices"][0]
    content = choice["message"].get("content") or ""
    step = max(1, -(-len(content) // pieces))
    base = {"id": body["id"], "object": "chat.completion.chunk", "created": body["created"],
            "model": body["model"]}
    chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                    "finish_reason": None}]}]
    for i in range(0, len(content), step):
        chunks.append({**base, "choices": [{"index": 0, "delta": {"content": content[i:i + step]},
                                            "finish_reason": None}]})
    chunks.append({**base, "choices": [{"index": 0, "delta": {},
                                        "finish_reason": choice["finish_reason"]}]})
    chunks.append({**base, "choices": [], "usage": body.get("usage")})
    return chunks


class StubServer:
    """`script` items answer successive chat requests: (status, body[, headers]) or a
    callable(request_json) returning one; the last item repeats once the script runs out.
    A request with "stream": true gets a successful body as server-sent events.
    `delay_s` waits before answering at all; `chunk_delay_s` between streamed chunks."""

    def __init__(self, script: list[Response | Callable[[dict], Response]],
                 delay_s: float = 0.0, models: list[str] | None = None,
                 chunk_delay_s: float = 0.0):
        self.script = list(script)
        self.delay_s = delay_s
        self.chunk_delay_s = chunk_delay_s
        self.models = ["stub-model"] if models is None else models
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                stub.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}})
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "stub"}
                        for m in stub.models]})
                else:
                    self._send(404, error_body("not found"))

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                stub.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "json": body})
                if stub.delay_s:
                    time.sleep(stub.delay_s)
                item = stub.script.pop(0) if len(stub.script) > 1 else stub.script[0]
                if callable(item):
                    item = item(body)
                if body.get("stream") and item[0] == 200 and "choices" in item[1]:
                    self._stream(item[1])
                else:
                    self._send(*item)

            def _stream(self, body: dict):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                self.wfile.flush()
                for chunk in sse_events(body):
                    if stub.chunk_delay_s:
                        time.sleep(stub.chunk_delay_s)
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def chat_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte (a hung endpoint)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted.append(conn)  # read nothing, answer nothing

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        for c in self.accepted:
            c.close()
        self.sock.close()


def stub_llm(url: str, workspace=None, *, max_retries: int = 2, **kw):
    """The real LLM client pointed at a stub server's url (model "stub-model" unless given;
    retries without waiting)."""
    from synthloop.agent.llm import LLM
    from synthloop.tools.config import LLMConfig

    cfg = LLMConfig(base_url=url, model=kw.pop("model", "stub-model"), max_retries=max_retries,
                    **kw)
    llm = LLM(cfg, workspace=workspace)
    llm.retry_base_s = 0.01
    return llm
