"""The walk survives permissions: run as an unprivileged user, an unreadable folder, ignore file
or file is a problem, and everything else indexes (root reads anything, so the test drops
privileges with setpriv when it runs as root)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def as_user(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m chatx ARGS` as `nobody` when we are root, else as ourselves."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root and setpriv (util-linux) is not installed")
        prefix = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "chatx", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )


@pytest.fixture()
def open_tree() -> Iterator[Path]:
    """A folder every user may enter (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="chatx-perm-"))
    folder.chmod(0o755)
    yield folder
    for path in folder.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o755)
    shutil.rmtree(folder)


def give_away(tree: Path) -> None:
    """Make `tree` belong to the unprivileged user when the test runs as root."""
    if os.geteuid() == 0:
        for path in [tree, *tree.rglob("*")]:
            os.chown(path, 65534, 65534, follow_symlinks=False)


def test_unreadable_folder_ignore_file_and_file(open_tree: Path) -> None:
    ws = open_tree / "ws"
    shutil.copytree(
        REPO / "examples" / "workspace", ws, ignore=shutil.ignore_patterns(".claude-context")
    )
    (ws / "locked").mkdir()
    (ws / "locked" / "diary.md").write_text("# Diary\n\nNothing to see.\n")
    (ws / "guarded").mkdir()
    (ws / "guarded" / ".gitignore").write_text("private.md\n")
    (ws / "guarded" / "private.md").write_text("# Private\n\nKept out by the rules.\n")
    (ws / "sealed.md").write_text("# Sealed\n\nNo one may read this.\n")
    home = open_tree / "home"
    home.mkdir()
    give_away(open_tree)
    (ws / "locked").chmod(0o000)
    (ws / "guarded" / ".gitignore").chmod(0o000)
    (ws / "sealed.md").chmod(0o000)

    indexed = as_user(["index", str(ws), "--json"], home)
    assert indexed.returncode == 0, indexed.stderr
    summary = json.loads(indexed.stdout)
    assert (summary["files_indexed"], summary["chunks"]) == (4, 11)
    problems = {p["instance"]: (p["code"], p["detail"]) for p in summary["problems"]}
    assert problems == {
        "locked/": ("INVALID_INPUT", "unreadable directory: Permission denied"),
        "guarded/": ("INVALID_INPUT", "unreadable ignore file: .gitignore: Permission denied"),
        "sealed.md": ("INVALID_INPUT", "cannot read file: Permission denied"),
    }

    status = as_user(["status", "--workspace", str(ws), "--json"], home)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    states = {f["path"]: f["state"] for f in report["files"]}
    assert states["locked/"] == states["guarded/"] == "skipped"
    assert report["totals"]["indexed"] == 4
    assert "guarded/private.md" not in states  # its rules could not be read: never indexed

    query = as_user(["query", "payments rollback", "--workspace", str(ws), "--json"], home)
    assert query.returncode == 0, query.stderr
    assert json.loads(query.stdout)["citations"]
