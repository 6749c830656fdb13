"""Chat exports built in tests, for the parser and index robustness cases."""

from __future__ import annotations

from typing import Any


def chatgpt_conv(
    number: int, second: dict[str, Any] | None = None, question: str | None = None
) -> dict[str, Any]:
    """A ChatGPT conversation of two messages: the user's `question` (default `question N`)
    and an answer; `second` replaces fields of the answer's message."""
    reply = {
        "id": f"b{number}",
        "author": {"role": "assistant"},
        "create_time": 1700000001,
        "content": {"content_type": "text", "parts": [f"answer {number}"]},
    }
    reply.update(second or {})
    return {
        "title": f"t{number}",
        "conversation_id": f"c{number}",
        "mapping": {
            "a": {
                "id": "a",
                "parent": None,
                "children": ["b"],
                "message": {
                    "id": f"a{number}",
                    "author": {"role": "user"},
                    "create_time": 1700000000,
                    "content": {
                        "content_type": "text",
                        "parts": [question if question is not None else f"question {number}"],
                    },
                },
            },
            "b": {"id": "b", "parent": "a", "children": [], "message": reply},
        },
    }
