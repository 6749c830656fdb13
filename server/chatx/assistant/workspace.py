"""An assistant for one workspace directory, as the CLI uses it."""

from __future__ import annotations

import functools
from pathlib import Path

from chatx.assistant.service import Assistant
from chatx.config import Settings
from chatx.index.indexer import state_dir
from chatx.index.search import SearchService
from chatx.index.store import Found
from chatx.llm.ledger import Ledger
from chatx.shield import Shield
from chatx.shield.sources import local_shield, workspace_people


def workspace_assistant(workspace: Path, settings: Settings) -> Assistant:
    """Search, Policy Shield and ledger of `workspace` behind one assistant."""
    search = SearchService(workspace, settings)

    def find(query: str, k: int) -> list[Found]:
        return [Found(hit, workspace) for hit in search.search(query, k)]

    @functools.cache
    def shield() -> Shield:
        people = workspace_people(workspace, settings, [])
        return local_shield(people, settings)

    return Assistant(settings, find, shield, Ledger(state_dir(workspace)))
