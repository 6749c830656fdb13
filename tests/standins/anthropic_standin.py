"""Test fixture: a stand-in Anthropic Messages API (`POST /v1/messages`, JSON or server-sent
events) that checks every request body it receives with a preflight of its own: anything a
re-scan still finds, or any of the `forbidden` raw values, is recorded in `violations`. For an
agent (the Claude Code CLI), `script` queues the turns it answers with: tool calls, then text."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from tests.standins.base import Handler, StandIn, pieces

_IDS = itertools.count(1)


class _AnthropicHandler(Handler):
    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        if self.path.split("?")[0] != "/v1/messages":
            self._error(404, "not_found_error", "not found")
            return
        request = self.body()
        standin: AnthropicStandIn = self.standin
        standin.requests.append(request)
        standin.inspect(request)
        bearer = (self.headers.get("authorization") or "").removeprefix("Bearer ")
        if standin.key not in (self.headers.get("x-api-key"), bearer):
            self._error(401, "authentication_error", "invalid API key")
            return
        fault = standin.next_fault()
        if fault == "429":
            self._error(429, "rate_limit_error", "rate limited", {"retry-after": "0"})
            return
        if fault == "529":
            self._error(529, "overloaded_error", "overloaded")
            return
        if fault == "slow":
            time.sleep(standin.slow_s)
        blocks = standin.reply_for(request)
        text = "".join(b.get("text", "") for b in blocks)
        usage_in = len(json.dumps(request)) // 4
        stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
        message: dict[str, Any] = {
            "id": "msg_standin",
            "type": "message",
            "role": "assistant",
            "model": request.get("model"),
            "content": blocks,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": usage_in, "output_tokens": len(pieces(text))},
        }
        if not request.get("stream"):
            self.send_json(200, message)
            return
        self.start_stream("text/event-stream")
        start = message | {"content": [], "stop_reason": None}
        start["usage"] = {"input_tokens": usage_in, "output_tokens": 1}
        self._event("message_start", {"type": "message_start", "message": start})
        self._event("ping", {"type": "ping"})
        for index, block in enumerate(blocks):
            if not self._stream_block(index, block, fault):
                return
        end = {"stop_reason": stop, "stop_sequence": None}
        self._event(
            "message_delta",
            {"type": "message_delta", "delta": end, "usage": {"output_tokens": len(pieces(text))}},
        )
        self._event("message_stop", {"type": "message_stop"})
        self.end_stream()

    def _stream_block(self, index: int, block: dict[str, Any], fault: str | None) -> bool:
        """One content block as start, deltas, stop; False when a scripted fault cut it."""
        if block["type"] == "tool_use":
            empty = block | {"input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": json.dumps(block["input"])}]
        else:
            empty = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": part} for part in pieces(block["text"])]
        self._event(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": empty},
        )
        for delta in deltas:
            self._event(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
            if fault == "malformed":
                self.chunk(b"event: content_block_delta\ndata: {not json\n\n")
                self.end_stream()
                return False
        self._event("content_block_stop", {"type": "content_block_stop", "index": index})
        return True

    def _event(self, name: str, data: dict[str, Any]) -> None:
        self.chunk(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())

    def _error(
        self, status: int, kind: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        body = {"type": "error", "error": {"type": kind, "message": message}}
        self.send_json(status, body, headers)


class AnthropicStandIn(StandIn):
    """`key` is the API key it accepts; `scan` returns the kinds a preflight re-scan finds in a
    text; `forbidden` are raw values that must never arrive."""

    handler = _AnthropicHandler

    def __init__(
        self,
        answer: str = "Roll back with helm rollback orders 41 [1].",
        key: str = "sk-ant-standin-key",
        scan: Callable[[str], list[str]] | None = None,
        forbidden: tuple[str, ...] = (),
    ) -> None:
        super().__init__(answer)
        self.key = key
        self.scan = scan
        self.forbidden = forbidden
        self.violations: list[str] = []
        self.echo_pseudonyms = False
        self.turns: deque[list[dict[str, Any]]] = deque()

    def answer_for(self, request: dict[str, Any]) -> str:
        """The scripted answer; with `echo_pseudonyms`, followed by the pseudonyms the request
        carried (as a real model would mention the people it was told about)."""
        if not self.echo_pseudonyms:
            return self.answer
        names = sorted(set(re.findall(r"\bCN_[0-9a-f]{6}\b", json.dumps(request))))
        return f"{self.answer} Ask {' and '.join(names)}."

    def script(self, *turns: list[dict[str, Any]]) -> None:
        """Queue the content blocks of the next replies to requests that offer tools (an
        agent's turns: `tool_use` blocks, then text); other requests get `answer`."""
        self.turns.extend(turns)

    def reply_for(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        """The content blocks of the reply to `request`."""
        if request.get("tools") and self.turns:
            return self.turns.popleft()
        return [{"type": "text", "text": self.answer_for(request)}]

    def inspect(self, request: dict[str, Any]) -> None:
        """Record what in this body would fail preflight (kinds and forbidden values): every
        text of the system prompt and the messages, tool results included."""
        body = "\n".join(_texts([request.get("system"), request.get("messages")]))
        if self.scan is not None:
            self.violations.extend(f"residual {kind}" for kind in self.scan(body))
        lowered = body.casefold()
        self.violations.extend(f"raw {v!r}" for v in self.forbidden if v.casefold() in lowered)


def tool_use(name: str, arguments: dict[str, Any]) -> list[dict[str, Any]]:
    """A scripted turn that calls one tool."""
    block_id = f"toolu_standin_{next(_IDS):04d}"
    return [{"type": "tool_use", "id": block_id, "name": name, "input": arguments}]


def said(text: str) -> list[dict[str, Any]]:
    """A scripted turn that only answers."""
    return [{"type": "text", "text": text}]


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, dict):
        return [text for key in ("text", "content") for text in _texts(value.get(key))]
    return []
