"""What an action works on, as the editor and the CLI hand it to the assistant."""

from __future__ import annotations

from dataclasses import dataclass

from chatx.actions import DEFAULT_TONE


@dataclass(frozen=True)
class ActionInput:
    """What an action works on: the selection (or question) and where it comes from."""

    action: str
    text: str
    path: str | None = None  # workspace-relative file of the selection
    before: str = ""  # the turns before the selected message (/reply)
    tone: str = DEFAULT_TONE
    first_line: int = 1  # 1-based line of the selection in its file
