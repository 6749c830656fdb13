"""Deterministic pseudonyms from a local salt, and the local-only map back to real values.

The salt is 32 random bytes in `<user config dir>/chatx/shield.salt`, created with mode 0600
on first use. It is never logged, indexed or sent: only HMAC digests derived from it leave
this module. The reveal map (`reveal.sqlite` beside it, also 0600) records which value each
token stood for, so the user's own views can show real names again.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from platformdirs import user_config_dir

from chatx.shield.detectors import Finding

SALT_BYTES = 32
TOKEN = re.compile(r"⟦TKN:([a-z_]+):([0-9a-f]{8})⟧|\bCN_[0-9a-f]{6}\b|\bME\b")


def shield_dir() -> Path:
    """Where the salt and the reveal map live (`CHATX_SHIELD_DIR` overrides it)."""
    return Path(os.environ.get("CHATX_SHIELD_DIR") or user_config_dir("chatx"))


def load_salt(folder: Path | None = None) -> bytes:
    """The local salt, created (0600, atomically) on first use."""
    folder = folder or shield_dir()
    path = folder / "shield.salt"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = folder / f".shield.salt.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secrets.token_bytes(SALT_BYTES))
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)  # fails if another process created it first: theirs wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes()


class Pseudonymizer:
    """Maps findings to their tokens: `CN_<6 hex>`, `ME` or `⟦TKN:<kind>:<8 hex>⟧`."""

    def __init__(self, salt: bytes) -> None:
        self._salt = salt

    def __repr__(self) -> str:
        return "Pseudonymizer(salt=<hidden>)"

    def digest(self, kind: str, key: str) -> str:
        """The hex HMAC-SHA256 of `kind:key` under the salt."""
        return hmac.new(self._salt, f"{kind}:{key}".encode(), hashlib.sha256).hexdigest()

    def token(self, finding: Finding) -> str:
        """The pseudonym that replaces `finding`."""
        if finding.kind == "me":
            return "ME"
        if finding.kind == "name":
            return f"CN_{self.digest('name', finding.key)[:6]}"
        return f"⟦TKN:{finding.kind}:{self.digest(finding.kind, finding.key)[:8]}⟧"


class RevealMap:
    """The local-only record of which value each token replaced (for the user's own views)."""

    def __init__(self, folder: Path | None = None) -> None:
        self.path = (folder or shield_dir()) / "reveal.sqlite"
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS tokens "
                "(token TEXT PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL)"
            )
        return self._db

    def record(self, pairs: Iterable[tuple[str, Finding]]) -> None:
        """Remember `(token, finding)` pairs; the first value seen for a token is kept."""
        rows = [(token, f.kind, f.value) for token, f in pairs if token != "ME"]
        if not rows:
            return
        with self._lock:
            db = self._connect()
            with db:
                db.executemany("INSERT OR IGNORE INTO tokens VALUES (?, ?, ?)", rows)

    def lookup(self, token: str) -> tuple[str, str] | None:
        """`(kind, value)` a token stood for, if this machine redacted it."""
        with self._lock:
            if not self.path.exists():
                return None
            row = (
                self._connect()
                .execute("SELECT kind, value FROM tokens WHERE token = ?", (token,))
                .fetchone()
            )
        return (row[0], row[1]) if row else None

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def token_at(line: str, column: int) -> tuple[str, int, int] | None:
    """The pseudonym token of `line` that covers `column`, with its start and end."""
    if "CN_" not in line and "⟦" not in line and "ME" not in line:
        return None
    for m in TOKEN.finditer(line):
        if m.start() <= column <= m.end():
            return m.group(), m.start(), m.end()
    return None
