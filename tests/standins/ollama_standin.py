"""Test fixture: a stand-in Ollama server speaking the real `/api/tags` and `/api/generate`
wire protocol (JSON, or NDJSON when streamed, with per-token logprobs)."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.standins.base import Handler, StandIn, pieces


class _OllamaHandler(Handler):
    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        if self.path == "/api/tags":
            self.standin.paths.append(self.path)
            models = [
                {"name": m, "model": m, "size": 1, "digest": "0" * 64} for m in self.standin.models
            ]
            self.send_json(200, {"models": models})
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        if self.path != "/api/generate":
            self.send_json(404, {"error": "not found"})
            return
        request = self.body()
        self.standin.requests.append(request)
        fault = self.standin.next_fault()
        if fault == "429":
            self.send_json(429, {"error": "too many requests"})
            return
        if fault == "500":
            self.send_json(500, {"error": "model runner crashed"})
            return
        if fault == "404":
            self.send_json(404, {"error": f"model '{request.get('model')}' not found"})
            return
        if fault == "slow":
            time.sleep(self.standin.slow_s)
        if request.get("model") not in self.standin.models:
            self.send_json(404, {"error": f"model '{request.get('model')}' not found"})
            return
        parts = pieces(self.standin.answer)
        logprob = self.standin.logprob
        stats = {
            "prompt_eval_count": len(request.get("prompt", "")) // 4,
            "eval_count": len(parts),
            "total_duration": 1000,
        }
        if not request.get("stream", True):
            self.send_json(200, self._part("".join(parts), True, logprob, len(parts)) | stats)
            return
        self.start_stream("application/x-ndjson")
        for part in parts:
            self.chunk(json.dumps(self._part(part, False, logprob, 1)).encode() + b"\n")
            if fault == "malformed":
                self.chunk(b"{not json\n")
                self.end_stream()
                return
        if fault != "truncated":
            final = self._part("", True, logprob, 0) | stats
            self.chunk(json.dumps(final).encode() + b"\n")
        self.end_stream()

    def _part(self, text: str, done: bool, logprob: float, tokens: int) -> dict[str, Any]:
        part: dict[str, Any] = {
            "model": self.body_model(),
            "created_at": "2026-11-24T10:00:00Z",
            "response": text,
            "done": done,
        }
        if done:
            part["done_reason"] = "stop"
        if tokens and self.standin.requests[-1].get("logprobs"):
            part["logprobs"] = [{"token": f"t{i}", "logprob": logprob} for i in range(tokens)]
        return part

    def body_model(self) -> str:
        return str(self.standin.requests[-1].get("model"))


class OllamaStandIn(StandIn):
    """Answers `answer` with every token at `logprob`; `models` are the pulled tags."""

    handler = _OllamaHandler

    def __init__(self, answer: str = "Roll back with helm rollback orders 41 [1].") -> None:
        super().__init__(answer)
        self.models = ["gemma3:4b"]
        self.logprob = -0.05
