"""`chatx mcp`: the workspace's search, status, ask and redact as MCP tools over stdio, built
with the official MCP SDK (`MCPServer`). Handlers only adapt: the work is `AgentTools`'.

A Problem (bad input, nothing indexed, a failed Shield preflight) becomes a tool error whose
text is the Problem as JSON, never a trace; the SDK validates arguments against each tool's
JSON schema before a handler runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp_types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from chatx.agent.tools import AgentTools, Redaction
from chatx.config import Settings
from chatx.daemon.service import Daemon
from chatx.endpoint import serve_folder
from chatx.formats import PLATFORMS
from chatx.index.store import Filters
from chatx.memory import service as memory
from chatx.memory.models import (
    CreatedEntities,
    CreatedRelations,
    KnowledgeGraph,
    NewEntity,
    ObservationResults,
    ObservationsToAdd,
    ObservationsToDelete,
    RelationRef,
    Status,
)
from chatx.memory.recall import RecallResult
from chatx.memory.store import MemoryStore
from chatx.models import ActionResult, Problem, QueryResult, StatusReport
from chatx.problems import ChatxError, ProblemCode, make_problem

_PLATFORMS = f"Only chats from this platform: one of {', '.join(PLATFORMS)}."

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
INSTRUCTIONS = (
    "ChatX indexes this workspace's chat transcripts and docs. Use `search` to find what was "
    "said or decided, and cite its `source:line_start` locations. The memory tools keep a "
    "knowledge graph of people, preferences, goals and relationships: `recall` finds facts "
    "by meaning. People are pseudonymised (`CN_…`): use those names as they are, they are "
    "understood; do not try to undo them."
)


class ProblemError(ToolError):
    """A tool error whose text is a Problem (RFC 7807) as JSON."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.model_dump_json())


class ChatxMCPServer(MCPServer):
    """`MCPServer` whose every tool error carries a Problem: an unknown tool or arguments that
    fail the input schema become INVALID_INPUT (naming the fields, never their values)."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Any = None
    ) -> CallToolResult | InputRequiredResult:
        """The SDK's call, with its own tool errors turned into Problems."""
        try:
            return await super().call_tool(name, arguments, context)
        except (ProblemError, UnexpectedToolError):
            raise
        except ToolError as exc:
            if isinstance(exc.__cause__, ProblemError):  # ours, under the SDK's prefix
                raise exc.__cause__ from None
            if isinstance(exc.__cause__, ValidationError):
                fields = sorted({".".join(map(str, e["loc"])) for e in exc.__cause__.errors()})
                detail = f"invalid arguments for {name}: {', '.join(fields)}"
            elif name not in (known := [tool.name for tool in await self.list_tools()]):
                detail = f"unknown tool {name!r}; the tools are {', '.join(known)}"
            else:
                detail = str(exc)
            raise ProblemError(make_problem(ProblemCode.INVALID_INPUT, detail)) from exc


def create_server(tools: AgentTools) -> MCPServer:
    """The `chatx` MCP server over `tools`."""
    server = ChatxMCPServer("chatx", instructions=INSTRUCTIONS)

    @server.tool(
        description="Search the indexed chats and docs (hybrid: meaning and keywords). Each "
        "citation has `source` (workspace path), `line_start`-`line_end` and a snippet.",
        annotations=READ_ONLY,
    )
    async def search(
        query: Annotated[str, Field(min_length=1, description="What to look for.")],
        k: Annotated[int, Field(ge=1, le=100, description="How many citations.")] = 8,
        kind: Literal["chat", "doc"] | None = None,
        since: Annotated[date | None, Field(description="Only on or after this day.")] = None,
        until: Annotated[date | None, Field(description="Only on or before this day.")] = None,
        participant: Annotated[str | None, Field(description="Only their messages.")] = None,
        platform: Annotated[str | None, Field(description=_PLATFORMS)] = None,
        path_glob: Annotated[str | None, Field(description="Only sources matching it.")] = None,
    ) -> QueryResult:
        filters = Filters(
            kind=kind,
            platform=platform,
            participant=participant,
            since=since,
            until=until,
            path_glob=path_glob,
        )
        return await _run(_when_ready(tools, asyncio.to_thread(tools.query, query, k, filters)))

    @server.tool(
        description="What is indexed: files, their states and problems.", annotations=READ_ONLY
    )
    async def status() -> StatusReport:
        return await _run(asyncio.to_thread(tools.status))

    @server.tool(
        description="Answer a question from the index with cited sources, on the local model "
        "first; the route says which model answered and why.",
        annotations=ToolAnnotations(read_only_hint=True, open_world_hint=True),
    )
    async def ask(
        question: Annotated[str, Field(min_length=1)],
        backend: Literal["auto", "local", "cloud"] | None = None,
        allow_cloud: bool | None = None,
    ) -> ActionResult:
        return await _run(_when_ready(tools, tools.ask(question, backend, allow_cloud)))

    @server.tool(
        description="A text, or a workspace file read on this machine, as the Policy Shield "
        "would send it: names as `CN_…`, numbers, addresses and keys as tokens; fails when the "
        "re-scan still finds something. Pass a file as `path` instead of reading it yourself: "
        "what you read goes to your model unredacted.",
        annotations=READ_ONLY,
    )
    async def redact(
        text: Annotated[str, Field(description="The text to redact.")] = "",
        path: Annotated[
            str | None,
            Field(description="Or a workspace file to read and redact here (never a secret)."),
        ] = None,
    ) -> Redaction:
        return await _run(asyncio.to_thread(tools.redact, text, path))

    _memory_tools(server, tools)
    _recall_tool(server, tools)
    return server


WRITES = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)
DELETES = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
)
READS = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


def _memory_tools(server: MCPServer, tools: AgentTools) -> None:
    """The reference memory server's nine tools, same names and arguments, over the
    workspace memory (records are retired, never erased; results pass the gate)."""

    def call(operation: Callable[[MemoryStore], M]) -> Awaitable[M]:
        return _run(asyncio.to_thread(tools.remember, operation))

    @server.tool(
        title="Create Entities",
        description="Create multiple new entities in the knowledge graph. An entity whose name "
        "already exists, or repeats an earlier entity in the same call, is skipped and its "
        "observations are not added; the result lists the skipped names in `skipped`. Use "
        "add_observations to add observations to an existing entity.",
        annotations=WRITES,
    )
    async def create_entities(entities: list[NewEntity]) -> CreatedEntities:
        wanted = tools.revealed(entities)
        return await call(lambda store: memory.create_entities(store, wanted))

    @server.tool(
        title="Create Relations",
        description="Create multiple new relations between entities in the knowledge graph. "
        "Relations should be in active voice",
        annotations=WRITES,
    )
    async def create_relations(relations: list[RelationRef]) -> CreatedRelations:
        wanted = tools.revealed(relations)
        return await call(lambda store: memory.create_relations(store, wanted))

    @server.tool(
        title="Add Observations",
        description="Add new observations to existing entities in the knowledge graph",
        annotations=WRITES,
    )
    async def add_observations(observations: list[ObservationsToAdd]) -> ObservationResults:
        wanted = tools.revealed(observations)
        return await call(lambda store: memory.add_observations(store, wanted))

    @server.tool(
        title="Delete Entities",
        description="Delete multiple entities and their associated relations from the "
        "knowledge graph",
        annotations=DELETES,
    )
    async def delete_entities(
        entityNames: Annotated[list[str], Field(description="An array of entity names to delete")],  # noqa: N803
    ) -> Status:
        wanted = tools.revealed(entityNames)
        return await call(lambda store: memory.delete_entities(store, wanted))

    @server.tool(
        title="Delete Observations",
        description="Delete specific observations from entities in the knowledge graph",
        annotations=DELETES,
    )
    async def delete_observations(deletions: list[ObservationsToDelete]) -> Status:
        wanted = tools.revealed(deletions)
        return await call(lambda store: memory.delete_observations(store, wanted))

    @server.tool(
        title="Delete Relations",
        description="Delete multiple relations from the knowledge graph",
        annotations=DELETES,
    )
    async def delete_relations(
        relations: Annotated[
            list[RelationRef], Field(description="An array of relations to delete")
        ],
    ) -> Status:
        wanted = tools.revealed(relations)
        return await call(lambda store: memory.delete_relations(store, wanted))

    @server.tool(
        title="Read Graph", description="Read the entire knowledge graph", annotations=READS
    )
    async def read_graph() -> KnowledgeGraph:
        return await call(lambda store: store.read_graph())

    @server.tool(
        title="Search Nodes",
        description="Search for nodes in the knowledge graph based on a query",
        annotations=READS,
    )
    async def search_nodes(
        query: Annotated[
            str,
            Field(
                max_length=2048,
                description="The search query to match against entity names, types, and "
                "observation content",
            ),
        ],
    ) -> KnowledgeGraph:
        wanted = tools.revealed(query)
        return await call(lambda store: store.search_nodes(wanted))

    @server.tool(
        title="Open Nodes",
        description="Open specific nodes in the knowledge graph by their names",
        annotations=READS,
    )
    async def open_nodes(
        names: Annotated[list[str], Field(description="An array of entity names to retrieve")],
    ) -> KnowledgeGraph:
        wanted = tools.revealed(names)
        return await call(lambda store: store.open_nodes(wanted))


def _recall_tool(server: MCPServer, tools: AgentTools) -> None:
    @server.tool(
        title="Recall",
        description="The facts in memory closest in meaning to the query (and matching its "
        "words), best first, each with the entity it is about, when it was recorded and where "
        "it came from: user, agent, an import, or a chat line `path:line`.",
        annotations=READS,
    )
    async def recall(
        query: Annotated[str, Field(min_length=1, max_length=2048, description="What to recall.")],
        k: Annotated[int, Field(ge=1, le=50, description="How many facts.")] = 5,
    ) -> RecallResult:
        wanted = tools.revealed(query)
        return await _run(_when_ready(tools, asyncio.to_thread(tools.recall, wanted, k)))


async def _run(work: Awaitable[T]) -> T:
    try:
        return await work
    except ChatxError as exc:
        raise ProblemError(exc.problem) from exc


async def _when_ready(tools: AgentTools, work: Awaitable[T]) -> T:
    """`work` once the daemon's embedder is loaded (its failure is the Problem)."""
    try:
        await tools.daemon.ready()
    except BaseException:
        if isinstance(work, Coroutine):
            work.close()
        raise
    return await work


async def load_models(daemon: Daemon) -> None:
    """The embedder, then the gate's name model: one after the other, since the name model's
    load must not overlap an import of torch (`shield.ner`)."""
    await daemon.load_embedder()
    if daemon.settings.agent.shield:
        await daemon.load_name_model()


def serve(workspace: Path, settings: Settings) -> int:
    """Run the MCP server for `workspace` on stdin/stdout until the client goes away. The
    process is also the workspace's daemon: it loads the embedder and the gate's name model in
    the background, keeps the index current as files change, and answers the workspace socket
    (`chatx.endpoint`)."""

    async def main() -> None:
        daemon = Daemon([workspace], settings)
        folder = daemon.folders[0]
        daemon.spawn(load_models(daemon), "load models")
        daemon.spawn(serve_folder(daemon, folder), "socket")
        daemon.spawn(daemon.follow_shared(), "follow shared index")
        if settings.editor.watch and folder.store().indexed():
            daemon.spawn(daemon.watch(), "watch")  # an agent never indexes a folder unasked
        try:
            await daemon.load_vocabulary()
            await create_server(AgentTools(daemon)).run_stdio_async()
        finally:
            await daemon.shutdown()

    asyncio.run(main())
    return 0
