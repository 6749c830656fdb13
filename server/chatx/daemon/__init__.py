"""What `chatx serve` runs underneath the protocol, with no LSP imports: per-folder indexes kept
current (`service.py`), file watching (`watch.py`) and the completion vocabulary (`vocab.py`).
The `lsp` package adapts this to the protocol."""

from chatx.daemon.service import Daemon, Folder, RunObserver

__all__ = ["Daemon", "Folder", "RunObserver"]
