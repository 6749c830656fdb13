"""`chatx hook EVENT`: the Claude Code hooks `chatx agent init` installs. Each reads its event
(JSON) on stdin and answers on stdout as Claude Code expects.

- `prompt` (UserPromptSubmit) adds the prompt's relevant cited passages, redacted. Fail-open:
  when it cannot, it exits 0 with the reason on stderr and the prompt goes on without them.
- `pre-tool` (PreToolUse) denies secret paths and outbound personal data. Fail-closed: an event
  it cannot read, or a failure, exits 2, which blocks the call (the reason on stderr).
- `post-tool` (PostToolUse on Edit/Write) re-indexes the edited files. Fail-open: the watcher
  or the next run catches up.
- `session-start` (SessionStart) says how fresh the index is and starts an incremental run in
  the background. Fail-open.

The workspace's daemon (`chatx.endpoint`) answers when `chatx serve` or `chatx mcp` runs for
the workspace; otherwise the hook does the work in-process. Until it needs to, this module
loads nothing beyond the standard library, so that a hook the daemon answers stays short.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from chatx import CATALOG, STATE_DIR, endpoint

if TYPE_CHECKING:
    from chatx.config import Settings
    from chatx.shield import Shield

T = TypeVar("T")
EVENTS = ("prompt", "pre-tool", "post-tool", "session-start")
CONTEXT_TIMEOUT_S = 20.0
FORK_TIMEOUT_S = 20.0
REINDEX_TIMEOUT_S = 60.0  # under the hook's own 120 s, so the in-process fallback can run
INDEX_LOG = "index.log"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The hook's arguments (shared with `chatx --help`)."""
    parser.add_argument(
        "event",
        choices=EVENTS,
        help="prompt: UserPromptSubmit; pre-tool: PreToolUse; post-tool: PostToolUse; "
        "session-start: SessionStart",
    )
    parser.add_argument(
        "--workspace", type=Path, help="default: $CLAUDE_PROJECT_DIR, else the event's cwd"
    )


def main(argv: list[str]) -> int:
    """Run one hook: `argv` is what follows `chatx hook`. Arguments this version does not know
    (a newer plugin, say) block only a PreToolUse call, never a prompt."""
    parser = argparse.ArgumentParser(prog="chatx hook", description=__doc__.split("\n")[0])
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        if exc.code in (0, None):
            return 0
        return 2 if argv[:1] == ["pre-tool"] else 0
    return run(args.event, args.workspace)


def run(event_name: str, workspace: Path | None) -> int:
    """Read the event on stdin, answer it; the exit code follows the table above."""
    closed = event_name == "pre-tool"
    try:
        event = json.loads(sys.stdin.read())
        if not isinstance(event, dict):
            raise ValueError("expected a JSON object")
        folder = workspace or os.environ.get("CLAUDE_PROJECT_DIR") or event.get("cwd") or "."
        root = Path(folder).resolve()
        answer = HOOKS[event_name](event, root)
    except Exception as exc:
        verdict = "blocking the call" if closed else "going on without chatx"
        _say(event_name, f"{_reason(exc)}; {verdict}")
        return 2 if closed else 0
    if answer is not None:
        print(json.dumps(answer))
    return 0


def _say(event_name: str, message: str) -> None:
    print(f"chatx hook {event_name}: {message}", file=sys.stderr)


def _reason(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    if isinstance(problem, dict):
        return str(problem.get("detail", exc))
    if problem is not None:
        return str(getattr(problem, "detail", exc))
    if isinstance(exc, ValueError):
        return f"cannot read the event ({exc})"
    return f"failed ({exc!r})"


def prompt(event: dict[str, Any], workspace: Path) -> dict[str, Any] | None:
    """UserPromptSubmit: the prompt's cited passages as additional context, or nothing."""
    text = event.get("prompt")
    if not isinstance(text, str) or not text.strip():
        return None
    context = endpoint.call(workspace, "context", {"prompt": text}, CONTEXT_TIMEOUT_S)
    if context is None:
        context = _context_in_process(workspace, text)
    return context_output("UserPromptSubmit", str(context)) if context else None


def context_output(event: str, context: str) -> dict[str, Any]:
    """A hook answer that adds `context` to what the agent's model reads."""
    return {"hookSpecificOutput": {"hookEventName": event, "additionalContext": context}}


def _context_in_process(workspace: Path, text: str) -> str:
    """The context without a daemon. The search runs in a forked child while this process loads
    the Shield's models: each takes about half a second on its own core. Only the settings are
    loaded before the fork (no thread runs yet)."""
    from chatx.config import load_settings

    settings = load_settings(workspace)

    def search() -> list[tuple[str, str]]:
        from chatx.agent.context import found_passages
        from chatx.index.search import SearchService
        from chatx.memory.recall import Recaller
        from chatx.memory.store import memory_path, open_memory

        service = SearchService(workspace, settings)
        recaller = None
        if memory_path(workspace).exists() and service.store().indexed():
            recaller = Recaller(open_memory(workspace), service.loaded_embedder())
        return found_passages(text, service, settings, recaller)

    if not settings.agent.shield:
        from chatx.agent.context import render

        return render(search(), None)
    package = settings.shield.name_model
    kept = _forked(search, lambda: _load_name_finder(package), FORK_TIMEOUT_S)
    from chatx.agent.context import render

    return render(kept, lambda: _shield(workspace, settings))


def _shield(workspace: Path, settings: Settings) -> Shield:
    """The workspace's Shield: the configured names and the index's participants."""
    from chatx.index.status import workspace_participants
    from chatx.shield import Shield

    return Shield.from_settings(settings, workspace_participants(workspace, settings))


def _load_name_finder(package: str) -> None:
    from chatx.shield.persons import lexicon_finder, unlisted_names

    unlisted_names(package) if package else lexicon_finder()


def _forked(work: Callable[[], T], meanwhile: Callable[[], None], timeout: float) -> T:
    """`work()` run in a forked child while `meanwhile()` runs here; its result (or Problem)
    comes back pickled within `timeout` seconds, else the child is killed. Without `fork`, one
    after the other."""
    if not hasattr(os, "fork"):
        meanwhile()
        return work()
    import pickle
    import select
    import signal

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the work, its outcome on the pipe, out without cleanup
        code = 1
        try:
            os.close(read)
            try:
                outcome: tuple[str, Any] = ("ok", work())
            except Exception as exc:
                problem = getattr(exc, "problem", None)
                outcome = (
                    ("problem", problem.model_dump(mode="json"))
                    if problem
                    else ("error", repr(exc))
                )
            with os.fdopen(write, "wb") as out:
                pickle.dump(outcome, out)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    pipe = os.fdopen(read, "rb", buffering=0)
    data, complete = b"", False
    try:
        meanwhile()
        deadline = time.monotonic() + timeout
        while chunk := _read_before(pipe, deadline, select.select):
            data += chunk
        complete = True
    finally:
        pipe.close()
        if not complete:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    kind, value = pickle.loads(data)
    if kind == "ok":
        return cast(T, value)
    if kind == "problem":
        from chatx.problems import ChatxError, problem_from

        raise ChatxError(problem_from(value))
    raise RuntimeError(f"the search failed: {value}")


def _read_before(pipe: Any, deadline: float, select: Any) -> bytes:
    """The next bytes of `pipe`, b"" at its end; TimeoutError past `deadline`."""
    left = deadline - time.monotonic()
    if left <= 0 or not select([pipe], [], [], left)[0]:
        raise TimeoutError("the search did not finish in time")
    return bytes(pipe.read(65536))


def pre_tool(event: dict[str, Any], workspace: Path) -> dict[str, Any] | None:
    """PreToolUse: a denial, or nothing to leave the call to the user's permissions."""
    from chatx.agent.hooks import pre_tool as verdict

    def scan(text: str) -> list[str]:  # the Shield loads only for a payload that may leave
        from chatx.config import load_settings

        shield = _shield(workspace, load_settings(workspace))
        return [finding.kind for finding in shield.quick.scan(text)]

    denial = verdict(event, scan)
    return denial.output() if denial else None


def post_tool(event: dict[str, Any], workspace: Path) -> dict[str, Any] | None:
    """PostToolUse on Edit/Write: re-index the changed files of the workspace now."""
    from chatx.agent.hooks import edited_paths

    paths = [p for p in (_inside(workspace, v) for v in edited_paths(event)) if p is not None]
    if not paths or not (workspace / STATE_DIR / CATALOG).exists():
        return None  # nothing edited here, or a workspace nobody asked to index
    params = {"paths": [str(p) for p in paths]}
    if endpoint.call(workspace, "reindex", params, REINDEX_TIMEOUT_S) is None:
        from chatx.config import load_settings
        from chatx.index.indexer import Indexer

        settings = load_settings(workspace)
        Indexer(workspace, settings, paths=frozenset(paths), optimize=False).run()
    return None


def _inside(workspace: Path, value: str) -> Path | None:
    path = Path(value) if Path(value).is_absolute() else workspace / value
    path = path.resolve()
    return path if workspace in path.parents else None


def session_start(event: dict[str, Any], workspace: Path) -> dict[str, Any] | None:
    """SessionStart: how fresh the index is, and an incremental run started in the background
    (by the daemon when one answers, else a detached `chatx index`). A workspace that was
    never indexed is left alone: the agent is told how to index it."""
    catalog = workspace / STATE_DIR / CATALOG
    if not catalog.exists():
        return context_output(
            "SessionStart",
            "ChatX: this workspace is not indexed, so the chatx tools answer 'not indexed'. "
            "The user can run `chatx index .` to index its chats and docs.",
        )
    from chatx.config import load_settings

    age = _ago(time.time() - catalog.stat().st_mtime)
    if not load_settings(workspace).agent.session_index:
        runner = "it is not refreshed at session start (`agentSessionIndex` is off)"
    elif endpoint.call(workspace, "refresh", {}, 5.0) is not None:
        runner = "the running ChatX daemon is bringing it up to date"
    else:
        _index_in_background(workspace)
        runner = (
            f"an incremental `chatx index` runs in the background (log: {STATE_DIR}/{INDEX_LOG})"
        )
    text = (
        f"ChatX: this workspace's chats and docs were last indexed {age} ago; {runner}. Use "
        "the chatx MCP tools (search, ask) for what was said or decided, and cite path:line."
    )
    return context_output("SessionStart", text)


def _index_in_background(workspace: Path) -> None:
    log = workspace / STATE_DIR / INDEX_LOG
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        subprocess.Popen(
            [sys.executable, "-m", "chatx", "index", str(workspace)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )


def _ago(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


HOOKS: dict[str, Callable[[dict[str, Any], Path], dict[str, Any] | None]] = {
    "prompt": prompt,
    "pre-tool": pre_tool,
    "post-tool": post_tool,
    "session-start": session_start,
}
