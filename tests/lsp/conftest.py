"""Fixtures of the end-to-end LSP tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture()
def lsp_workspace(workspace: Path) -> Path:
    """A fresh copy of examples/workspace plus a code file to hover in."""
    (workspace / "src").mkdir()
    (workspace / "src" / "deploy.py").write_text(
        "def rollback(revision: int) -> None:\n"
        "    # roll back a failed deploy of orders\n"
        "    run(['helm', 'rollback', 'orders', str(revision)])\n"
        "\n"
        "# how do we roll back a failed deploy?\n",
        encoding="utf-8",
    )
    return workspace
