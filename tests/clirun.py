"""Running the `chatx` console entry point as a user would, and the schemas its JSON follows."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def schema(name: str) -> dict[str, Any]:
    """A checked-in JSON Schema from `schemas/`."""
    return json.loads((REPO / "schemas" / f"{name}.schema.json").read_text())


def chatx(
    *args: str,
    cwd: Path | None = None,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m chatx ARGS` offline; any attempt to reach the network fails fast."""
    variables = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "chatx", *args],
        capture_output=True,
        text=True,
        env=variables,
        input=stdin,
        cwd=cwd,
        timeout=300,
    )


def workspace_folder(parent: Path) -> Path:
    """Where a test's workspace goes under its own `parent`: `ws`, or under `--store pgvector`
    a name of its own, since the run's database keys workspaces by folder name (short: the
    daemon's socket path inside it has 107 bytes at most)."""
    if os.environ.get("CHATX_VECTOR_STORE") != "pgvector":
        return parent / "ws"
    return parent / f"ws-{hashlib.sha1(str(parent).encode()).hexdigest()[:6]}"


def indexed_example(folder: Path) -> Path:
    """A copy of examples/workspace under `folder`, indexed by the real CLI."""
    import shutil

    ws = workspace_folder(folder)
    shutil.copytree(
        REPO / "examples" / "workspace", ws, ignore=shutil.ignore_patterns(".claude-context")
    )
    assert chatx("index", str(ws)).returncode == 0
    return ws
