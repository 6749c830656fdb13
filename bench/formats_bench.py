"""Parse throughput of every chat format: `python bench/formats_bench.py --messages 100000`.

Each format's synthetic export (bench/synth_formats.py) is written once, then read through
`chatx.ingest.extract` exactly as the indexer reads it (detection, decoding, parsing into
canonical messages). Prints messages/s per format (target >= 20,000) and PDF pages/s.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synth_formats as synth
from chatx.ingest import extract
from common import DATA, line, peak_rss_mb
from synth import whatsapp_export

TARGET = 20_000


def _text(name: str, make: Callable[[random.Random, int], str]) -> Callable[[Path, int], Path]:
    def write(folder: Path, messages: int) -> Path:
        path = folder / name
        path.write_text(make(random.Random(7), messages), encoding="utf-8")
        return path

    return write


def _whatsapp(folder: Path, messages: int) -> Path:
    path = folder / "whatsapp.txt"
    text = whatsapp_export(random.Random(7), messages, synth.START.replace(tzinfo=None), True)
    path.write_text(text, encoding="utf-8")
    return path


def _whatsapp_zip(folder: Path, messages: int) -> Path:
    path = folder / "whatsapp.zip"
    synth.whatsapp_zip(path, random.Random(7), messages)
    return path


def _imessage(folder: Path, messages: int) -> Path:
    path = folder / "chat.db"
    synth.imessage_db(path, random.Random(7), messages)
    return path


def _slack(folder: Path, messages: int) -> Path:
    (folder / "slack" / "general").mkdir(parents=True, exist_ok=True)
    (folder / "slack" / "users.json").write_text(synth.slack_users())
    (folder / "slack" / "channels.json").write_text('[{"id": "C01", "name": "general"}]')
    path = folder / "slack" / "general" / "2023-03-01.json"
    path.write_text(synth.slack_day(random.Random(7), messages))
    return path


FORMATS: dict[str, Callable[[Path, int], Path]] = {
    "whatsapp": _whatsapp,
    "whatsapp (zip)": _whatsapp_zip,
    "signal": _text("signal.txt", synth.signal_text),
    "imessage": _imessage,
    "telegram (json)": _text("result.json", synth.telegram_json),
    "telegram (html)": _text("messages.html", synth.telegram_html),
    "messenger": _text("message_1.json", synth.meta_json),
    "slack": _slack,
    "discord (json)": _text("discord.json", synth.discord_json),
    "discord (csv)": _text("discord.csv", synth.discord_csv),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--pdf-pages", type=int, default=200)
    parser.add_argument("--only", help="one format, e.g. imessage")
    args = parser.parse_args()
    folder = DATA / "formats"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"# formats_bench: {args.messages} messages per format, parse only")
    for name, write in FORMATS.items():
        if args.only and args.only != name.split()[0]:
            continue
        path = write(folder, args.messages)
        result = None
        gc.collect()  # each format parses on a clean heap, not behind the last one's garbage
        started = time.perf_counter()
        result = extract(path, path.relative_to(folder).as_posix())
        seconds = time.perf_counter() - started
        count = len(result.messages)
        assert count >= args.messages * 0.9, (name, count, result.problems[:3])
        line(
            f"{name} ({result.format})",
            f"{count / seconds:,.0f} messages/s ({count} in {seconds:.2f} s)",
            target=f"target >= {TARGET:,}",
        )
    if not args.only or args.only == "pdf":
        pdf = folder / "report.pdf"
        pdf.write_bytes(synth.pdf_document(args.pdf_pages, random.Random(7)))
        started = time.perf_counter()
        result = extract(pdf, "report.pdf")
        seconds = time.perf_counter() - started
        line("pdf (pypdf)", f"{len(result.sections) / seconds:,.0f} pages/s")
    line("peak RSS", f"{peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    main()
