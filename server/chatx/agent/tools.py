"""What the MCP tools do for the workspace a daemon serves: search, status, ask and redact, with
every result through the Policy Shield gate before it is handed to the agent (whose model is
usually in the cloud). No MCP imports: `mcp_server` adapts this to the protocol.

The gate pseudonymises the text of a result (snippets, participants, answers, problems) and
keeps what the agent needs to act on as it is: paths, line numbers, ids, dates and kinds. When
the preflight of that text does not pass, the tool fails with the Problem and the text is never
returned. `agentShield = false` turns the gate off for an agent whose model runs here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pydantic import BaseModel

from chatx.agent.hooks import secret_path
from chatx.assistant import ActionInput, Assistant
from chatx.config import Settings
from chatx.daemon.service import Daemon, Folder
from chatx.index.status import workspace_status
from chatx.index.store import Filters
from chatx.llm.router import Preference
from chatx.memory.recall import RecallResult
from chatx.memory.store import MemoryStore
from chatx.models import ActionResult, QueryResult, RedactionReport, StatusReport
from chatx.problems import ChatxError, ProblemCode
from chatx.shield.gate import outbound

M = TypeVar("M", bound=BaseModel)
V = TypeVar("V")

# Fields an agent acts on (open a file at a line, compare ids): never pseudonymised.
STRUCTURAL = frozenset(
    {
        "chunk_id",
        "source",
        "path",
        "workspace",
        "kind",
        "platform",
        "state",
        "embedder",
        "msg_ids",
        "date_start",
        "date_end",
        "backend",
        "model",
        "action",
        "type",
        "code",
        "status",
        "entityType",
        "relationType",
        "success",
    }
)


class Redaction(BaseModel):
    """What `redact` returns: the text as the Policy Shield would send it, and the report."""

    text: str
    report: RedactionReport


@dataclass
class AgentTools:
    """The MCP tools of the workspace a daemon serves (its first folder)."""

    daemon: Daemon

    @property
    def folder(self) -> Folder:
        """The workspace folder."""
        return self.daemon.folders[0]

    @property
    def settings(self) -> Settings:
        """The daemon's current settings."""
        return self.daemon.settings

    @property
    def assistant(self) -> Assistant:
        """The daemon's assistant (its shield is the one the gate uses)."""
        return self.daemon.assistant()

    def query(self, query: str, k: int, filters: Filters) -> QueryResult:
        """The query contract for `query`, through the gate."""
        return self.gated(self.folder.search.query(query, k, filters))

    def status(self) -> StatusReport:
        """The status contract, through the gate."""
        return self.gated(workspace_status(self.folder.root, self.settings))

    async def ask(
        self, question: str, backend: Preference | None, allow_cloud: bool | None
    ) -> ActionResult:
        """`/ask` routed as the CLI routes it (the route is in the result), through the gate."""
        result = await self.assistant.run(ActionInput("ask", question), backend, allow_cloud)
        return self.gated(result)

    def redact(self, text: str, path: str | None = None) -> Redaction:
        """`text`, or the workspace file `path` read here, redacted and preflighted (a failed
        preflight raises its Problem). A secret file or one outside the workspace is refused."""
        if path is not None:
            text = self._read(path)
        (redacted,), report = outbound(self.daemon.shield(), [text])
        return Redaction(text=redacted, report=report)

    def _read(self, path: str) -> str:
        root = self.folder.root
        target = (root / path).resolve()
        if root not in target.parents:
            raise ChatxError.of(ProblemCode.INVALID_INPUT, f"not a file of {root}: {path}", path)
        if secret_path(target.relative_to(root).as_posix()):
            raise ChatxError.of(ProblemCode.INVALID_INPUT, f"{path} is a secret file", path)
        try:
            return target.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            raise ChatxError.of(
                ProblemCode.INVALID_INPUT, f"cannot read {path}: {exc.strerror}", path
            ) from exc

    def recall(self, query: str, k: int) -> RecallResult:
        """The facts closest to `query` in meaning, through the gate (blocking; the daemon's
        embedder must be loaded)."""
        self.folder.memory()  # a memory comes into being on first use
        recaller = self.folder.recaller(self.daemon.embedder)
        if recaller is None:
            raise ChatxError.of(ProblemCode.INTERNAL, "the embedder is not loaded")
        return self.gated(recaller.recall(query, k))

    def remember(self, operation: Callable[[MemoryStore], M]) -> M:
        """A memory tool's result, through the gate (blocking)."""
        return self.gated(operation(self.folder.memory()))

    def revealed(self, value: V) -> V:
        """`value` (an argument from the agent) with the pseudonyms the gate gave it turned
        back into what they stand for, so that `CN_…` names the same entity."""
        if not self.settings.agent.shield:
            return value
        shield = self.daemon.shield()
        if isinstance(value, str):
            return cast(V, shield.reveal_text(value))
        if isinstance(value, list):
            return cast(V, [self.revealed(item) for item in value])
        if isinstance(value, BaseModel):
            data = _visit(value.model_dump(by_alias=True), shield.reveal_text)
            return cast(V, type(value).model_validate(data))
        return value

    def gated(self, result: M) -> M:
        """`result` with its text pseudonymised and preflighted (unless `agentShield` is off);
        POLICY_SHIELD_FAILURE when the preflight does not pass."""
        if not self.settings.agent.shield:
            return result
        data = result.model_dump(mode="json")
        texts: list[str] = []

        def collect(text: str) -> str:
            texts.append(text)
            return text

        _visit(data, collect)
        if not texts:
            return result
        redacted, _ = outbound(self.daemon.shield(), texts)
        replacements = iter(redacted)
        return type(result).model_validate(_visit(data, lambda _: next(replacements)))


def _visit(value: Any, change: Callable[[str], str], key: str | None = None) -> Any:
    """`value` with `change` applied to each non-empty string outside the structural fields,
    in a fixed order (so a second visit meets the strings in the order the first did)."""
    if key in STRUCTURAL:
        return value
    if isinstance(value, str):
        return change(value) if value.strip() else value
    if isinstance(value, dict):
        return {k: _visit(v, change, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_visit(v, change, key) for v in value]
    return value
