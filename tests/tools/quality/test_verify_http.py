"""The vision-LLM verifier against a local OpenAI-shaped chat-completions server (loopback)."""

from __future__ import annotations

import base64
import io
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from synthloop.tools.models import Annotation, Provenance, Sample
from synthloop.tools.quality import VisionLLMVerifier


class FakeVision(BaseHTTPRequestHandler):
    """Answers like a vision model that sees no red object: "present" is false for the
    labels whose box is not red in the image it was sent (as a base64 data URL)."""

    seen: list[dict] = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeVision.seen.append(body)
        parts = body["messages"][0]["content"]
        text = next(p["text"] for p in parts if p["type"] == "text")
        url = next(p["image_url"]["url"] for p in parts if p["type"] == "image_url")
        assert url.startswith("data:image/png;base64,")
        img = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")
        if "garbage" in text:
            content = "sorry, I cannot help with that"
        else:
            objs = []
            for line in text.splitlines():
                if " at box (" in line:
                    idx = int(line.split(":")[0])
                    x0, y0, x1, y1 = (float(v) for v in line.split("(")[1].rstrip(")").split(","))
                    r, g, b = img.getpixel((int((x0 + x1) / 2), int((y0 + y1) / 2)))
                    objs.append({"index": idx, "present": r > 200 and g < 80, "correct_class": True})
            content = json.dumps({"objects": objs, "scenario_matches": True, "unlabelled": []})
        out = json.dumps({"id": "x", "object": "chat.completion", "model": "fake-vlm",
                          "choices": [{"index": 0, "finish_reason": "stop",
                                       "message": {"role": "assistant", "content": content}}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(out.encode())

    def log_message(self, *a):
        pass


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeVision)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()
    srv.server_close()


def make_ask(base_url: str):
    def ask(prompt: str, png: bytes) -> str:
        url = "data:image/png;base64," + base64.b64encode(png).decode()
        body = {"model": "fake-vlm", "temperature": 0,
                "messages": [{"role": "user", "content": [
                    {"type": "text", "text": prompt},
                    {"type": "image_url", "image_url": {"url": url}}]}]}
        req = urllib.request.Request(base_url + "/chat/completions", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read())["choices"][0]["message"]["content"]
    return ask


def png_with_red(box) -> bytes:
    im = Image.new("RGB", (64, 64), (30, 30, 30))
    im.paste((230, 20, 20), tuple(int(v) for v in box))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def sample(scenario="site", boxes=((4, 4, 20, 20), (40, 40, 60, 60))) -> Sample:
    return Sample(id="s1", image="x.png", width=64, height=64, scenario_id=scenario,
                  annotations=[Annotation(cls="hard_hat", box=b) for b in boxes],
                  provenance=Provenance(generator="procedural"))


def test_a_missing_object_is_flagged_through_the_endpoint(server):
    v = VisionLLMVerifier(make_ask(server))
    vd = v.judge(sample(), png_with_red((4, 4, 20, 20)))   # the second box holds nothing
    assert vd.verdict == "suspect"
    assert [o.index for o in vd.objects] == [1]
    ok = v.judge(sample(boxes=((4, 4, 20, 20),)), png_with_red((4, 4, 20, 20)))
    assert ok.verdict == "ok" and ok.objects == []
    assert FakeVision.seen[-1]["messages"][0]["content"][1]["type"] == "image_url"


def test_a_malformed_reply_or_a_dead_endpoint_is_unverified(server):
    v = VisionLLMVerifier(make_ask(server))
    assert v.judge(sample(scenario="garbage"), png_with_red((4, 4, 20, 20))).verdict == "unverified"
    dead = VisionLLMVerifier(make_ask("http://127.0.0.1:9/v1"))
    vd = dead.judge(sample(), png_with_red((4, 4, 20, 20)))
    assert vd.verdict == "unverified" and dead.errors == 1
