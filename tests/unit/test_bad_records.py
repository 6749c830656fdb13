"""One bad record never stops an index run: surrogates, dates out of range, odd epochs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatx.config import Settings
from chatx.index.indexer import Indexer
from chatx.ingest.common import from_epoch

WHATSAPP = (
    "12/31/9999, 11:00 PM - Ana: the far future\n"
    "1/2/24, 9:00 AM - Ana: the deploy is green\n"
    "1/2/24, 9:01 AM - Ben: rolling back orders 41 anyway\n"
)


def chatgpt(text: str) -> str:
    """A ChatGPT export with one conversation whose user message is `text`."""
    return json.dumps(
        [
            {
                "title": "deploys",
                "create_time": 1700000000,
                "mapping": {
                    "a": {
                        "id": "a",
                        "parent": None,
                        "children": ["b"],
                        "message": {
                            "id": "a",
                            "author": {"role": "user"},
                            "create_time": 1700000000,
                            "content": {"content_type": "text", "parts": [text]},
                        },
                    },
                    "b": {
                        "id": "b",
                        "parent": "a",
                        "children": [],
                        "message": {
                            "id": "b",
                            "author": {"role": "assistant"},
                            "create_time": 1700000001,
                            "content": {"content_type": "text", "parts": ["use helm rollback"]},
                        },
                    },
                },
            }
        ]
    )


@pytest.mark.parametrize("value", [1e20, float("nan"), float("inf"), 10**400])
def test_epochs_that_are_no_time_are_unknown_not_a_crash(value: float) -> None:
    assert from_epoch(value) is None


@pytest.mark.slow
def test_a_lone_surrogate_and_a_far_future_date_do_not_stop_the_run(
    tmp_path: Path, embedder: object
) -> None:
    ws = tmp_path / "ws"
    (ws / "chats").mkdir(parents=True)
    (ws / "chats" / "team.txt").write_text(WHATSAPP, encoding="utf-8")
    # `\ud800` as a JSON escape: a lone surrogate once parsed
    (ws / "chats" / "conversations.json").write_text(
        chatgpt("how do we roll back \\ud800 the deploy?"), encoding="utf-8"
    )
    (ws / "notes.md").write_text("# Notes\n\nThe rollback runbook lives in docs.\n")
    indexer = Indexer(ws, Settings(), embedder=embedder)  # type: ignore[arg-type]
    summary = indexer.run()
    assert summary.files_indexed == 3 and summary.files_failed == 0
    assert summary.messages == 5
