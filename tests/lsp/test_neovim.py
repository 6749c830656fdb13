"""A real editor: headless Neovim 0.7 starts `chatx serve` with vim.lsp.start_client and checks
hover, completion, a code action's applied edit, and save/delete following the index."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("nvim") / "e2e.lua"


@pytest.fixture(scope="session")
def nvim() -> str:
    """The `nvim` binary, installed from Debian when missing (the test machine runs as root)."""
    found = shutil.which("nvim")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "neovim"],
            check=False,
            capture_output=True,
            timeout=600,
        )
        found = shutil.which("nvim")
    if found is None:
        pytest.skip("neovim is not installed and cannot be installed here (not root / no apt)")
    return found


def test_neovim_drives_the_server(nvim: str, lsp_workspace: Path) -> None:
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "CHATX_WS": str(lsp_workspace),
        "CHATX_SERVER": f"{sys.executable} -m chatx serve",
    }
    run = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {SCRIPT}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    report = run.stderr + run.stdout
    assert run.returncode == 0, report
    assert report.count("ok   ") == 12 and "FAIL" not in report, report
    # shutdown/exit left no server behind (ours carry CHATX_WS; others may run beside us)
    left = subprocess.run(["pgrep", "-f", "chatx serve"], capture_output=True, text=True)
    ours = f"CHATX_WS={lsp_workspace}".encode()
    assert not [pid for pid in left.stdout.split() if ours in environ(pid)]


def environ(pid: str) -> list[bytes]:
    """The environment of a process, or nothing when it is gone or not ours to read."""
    try:
        return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return []
