"""The `chatx` command line. `chatx hook …` (a Claude Code hook, run on every prompt and tool
call) starts on the standard library alone and loads more only when no daemon answers for it;
every other command is in `commands`."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `chatx` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["hook"]:
        from chatx.cli.hook import main as hook

        return hook(args[1:])
    from chatx.cli.commands import main as run

    return run(args)
