"""Every new kind of export through the indexer: detected by content, counted in the status with
its platform, and cited by a locator a person can follow (a row, a page, a zip member)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from tests.exports import IMAGE_ONLY, build_pdf, pdf_text

from chatx.config import Settings
from chatx.index.indexer import Indexer
from chatx.index.search import SearchService
from chatx.index.status import workspace_status
from chatx.index.store import Filters
from chatx.index.walker import walk


def build(corpus: Path, root: Path) -> Path:
    """A workspace holding an iMessage database, a WhatsApp zip, a Slack export, a Signal
    export, a PDF and an unrelated SQLite file."""
    chats = root / "chats"
    chats.mkdir(parents=True)
    shutil.copy(corpus / "imessage" / "langchain_imessage_chat_osx11.db", chats / "chat.db")
    with zipfile.ZipFile(chats / "WhatsApp Chat.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(corpus / "whatsapp" / "pustur_ios_group_2019_crlf.txt", "_chat.txt")
    shutil.copytree(corpus / "slack" / "langchain_slack_export", chats / "slack")
    shutil.copy(corpus / "signal" / "chatminer_signal_export.txt", chats / "signal.txt")
    docs = root / "docs"
    docs.mkdir()
    pages = [
        pdf_text("Quarterly plan overview"),
        IMAGE_ONLY,
        pdf_text("The migration to Postgres finishes in May"),
    ]
    (docs / "plan.pdf").write_bytes(build_pdf(pages, title=b"(Plan)"))
    return root


def test_new_formats_are_indexed_with_their_platform_and_locators(
    corpus: Path, tmp_path: Path, embedder, store_settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    root = build(corpus, tmp_path / "ws")
    summary = Indexer(root, store_settings, embedder=embedder).run()
    assert summary.files_failed == 0
    status = {f.path: f for f in workspace_status(root, store_settings).files}
    assert status["chats/chat.db"].format == "imessage"
    assert status["chats/chat.db"].state == "indexed"
    assert status["chats/WhatsApp Chat.zip"].format == "whatsapp"
    assert status["chats/slack/general/2023-04-13.json"].format == "slack"
    assert status["chats/slack/users.json"].state == "skipped"
    assert status["chats/signal.txt"].format == "signal"
    assert status["docs/plan.pdf"].format == "pdf"
    assert status["docs/plan.pdf"].problem is not None
    assert "page 2" in status["docs/plan.pdf"].problem.detail

    search = SearchService(root, store_settings, embedder=embedder)
    pdf = search.search("migration to Postgres", 3, Filters(path_glob="docs/*"))[0]
    assert (pdf.source, pdf.anchor, pdf.line_start) == ("docs/plan.pdf", "#page", 3)
    chat_db = search.search("message", 5, Filters(platform="imessage"))
    assert chat_db and all(h.anchor == "#message" for h in chat_db)
    zipped = search.search("chat", 5, Filters(platform="whatsapp"))
    assert zipped and all(h.anchor == "!/_chat.txt" for h in zipped)


def test_big_databases_and_zips_are_not_held_to_the_text_size_cap(
    corpus: Path, tmp_path: Path
) -> None:
    root = build(corpus, tmp_path / "ws")
    entries = {e.path: e for e in walk(root, max_bytes=1024)}
    assert entries["chats/chat.db"].skip is None
    assert entries["chats/WhatsApp Chat.zip"].skip is None
    assert entries["docs/plan.pdf"].skip is not None  # read whole: the cap applies


def test_a_table_made_before_anchors_existed_gets_the_column(tmp_path: Path) -> None:
    import lancedb
    import numpy as np
    import pyarrow as pa

    from chatx.index.lance import TABLE, LanceStore
    from chatx.index.store import SCHEMA

    old = pa.schema([f for f in SCHEMA if f.name != "anchor"])
    row: dict[str, list[object]] = {f.name: [None] for f in old}
    row.update(chunk_id=["a"], kind=["chat"], source=["x.txt"], text=["hello"])
    row["vector"] = [np.zeros(384, dtype=np.float32).tolist()]
    lancedb.connect(str(tmp_path / "lancedb")).create_table(TABLE, data=pa.table(row, schema=old))
    store = LanceStore(tmp_path / "lancedb")
    store.finalize()  # what the daemon's maintenance does first after an upgrade
    assert store.count() == 1
    assert "anchor" in store.dataset().schema.names
