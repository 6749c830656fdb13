"""The `chatx` command line: index, query, status, extract, redact, preflight, the model-backed
actions (ask, summarize, reply, plan-slice, tdd-loop, security-review), ledger, serve, mcp,
agent init, hook."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from chatx import __version__
from chatx.actions import DEFAULT_TONE, MODEL_ACTIONS, SPECS
from chatx.problems import ChatxError, ProblemCode, make_problem

if TYPE_CHECKING:
    from chatx.cli.inputs import Input
    from chatx.shield import Shield

log = logging.getLogger("chatx")
M = TypeVar("M", bound=BaseModel)
QUERY_TIMEOUT_S = 60.0
ACTION_TIMEOUT_S = 900.0


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from chatx.formats import FORMATS, PLATFORMS

    parser = argparse.ArgumentParser(prog="chatx", description=__doc__)
    parser.add_argument("--version", action="version", version=f"chatx {__version__}")
    parser.add_argument(
        "--error-format",
        choices=["text", "json"],
        default="text",
        help="how failures are printed on stderr",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", required=True)

    index = sub.add_parser("index", help="index a workspace (incremental)")
    index.add_argument("path", nargs="?", default=".", type=Path)
    index.add_argument("--json", action="store_true")
    index.add_argument(
        "--store",
        choices=["lancedb", "pgvector"],
        help="index into this store, and keep it as the workspace's choice (ADR 0017)",
    )

    query = sub.add_parser("query", help="hybrid search with citations")
    query.add_argument("query")
    query.add_argument("--workspace", type=Path, default=Path("."))
    query.add_argument("--k", type=int, default=8)
    query.add_argument("--kind", choices=["chat", "doc"])
    query.add_argument("--platform", choices=PLATFORMS)
    query.add_argument("--since", type=_date)
    query.add_argument("--until", type=_date)
    query.add_argument("--participant")
    query.add_argument("--path", dest="path_glob", help="only sources matching this glob")
    query.add_argument("--json", action="store_true")

    migrate = sub.add_parser(
        "migrate", help="copy the index to another store with its vectors (no re-embedding)"
    )
    migrate.add_argument("--to", required=True, choices=["lancedb", "pgvector"])
    migrate.add_argument("path", nargs="?", default=".", type=Path)

    status = sub.add_parser("status", help="what was indexed, skipped or failed")
    status.add_argument("--workspace", type=Path, default=Path("."))
    status.add_argument("--json", action="store_true")

    extract = sub.add_parser(
        "extract",
        help="print the canonical messages of a file, a zip or an export folder as JSONL",
    )
    extract.add_argument("file", type=Path, help="a file, a zip, or a folder holding one export")
    extract.add_argument("--format", default="auto", choices=FORMATS)

    show = sub.add_parser(
        "show", help="print what a citation points at (a message, a page, lines in a zip)"
    )
    show.add_argument("locator", help="e.g. chats/chat.db#message=120 or docs/r.pdf#page=3")
    show.add_argument("--workspace", type=Path, default=Path("."))
    show.add_argument("--context", type=int, default=3, help="messages or lines around it")

    redact = sub.add_parser(
        "redact", help="print a file (or stdin) with personal data and secrets pseudonymised"
    )
    redact.add_argument("file", help="a file, or - for stdin")
    redact.add_argument("--workspace", type=Path, help="also redact this index's participants")
    redact.add_argument("--report", type=Path, help="write the redaction report (JSON) here")

    preflight = sub.add_parser(
        "preflight", help="redact, re-scan, and fail unless nothing sensitive is left"
    )
    preflight.add_argument("file", help="a file, or - for stdin")
    preflight.add_argument("--workspace", type=Path, help="also redact this index's participants")
    preflight.add_argument("--strict", action="store_true", help="wider re-scan, 0.999 threshold")
    preflight.add_argument(
        "--labelled",
        action="store_true",
        help="the input is labelled JSONL ([[kind:value]] marks): measure coverage against it",
    )
    preflight.add_argument("--json", action="store_true", help="print the report as JSON")

    for spec in (spec for spec in SPECS if spec.model):
        command = sub.add_parser(spec.name, help=spec.help)
        command.add_argument(
            "text",
            help="the question" if spec.name == "ask" else "the text, a file, or - for stdin",
        )
        command.add_argument("--workspace", type=Path, default=Path("."))
        command.add_argument("--backend", choices=["auto", "local", "cloud"])
        command.add_argument(
            "--allow-cloud", action="store_true", default=None, help="let this call use Claude"
        )
        command.add_argument("--json", action="store_true")
        for option, default in spec.options.items():
            command.add_argument(f"--{option}", default=default)
        if spec.name == "reply":
            command.add_argument("--before", default="", help="the earlier turns (text or file)")

    ledger = sub.add_parser("ledger", help="summarise the token ledger of model calls")
    ledger.add_argument("--workspace", type=Path, default=Path("."))
    ledger.add_argument("--since", type=_date, help="only calls on or after this day")
    ledger.add_argument("--json", action="store_true")

    serve = sub.add_parser("serve", help="the language server an editor starts (stdio)")
    serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (default)")
    serve.add_argument("--tcp", action="store_true", help="listen on 127.0.0.1 instead")
    serve.add_argument("--port", type=int, default=2087)
    serve.add_argument(
        "--print-token-path",
        action="store_true",
        help="print where `--tcp --port N` keeps the token clients present, and exit",
    )
    mcp = sub.add_parser("mcp", help="the MCP server a coding agent starts (stdio)")
    mcp.add_argument(
        "--workspace", type=Path, help="default: $CLAUDE_PROJECT_DIR, else the current directory"
    )
    memory = sub.add_parser("memory", help="the workspace memory: entities, facts, relations")
    facts = memory.add_subparsers(dest="memory_command", required=True)
    add = facts.add_parser("add", help="add an entity (if new) and a fact about it")
    add.add_argument("name")
    add.add_argument("--type", default="person", help="its entity type (default: person)")
    add.add_argument("--observation", action="append", default=[], help="a fact (repeatable)")
    relate = facts.add_parser("relate", help="relate two entities: FROM RELATION TO")
    relate.add_argument("source", metavar="FROM")
    relate.add_argument("relation")
    relate.add_argument("target", metavar="TO")
    show = facts.add_parser("show", help="an entity, its current facts and its relations")
    show.add_argument("name")
    show.add_argument("--as-of", type=_date, help="what was believed on this day")
    find = facts.add_parser("search", help="the facts closest to QUERY in meaning and words")
    find.add_argument("query")
    find.add_argument("--k", type=int, default=5, help="how many facts")
    forget = facts.add_parser("forget", help="retire an entity, or one fact of it")
    forget.add_argument("name")
    forget.add_argument("--observation", type=int, help="the id of the fact (`memory show`)")
    load = facts.add_parser("import", help="import the reference server's memory.jsonl")
    load.add_argument("file", type=Path)
    facts.add_parser("export", help="print the memory as memory.jsonl")
    for command in (add, relate, show, find, forget, load):
        command.add_argument("--workspace", type=Path, default=Path("."))
        command.add_argument("--json", action="store_true")
    export = facts.choices["export"]
    export.add_argument("--workspace", type=Path, default=Path("."))
    export.add_argument("--json", action="store_true", help="(the output is JSON lines anyway)")

    agent = sub.add_parser("agent", help="set up a coding agent for a repository")
    agent_commands = agent.add_subparsers(dest="agent_command", required=True)
    init = agent_commands.add_parser(
        "init",
        help="write or merge .mcp.json, .claude/settings.json, commands and the privacy "
        "agent for Claude Code (idempotent; your own keys and files are kept)",
    )
    init.add_argument("path", nargs="?", default=".", type=Path)
    init.add_argument("--dry-run", action="store_true", help="print the diff, write nothing")
    init.add_argument(
        "--command",
        dest="executable",
        help="the chatx executable the hooks and the MCP server run (default: this one; a "
        "path relative to the repository runs from $CLAUDE_PROJECT_DIR)",
    )
    init.add_argument(
        "--plugin", action="store_true", help="also write the Claude Code plugin (.claude-plugin/)"
    )

    from chatx.cli import hook

    hook.add_arguments(sub.add_parser("hook", help="a Claude Code hook: reads its event on stdin"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `chatx` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="chatx: %(levelname)s %(message)s",
    )
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "index": _index,
        "migrate": _migrate,
        "query": _query,
        "status": _status,
        "extract": _extract,
        "show": _show,
        "redact": _redact,
        "preflight": _preflight,
        "serve": _serve,
        "mcp": _mcp,
        "agent": _agent,
        "memory": _memory,
        "hook": _hook,
        "ledger": _ledger,
        **dict.fromkeys(MODEL_ACTIONS, _action),
    }
    try:
        return handlers[args.command](args)
    except ChatxError as exc:
        _report(args, exc.problem.model_dump())
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        log.debug("internal error", exc_info=True)
        _report(args, make_problem(ProblemCode.INTERNAL, repr(exc)).model_dump())
        return 1


def _serve(args: argparse.Namespace) -> int:
    if args.print_token_path:
        from chatx.lsp.tcp import token_path

        print(token_path(args.port))
        return 0
    from chatx.lsp.server import serve

    if not args.verbose:
        logging.getLogger("chatx").setLevel(logging.INFO)
    return serve(tcp=args.tcp, port=args.port)


def _mcp(args: argparse.Namespace) -> int:
    from chatx.agent.mcp_server import serve
    from chatx.config import load_settings

    folder = args.workspace or Path(os.environ.get("CLAUDE_PROJECT_DIR") or ".")
    workspace = _workspace(folder)
    return serve(workspace, load_settings(workspace))


def _agent(args: argparse.Namespace) -> int:
    import difflib

    from chatx.agent.setup import plan

    workspace = _workspace(args.path)
    planned = plan(workspace, args.executable or _chatx_executable(), plugin=args.plugin)
    for item in planned:
        if args.dry_run and item.changed:
            old = (item.old or "").splitlines(keepends=True)
            new = item.new.splitlines(keepends=True)
            before = f"a/{item.path}" if item.old is not None else "/dev/null"
            sys.stdout.writelines(difflib.unified_diff(old, new, before, f"b/{item.path}"))
        elif item.changed:
            _write_atomically(workspace / item.path, item.new)
        prefix = "would be " if args.dry_run and item.changed else ""
        print(f"{prefix}{item.state}: {item.path}", file=sys.stderr)
    return 0


def _memory(args: argparse.Namespace) -> int:
    from chatx.cli import memory

    return memory.run(args, _workspace(args.workspace))


def _chatx_executable() -> str:
    """This installation's `chatx` (the script beside the running Python, when there is one)."""
    import shutil

    beside = Path(sys.executable).with_name("chatx")
    if beside.is_file():
        return str(beside)
    return shutil.which("chatx") or "chatx"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _hook(args: argparse.Namespace) -> int:
    from chatx.cli import hook

    return hook.run(args.event, args.workspace)


def _report(args: argparse.Namespace, problem: dict[str, object]) -> None:
    if args.error_format == "json":
        print(json.dumps(problem), file=sys.stderr)
    else:
        where = f" ({problem['instance']})" if problem.get("instance") else ""
        print(f"chatx: {problem['title']}: {problem['detail']}{where}", file=sys.stderr)


def _workspace(path: Path) -> Path:
    if not path.is_dir():
        raise ChatxError.of(ProblemCode.INVALID_INPUT, f"not a directory: {path}", str(path))
    return path.resolve()


def _emit(model: BaseModel) -> None:
    print(model.model_dump_json())


def _index(args: argparse.Namespace) -> int:
    from chatx.cli.output import index_progress, print_index_summary
    from chatx.config import load_settings
    from chatx.index.indexer import Indexer

    workspace = _workspace(args.path)
    settings = load_settings(workspace)
    if args.store:
        from chatx.config import record_store
        from chatx.index.migrate import with_store

        settings = with_store(settings, args.store)
        record_store(workspace, args.store)
    with index_progress() as progress:
        indexer = Indexer(workspace, settings, progress=progress)
        summary = indexer.run()
    if indexer.changed_sources:
        from chatx.memory.derive import refresh

        refresh(workspace, settings)  # the people of the chats, into the memory
    if args.json:
        _emit(summary)
    else:
        print_index_summary(summary)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from chatx.config import load_settings, record_store
    from chatx.index.migrate import migrate

    workspace = _workspace(args.path)
    settings = load_settings(workspace)
    done = migrate(workspace, settings, args.to)
    record_store(workspace, args.to)
    print(f"copied {done.chunks} chunks and {done.files} catalog entries")
    print(f"  from {done.source}")
    print(f"  to   {done.target}")
    if load_settings(workspace).index.vector_store != args.to:
        print(f"the workspace keeps {settings.index.vector_store}: vectorStore is set explicitly")
    return 0


def _by_daemon(
    workspace: Path, method: str, params: dict[str, Any], model: type[M], timeout: float
) -> M | None:
    """`method` answered by the workspace's daemon (`chatx serve` or `chatx mcp`, which have
    the models loaded), or None when none runs: the caller then works in-process."""
    from chatx import endpoint
    from chatx.problems import problem_from

    try:
        answer = endpoint.call(workspace, method, params, timeout)
    except endpoint.DaemonError as exc:
        raise ChatxError(problem_from(exc.problem)) from exc
    return None if answer is None else model.model_validate(answer)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _query(args: argparse.Namespace) -> int:
    from chatx.config import load_settings
    from chatx.index.search import SearchService
    from chatx.index.store import Filters
    from chatx.models import QueryResult

    workspace = _workspace(args.workspace)
    if args.k < 1:
        raise ChatxError.of(ProblemCode.INVALID_INPUT, "--k must be at least 1")
    filters = Filters.of(args)
    params = {"query": args.query, "k": args.k, "filters": _jsonable(dataclasses.asdict(filters))}
    result = _by_daemon(workspace, "query", params, QueryResult, QUERY_TIMEOUT_S)
    if result is None:
        search = SearchService(workspace, load_settings(workspace))
        result = search.query(args.query, args.k, filters)
    if args.json:
        _emit(result)
    else:
        from chatx.cli.output import print_query_result

        print_query_result(result)
    return 0


def _status(args: argparse.Namespace) -> int:
    from chatx.config import load_settings
    from chatx.index.status import workspace_status

    workspace = _workspace(args.workspace)
    report = workspace_status(workspace, load_settings(workspace))
    if args.json:
        _emit(report)
    else:
        from chatx.cli.output import print_status

        print_status(report)
    return 0


def _extract(args: argparse.Namespace) -> int:
    from chatx.config import load_settings
    from chatx.ingest import extract, extract_path

    path: Path = args.file
    zone = load_settings(Path.cwd()).index.zone()
    if path.is_dir() and args.format == "auto":
        result = extract_path(path, path.as_posix(), zone)
    elif path.is_file():
        result = extract(path, path.as_posix(), zone, args.format)
    else:
        raise ChatxError.of(ProblemCode.INVALID_INPUT, f"not a file or folder: {path}", str(path))
    if result.kind != "chat":
        raise ChatxError.of(
            ProblemCode.UNSUPPORTED_FORMAT,
            f"{path} is a {result.format} document, not a chat",
            str(path),
        )
    for problem in result.problems:
        _report(args, problem.model_dump())
    for message in result.iter_messages():
        print(message.model_dump_json())
    return 0


def _show(args: argparse.Namespace) -> int:
    from chatx.config import load_settings
    from chatx.ingest.locate import parse_locator, show

    workspace: Path = args.workspace
    zone = load_settings(workspace).index.zone()
    for line in show(workspace, parse_locator(args.locator), max(0, args.context), zone):
        print(line)
    return 0


def _shield_input(
    args: argparse.Namespace,
) -> tuple[Shield, Input]:
    from chatx.cli.inputs import read_input
    from chatx.config import load_settings
    from chatx.index.status import workspace_participants
    from chatx.shield import Shield

    workspace = _workspace(args.workspace) if args.workspace else None
    settings = load_settings(workspace or Path.cwd())
    source = read_input(args.file, settings.index.zone())
    participants = source.senders()
    if workspace is not None:
        participants.update(workspace_participants(workspace, settings))
    return Shield.from_settings(settings, participants, source.senders(me=True)), source


def _redact(args: argparse.Namespace) -> int:
    from chatx.cli.inputs import redact_input

    shield, source = _shield_input(args)
    result = redact_input(shield, source)
    if result.chat:
        for line in result.output:
            print(line)
    else:
        sys.stdout.write(result.output[0])
    if args.report:
        args.report.write_text(result.report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    for reason in result.report.unavailable:
        print(f"chatx: warning: {reason}; names nobody listed were not redacted", file=sys.stderr)
    return 0


def _preflight(args: argparse.Namespace) -> int:
    from chatx.cli.inputs import labelled_records, redact_input
    from chatx.shield import require_pass

    shield, source = _shield_input(args)
    if args.labelled:
        report = shield.coverage(labelled_records(source), strict=args.strict, source=source.source)
    else:
        report = redact_input(shield, source, strict=args.strict).report
    if args.json:
        _emit(report)
    else:
        from chatx.cli.output import print_redaction_report

        print_redaction_report(report)
    require_pass(report)
    return 0


def _text_arg(value: str, workspace: Path) -> tuple[str, str | None]:
    """The text of an argument that may be `-` (stdin) or a file, and the file's path."""
    if value == "-":
        return sys.stdin.read(), None
    path = Path(value)
    if len(value) < 4096 and "\n" not in value and path.is_file():
        from chatx.cli.inputs import read_input

        text = read_input(value, None).text
        try:
            shown = path.resolve().relative_to(workspace).as_posix()
        except ValueError:
            shown = path.as_posix()
        return text, shown
    return value, None


def _action(args: argparse.Namespace) -> int:
    import asyncio

    from chatx.assistant import ActionInput, workspace_assistant
    from chatx.config import load_settings
    from chatx.models import ActionResult

    workspace = _workspace(args.workspace)
    text, path = (args.text, None) if args.command == "ask" else _text_arg(args.text, workspace)
    before = _text_arg(args.before, workspace)[0] if getattr(args, "before", "") else ""
    request = ActionInput(args.command, text, path, before, getattr(args, "tone", DEFAULT_TONE))
    params = {
        "input": dataclasses.asdict(request),
        "backend": args.backend,
        "allow_cloud": args.allow_cloud,
    }
    result = _by_daemon(workspace, "action", params, ActionResult, ACTION_TIMEOUT_S)
    if result is None:
        assistant = workspace_assistant(workspace, load_settings(workspace))

        async def run() -> ActionResult:
            try:
                return await assistant.run(request, args.backend, args.allow_cloud)
            finally:
                await assistant.aclose()

        result = asyncio.run(run())
    if args.json:
        _emit(result)
    else:
        from chatx.cli.output import print_action_result

        print_action_result(result)
    return 0


def _ledger(args: argparse.Namespace) -> int:
    from datetime import datetime

    from chatx.index.indexer import state_dir
    from chatx.llm.ledger import Ledger, summarise

    workspace = _workspace(args.workspace)
    since = datetime.combine(args.since, datetime.min.time()).timestamp() if args.since else None
    ledger = Ledger(state_dir(workspace))
    try:
        summary = summarise(ledger.entries(since))
    finally:
        ledger.close()
    if args.json:
        _emit(summary)
    else:
        from chatx.cli.output import print_ledger

        print_ledger(summary)
    return 0
