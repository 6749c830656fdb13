"""Shared fixtures: the outside-world corpus, the embedder, tiny workspaces."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from chatx.config import Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# The Policy Shield's salt and reveal map: never the user's own, for any process tests start.
os.environ.setdefault("CHATX_SHIELD_DIR", tempfile.mkdtemp(prefix="chatx-shield-"))
# Model backends: no real Ollama server or cloud key may leak in from the machine; tests that
# need one start a stand-in (tests/standins) and point the official clients at it.
os.environ["OLLAMA_HOST"] = "127.0.0.1:9"
for _name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
    os.environ.pop(_name, None)
# Run inside a Claude Code session, hooks would act on that project instead of the event's cwd.
os.environ.pop("CLAUDE_PROJECT_DIR", None)

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"

# What makes a test slow: a model it loads, or a process (server, CLI, editor) it starts.
HEAVY_FIXTURES = {"embedder", "lsp_workspace"}
HEAVY_WORDS = ("subprocess", "Popen", "clirun", "start_io", "start_tcp", "Llama(", "names=")


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--store pgvector`: every process the tests start indexes into PostgreSQL."""
    parser.addoption(
        "--store",
        choices=STORES,
        default="lancedb",
        help="the store behind the workspaces the servers, CLIs and daemons index (CHATX_*)",
    )


_SUITE_SERVER: list[object] = []


def pytest_configure(config: pytest.Config) -> None:
    """With `--store pgvector`, start the run's PostgreSQL before any test module reads the
    environment, and point `CHATX_VECTOR_STORE`/`CHATX_PG_URL` at it."""
    if config.getoption("--store") != "pgvector":
        return
    import pgserver

    server = pgserver.get_server(tempfile.mkdtemp(prefix="chatx-pg-"), cleanup_mode="stop")
    _SUITE_SERVER.append(server)
    os.environ["CHATX_VECTOR_STORE"] = "pgvector"
    os.environ["CHATX_PG_URL"] = server.get_uri()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the run's PostgreSQL."""
    for server in _SUITE_SERVER:
        from chatx.index import pgvector

        pgvector.close_all()
        server.cleanup()  # type: ignore[attr-defined]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `slow` every test that loads a model or starts a process, so that
    `pytest -m "not slow"` (`make test-fast`) runs the pure tier alone."""
    heavy: dict[Path, bool] = {}
    for item in items:
        path = item.path
        if path not in heavy:
            text = path.read_text(encoding="utf-8")
            heavy[path] = "lsp" in path.parts or any(word in text for word in HEAVY_WORDS)
        if heavy[path] or HEAVY_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """`../shared/corpus`, or a skip when this checkout has no shared/ beside it."""
    if not CORPUS.is_dir():
        pytest.skip(f"real export samples not available: {CORPUS} is absent")
    return CORPUS


@pytest.fixture(scope="session")
def tokenizer():  # type: ignore[no-untyped-def]
    from chatx.index.embedder import Tokenizer

    return Tokenizer()


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The production embedder (ONNX fp32), loaded once for the whole run."""
    from chatx.index.embedder import OnnxEmbedder

    return OnnxEmbedder("onnx")


@pytest.fixture()
def workspace(tmp_path: Path) -> Iterator[Path]:
    """A copy of examples/workspace that a test may change."""
    import shutil

    from tests.clirun import workspace_folder

    target = workspace_folder(tmp_path)
    shutil.copytree(
        REPO / "examples" / "workspace", target, ignore=shutil.ignore_patterns(".claude-context")
    )
    yield target


@pytest.fixture(scope="session")
def pg_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway PostgreSQL 16 with pgvector (the `pgserver` package), on a Unix socket in a
    temporary folder, for the whole run; stopped at the end."""
    pgserver = pytest.importorskip("pgserver", reason="pgserver is a dev extra: make test")
    from chatx.index import pgvector

    if _SUITE_SERVER:
        yield _SUITE_SERVER[0].get_uri()  # type: ignore[attr-defined]
        return
    server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        pgvector.close_all()
        server.cleanup()


STORES = ["lancedb", "pgvector"]


@pytest.fixture(params=STORES)
def store_settings(request: pytest.FixtureRequest) -> Settings:
    """Default settings, once with each store; a pgvector test gets a workspace name of its
    own in the shared test database."""
    from chatx.config import Settings

    if request.param == "lancedb":
        return Settings()
    url = request.getfixturevalue("pg_url")
    name = f"{request.node.name}-{os.getpid()}"
    return Settings(vector_store="pgvector", pg_url=url, pg_workspace=name)
