"""Pure text helpers for editor features: the phrase under the cursor, paragraphs, comments."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# Line-comment markers by LSP language id; languages absent here get a Markdown block.
LINE_COMMENTS: dict[str, str] = {
    **dict.fromkeys(
        [
            "c",
            "cpp",
            "csharp",
            "dart",
            "go",
            "java",
            "javascript",
            "javascriptreact",
            "jsonc",
            "kotlin",
            "php",
            "rust",
            "scala",
            "swift",
            "typescript",
            "typescriptreact",
        ],
        "//",
    ),
    **dict.fromkeys(
        [
            "dockerfile",
            "elixir",
            "julia",
            "makefile",
            "perl",
            "powershell",
            "python",
            "r",
            "ruby",
            "shellscript",
            "toml",
            "yaml",
        ],
        "#",
    ),
    **dict.fromkeys(["haskell", "lua", "sql"], "--"),
    **dict.fromkeys(["clojure", "lisp", "scheme"], ";;"),
    "elisp": ";;",
    "emacs-lisp": ";;",
    "latex": "%",
    "erlang": "%",
    "vim": '"',
}
_EXTENSIONS = {
    ".py": "python",
    ".js": "javascript",
    ".ts": "typescript",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
    ".c": "c",
    ".h": "c",
    ".cpp": "cpp",
    ".rb": "ruby",
    ".sh": "shellscript",
    ".lua": "lua",
    ".sql": "sql",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".el": "emacs-lisp",
    ".md": "markdown",
}
_MARKERS = sorted(set(LINE_COMMENTS.values()), key=len, reverse=True)
_WORD = re.compile(r"[\w][\w.\-']*[\w]|[\w]", re.UNICODE)
_QUOTED = re.compile(r"`([^`]+)`|\"([^\"]+)\"|\*\*([^*]+)\*\*")
_ANY_MARKER = "|".join(map(re.escape, _MARKERS))
_SLASH = re.compile(rf"^\s*(?:(?:{_ANY_MARKER})\s*)?/([a-z][a-z-]*)\b\s*(.*)$")


@dataclass(frozen=True)
class Span:
    """Text found on one line, with its character columns."""

    text: str
    line: int
    start: int
    end: int


def language_of(language_id: str | None, path: str) -> str:
    """The document's language id, guessed from the extension when the client sent none."""
    if language_id:
        return language_id
    dot = path.rfind(".")
    return _EXTENSIONS.get(path[dot:].lower(), "plaintext") if dot >= 0 else "plaintext"


def comment_prefix(language_id: str) -> str | None:
    """The line-comment marker of a language, or None where a Markdown block fits better."""
    return LINE_COMMENTS.get(language_id)


def phrase_at(lines: list[str], line: int, character: int) -> Span | None:
    """The quoted phrase (backticks, double quotes, bold) or word under the cursor."""
    if not 0 <= line < len(lines):
        return None
    text = lines[line].rstrip("\r\n")
    for match in _QUOTED.finditer(text):
        if match.start() <= character <= match.end():
            group = next(g for g in range(1, 4) if match.group(g) is not None)
            return Span(match.group(group), line, match.start(group), match.end(group))
    for match in _WORD.finditer(text):
        if match.start() <= character <= match.end():
            return Span(match.group(), line, match.start(), match.end())
    return None


def paragraph_at(lines: Sequence[str], line: int) -> tuple[int, int]:
    """First and last line of the block of non-blank lines around `line`."""
    if not 0 <= line < len(lines) or not lines[line].strip():
        return line, line
    first = line
    while first > 0 and lines[first - 1].strip():
        first -= 1
    last = line
    while last + 1 < len(lines) and lines[last + 1].strip():
        last += 1
    return first, last


def slash_command_at(text: str) -> tuple[str, str] | None:
    """`(command, argument)` when a line starts with `/command`, optionally after a comment."""
    match = _SLASH.match(text.rstrip("\r\n"))
    return (match.group(1), match.group(2).strip()) if match else None


def slash_trigger(text_before_cursor: str) -> bool:
    """True when the cursor follows a `/` at the start of a line or after a comment marker."""
    stripped = text_before_cursor.lstrip()
    for marker in _MARKERS:
        if stripped.startswith(marker):
            stripped = stripped[len(marker) :].lstrip()
            break
    return bool(re.fullmatch(r"/[a-z-]*", stripped))
