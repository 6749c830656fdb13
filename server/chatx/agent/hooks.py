"""Claude Code hooks, as pure decisions over the event a hook reads on stdin (no I/O here;
`chatx hook …` in the CLI reads the event and prints the answer).

`edited_paths` names the files a `PostToolUse` Edit or Write changed, to re-index them (the
prompt's passages are `agent.context`).

`pre_tool` (PreToolUse) denies a tool call that would read or edit a secret file (`.env*`,
`secrets/**`, private keys, credential files: the names the indexer never reads), including
through a Bash command, and a call that would send personal data off this machine (WebFetch,
WebSearch, a Bash command that uses the network) when the Policy Shield finds it in the
payload. The reason names the kinds found, never the values. The secret-path guard fails
closed: an event that cannot be read blocks the call.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import unquote_plus

from chatx.index.walker import is_secret_name

SECRET_DIRS = frozenset({"secrets", ".ssh", ".aws", ".gnupg"})
FILE_KEYS = ("file_path", "notebook_path", "path")
EDIT_TOOLS = frozenset({"Edit", "MultiEdit", "Write", "NotebookEdit"})
OUTBOUND_TOOLS = frozenset({"WebFetch", "WebSearch"})
NETWORK_COMMANDS = frozenset(
    {
        "curl",
        "wget",
        "http",
        "https",
        "xh",
        "nc",
        "ncat",
        "netcat",
        "telnet",
        "ssh",
        "scp",
        "sftp",
        "rsync",
        "ftp",
        "mail",
        "sendmail",
    }
)

Scan = Callable[[str], list[str]]  # the kinds of personal data the Shield finds in a text


class EventError(ValueError):
    """The hook's stdin is not the event it handles."""


@dataclass(frozen=True)
class Denial:
    """A tool call the hook blocks, and why (shown to the agent)."""

    reason: str

    def output(self) -> dict[str, Any]:
        """The PreToolUse answer Claude Code reads on stdout."""
        return {
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "deny",
                "permissionDecisionReason": self.reason,
            }
        }


def edited_paths(event: Mapping[str, Any]) -> list[str]:
    """The files a PostToolUse event's Edit, Write or notebook edit changed (secret files
    excluded: they are never indexed). Raises `EventError` for an event without a tool."""
    tool, arguments = event.get("tool_name"), event.get("tool_input")
    if not isinstance(tool, str) or not isinstance(arguments, Mapping):
        raise EventError("expected a PostToolUse event with tool_name and tool_input")
    if tool not in EDIT_TOOLS:
        return []
    values = (arguments.get(key) for key in FILE_KEYS)
    return [v for v in values if isinstance(v, str) and v and not secret_path(v)]


def secret_path(path: str) -> bool:
    """Whether `path` names a secret file or lies in a secret folder."""
    parts = PurePath(path.strip("'\"")).parts
    if not parts:
        return False
    return is_secret_name(parts[-1]) or any(p.lower() in SECRET_DIRS for p in parts[:-1])


def pre_tool(event: Mapping[str, Any], scan: Scan) -> Denial | None:
    """The verdict on one PreToolUse event: a `Denial`, or None to leave the call to the
    user's permissions. Raises `EventError` for an event without a tool name and input."""
    tool, arguments = event.get("tool_name"), event.get("tool_input")
    if not isinstance(tool, str) or not isinstance(arguments, Mapping):
        raise EventError("expected a PreToolUse event with tool_name and tool_input")
    for key in FILE_KEYS:
        value = arguments.get(key)
        if isinstance(value, str) and secret_path(value):
            return Denial(f"chatx: {value} is a secret file; agents never read or edit it")
    command = arguments.get("command") if tool == "Bash" else None
    words = _words(command) if isinstance(command, str) else []
    if secret := next((word for word in words if secret_path(word)), None):
        return Denial(f"chatx: the command touches {secret}, a secret file; it is not run")
    if tool in OUTBOUND_TOOLS:
        payload = "\n".join(_strings(arguments.values()))
    elif any(PurePath(word).name in NETWORK_COMMANDS for word in words):
        payload = str(command)
    else:
        return None
    kinds = sorted(set(scan(payload)) | set(scan(unquote_plus(payload))))  # URLs are encoded
    if not kinds:
        return None
    return Denial(
        f"chatx: {tool} would send personal data off this machine ({', '.join(kinds)}, found "
        "by the Policy Shield); send it without them, or redact it first (`chatx redact`)"
    )


def _words(command: str) -> list[str]:
    """The words of a shell command, operators apart and `--opt=value` split."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:  # unbalanced quotes: read it as plain words
        words = command.split()
    return [part for word in words for part in word.split("=") if part]


def _strings(values: Iterable[Any]) -> Iterable[str]:
    for value in values:
        if isinstance(value, str):
            yield value
        elif isinstance(value, Mapping):
            yield from _strings(value.values())
        elif isinstance(value, list):
            yield from _strings(value)
