"""An assistant for one workspace directory, as the CLI uses it."""

from __future__ import annotations

from pathlib import Path

from chatx.assistant.service import Assistant
from chatx.config import Settings
from chatx.index.indexer import state_dir
from chatx.index.search import SearchService
from chatx.index.status import workspace_participants
from chatx.index.store import Found
from chatx.llm.ledger import Ledger
from chatx.shield import Shield, ShieldFactory


def workspace_assistant(workspace: Path, settings: Settings) -> Assistant:
    """Search, Policy Shield and ledger of `workspace` behind one assistant."""
    search = SearchService(workspace, settings)
    shields = ShieldFactory()

    def find(query: str, k: int) -> list[Found]:
        return [Found(hit, workspace) for hit in search.search(query, k)]

    def shield() -> Shield:
        return shields.get(settings, workspace_participants(workspace, settings))

    return Assistant(settings, find, shield, Ledger(state_dir(workspace)))
