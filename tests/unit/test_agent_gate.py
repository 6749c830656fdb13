"""The Shield gate on what MCP tools return: text pseudonymised, what an agent acts on kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from chatx.agent.tools import AgentTools
from chatx.config import Settings
from chatx.daemon import Daemon
from chatx.models import QueryCitation, QueryResult

SETTINGS = {"shieldNames": "Priya Raman", "shieldNameModel": ""}  # no entity model to load


def result() -> QueryResult:
    citation = QueryCitation(
        chunk_id="c1",
        source="chats/priya-raman.txt",
        line_start=3,
        line_end=4,
        score=0.5,
        snippet="Priya Raman: mail me at priya@orders.example",
        kind="chat",
        date_start=datetime(2025, 4, 3, 9, 12, tzinfo=UTC),
    )
    return QueryResult(query="what did Priya Raman say?", took_ms=1.0, citations=[citation])


def test_text_is_pseudonymised_and_locations_kept(tmp_path: Path) -> None:
    tools = AgentTools(Daemon([tmp_path], Settings.model_validate(SETTINGS)))
    gated = tools.gated(result())
    (citation,) = gated.citations
    assert (citation.source, citation.line_start, citation.line_end) == (
        "chats/priya-raman.txt",
        3,
        4,
    )
    assert citation.date_start == result().citations[0].date_start
    assert "Priya" not in citation.snippet and "priya@orders.example" not in citation.snippet
    assert citation.snippet.startswith("CN_") and "Priya" not in gated.query
    # one person, one pseudonym across the fields of a result
    assert citation.snippet.split(":")[0] in gated.query


def test_the_gate_is_off_for_a_local_agent(tmp_path: Path) -> None:
    settings = Settings.model_validate({**SETTINGS, "agentShield": False})
    tools = AgentTools(Daemon([tmp_path], settings))
    original = result()
    assert tools.gated(original) is original
