"""A tiny OpenAI-compatible HTTP server on 127.0.0.1 for tests: scripted responses to
/v1/chat/completions, a one-model /v1/models, and a record of every request."""

from __future__ import annotations

import json
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


class StubServer:
    """`script` items answer successive chat requests: (status, body[, headers]) or a
    callable(request_json) returning one; the last item repeats once the script runs out."""

    def __init__(self, script: list[Response | Callable[[dict], Response]],
                 delay_s: float = 0.0, models: list[str] | None = None):
        self.script = list(script)
        self.delay_s = delay_s
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
                self._send(*item)

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
