"""A small OpenAI-compatible chat server over real HTTP, for testing the LLM answer path.

Modes: "cite" answers with the first sentence of source 1 plus an invalid marker and an unsupported
sentence; "refuse" says the sources do not hold the answer; "inject" obeys nothing and checks the prompt;
"error" returns HTTP 500; "slow" sleeps past the client's timeout. A request to condense a follow-up
(its system prompt asks for 可以单独理解的完整问题) is answered with ``condensed``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubLLM:
    def __init__(self) -> None:
        self.mode = "cite"
        self.requests: list[dict] = []
        self.delay_s = 5.0
        self.condensed = ""
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> StubLLM:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reply_for(self, body: dict) -> str:
        user = body["messages"][-1]["content"]
        if "可以单独理解的完整问题" in body["messages"][0]["content"]:
            return self.condensed or user
        if self.mode == "refuse":
            return "所提供的报告中没有找到相关内容。"
        m = re.search(r'<source id="1"[^>]*>\s*(.+?)</source>', user, re.S)
        source = m.group(1).strip() if m else ""
        first = re.split(r"(?<=[。；])", source)[0] if source else "无"
        return f"{first}[1] 另外还有一条说明[9]。这是一句没有任何出处标注的额外陈述内容。"

    def _handler(self):
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                stub.requests.append(body)
                if stub.mode == "error":
                    self.send_response(500)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "boom", "type": "server_error"}}')
                    return
                if stub.mode == "slow":
                    time.sleep(stub.delay_s)
                text = stub.reply_for(body)
                if body.get("stream"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for i in range(0, len(text), 8):
                        chunk = {
                            "id": "stub", "object": "chat.completion.chunk", "created": 0, "model": body.get("model"),
                            "choices": [{"index": 0, "delta": {"content": text[i : i + 8]}, "finish_reason": None}],
                        }
                        self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")
                    return
                payload = {
                    "id": "stub", "object": "chat.completion", "created": 0, "model": body.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler
