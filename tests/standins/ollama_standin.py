"""Test fixture: a stand-in Ollama server speaking the real `/api/tags` and `/api/generate`
wire protocol (JSON, or NDJSON when streamed, with per-token logprobs).

Run as a program (`python -m tests.standins.ollama_standin --host ADDRESS --journal FILE`), it
serves on that address until killed and appends every request it receives, as one JSON line,
to the journal before answering: tests start it inside a network namespace to stand for an
Ollama server on another machine.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

from tests.standins.base import Handler, StandIn, pieces


class _OllamaHandler(Handler):
    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        self.standin.log("GET", self.path, None)
        if self.path == "/api/tags":
            self.standin.paths.append(self.path)
            models = [
                {"name": m, "model": m, "size": 1, "digest": "0" * 64} for m in self.standin.models
            ]
            self.send_json(200, {"models": models})
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        request = self.body()
        self.standin.log("POST", self.path, request)
        if self.path != "/api/generate":
            self.send_json(404, {"error": "not found"})
            return
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
        parts = pieces(self.standin.answer_for(request))
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


_PSEUDONYM = re.compile(r"⟦TKN:[a-z_]+:[0-9a-f]{8}⟧|\bCN_[0-9a-f]{6}\b")


class OllamaStandIn(StandIn):
    """Answers `answer` with every token at `logprob`; `models` are the pulled tags; with a
    `journal`, every request is appended to that file as a JSON line before it is answered."""

    handler = _OllamaHandler

    def __init__(
        self,
        answer: str = "Roll back with helm rollback orders 41 [1].",
        host: str = "127.0.0.1",
        port: int = 0,
        journal: Path | None = None,
    ) -> None:
        super().__init__(answer, host, port)
        self.models = ["gemma3:4b"]
        self.logprob = -0.05
        self.journal = journal
        self.echo_pseudonyms = False
        self._journal_lock = threading.Lock()

    def answer_for(self, request: dict[str, Any]) -> str:
        """The scripted answer; with `echo_pseudonyms`, followed by the pseudonyms the request
        carried (as a real model would mention the people and numbers it was told about)."""
        if not self.echo_pseudonyms:
            return self.answer
        text = f"{request.get('system') or ''}\n{request.get('prompt') or ''}"
        tokens = list(dict.fromkeys(_PSEUDONYM.findall(text)))
        return f"{self.answer} Ask {' and '.join(tokens)}." if tokens else self.answer

    def log(self, method: str, path: str, body: dict[str, Any] | None) -> None:
        """Append one received request to the journal, if there is one."""
        if self.journal is None:
            return
        line = json.dumps({"method": method, "path": path, "body": body}) + "\n"
        with self._journal_lock, self.journal.open("a", encoding="utf-8") as out:
            out.write(line)


def main(argv: list[str] | None = None) -> None:
    """Serve on `--host`/`--port` until killed; print `listening <url>` once ready."""
    parser = argparse.ArgumentParser(prog="python -m tests.standins.ollama_standin")
    parser.add_argument("--host", required=True, help="address to listen on")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--journal", type=Path, required=True, help="file requests go to")
    parser.add_argument("--answer", default="Roll back with helm rollback orders 41 [1].")
    parser.add_argument("--echo-pseudonyms", action="store_true")
    args = parser.parse_args(argv)
    server = OllamaStandIn(args.answer, args.host, args.port, args.journal)
    server.echo_pseudonyms = args.echo_pseudonyms
    with server:
        print(f"listening {server.url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
