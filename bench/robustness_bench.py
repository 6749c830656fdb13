"""Bad input never stops an index run: a generated corpus of broken files, and a 50 MB line.

Each kind of breakage below is written into several files beside good records. Every good
record carries a unique marker word; after `chatx index` (a real subprocess) the bench reads
every stored chunk and counts the markers that made it. It prints, per kind and in total:
files, good records expected and lost, problems reported, crashes (internal errors: a parser
or chunker that raised), then the run time and peak RSS. The target is 0 crashes and 0 good
records lost.

    .venv/bin/python bench/robustness_bench.py [--copies 5] [--huge-mb 50] [--budget N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARK = "qzmark"
MEASURE = (
    "import json, resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss; "
    "open(sys.argv[1], 'w').write(json.dumps({'peak_kb': peak})); sys.exit(code)"
)


@dataclass
class Case:
    """One generated file: its name, its bytes and the markers of its good records."""

    name: str
    data: bytes
    good: list[str] = field(default_factory=list)


class Markers:
    """Unique words that tag good records."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        return f"{MARK}{self.count:05d}"


# -- WhatsApp -----------------------------------------------------------------------------
def whatsapp(mark: Markers, bad: str, body: Callable[[], bytes] | None = None) -> Case:
    good = [mark() for _ in range(4)]
    lines = [
        f"12/03/2024, 09:0{i} - Anna: the ledger note {word} is ready".encode()
        for i, word in enumerate(good[:2])
    ]
    lines.append(bad.encode("utf-8", "surrogatepass") if body is None else body())
    lines += [
        f"12/03/2024, 10:0{i} - Ben: the invoice {word} went out".encode()
        for i, word in enumerate(good[2:])
    ]
    return Case("whatsapp.txt", b"\n".join(lines) + b"\n", good)


# -- ChatGPT ------------------------------------------------------------------------------
def chatgpt_conversation(word: str, conv: int) -> dict[str, Any]:
    nodes: dict[str, Any] = {"root": {"id": "root", "message": None, "parent": None}}
    parent = "root"
    for turn, role in enumerate(("user", "assistant")):
        node = f"c{conv}n{turn}"
        nodes[parent].setdefault("children", []).append(node)
        nodes[node] = {
            "id": node,
            "parent": parent,
            "children": [],
            "message": {
                "id": f"m{conv}-{turn}",
                "author": {"role": role},
                "create_time": 1_700_000_000 + conv * 100 + turn,
                "content": {"content_type": "text", "parts": [f"about the rollout {word}"]},
            },
        }
        parent = node
    return {"title": f"t{conv}", "id": f"conv-{conv}", "current_node": parent, "mapping": nodes}


def chatgpt(mark: Markers, breakage: Callable[[dict[str, Any]], None]) -> Case:
    """Three good conversations around one whose last message `breakage` changes."""
    words = [mark() for _ in range(3)]
    bad_word = mark()
    convs = [chatgpt_conversation(words[0], 0), chatgpt_conversation(bad_word, 1)]
    convs += [chatgpt_conversation(w, i + 2) for i, w in enumerate(words[1:])]
    breakage(convs[1]["mapping"]["c1n1"]["message"])
    # the first message of the broken conversation is a good record too
    return Case("conversations.json", dumps(convs), [*words, bad_word])


def set_key(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(message: dict[str, Any]) -> None:
        message[key] = value

    return apply


def set_content(value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(message: dict[str, Any]) -> None:
        message["content"] = value

    return apply


DEEP = "__deep__"


def nested(depth: int) -> str:
    """A placeholder that `dumps` replaces with `depth` nested lists (json cannot write them)."""
    return f"{DEEP}{depth}"


def dumps(value: Any) -> bytes:
    """JSON of `value`, lone surrogates kept, nesting placeholders expanded."""
    text = json.dumps(value, allow_nan=True)
    while DEEP in text:
        start = text.index(f'"{DEEP}')
        end = text.index('"', start + 1)
        depth = int(text[start + 1 + len(DEEP) : end])
        text = text[:start] + "[" * depth + '"deep"' + "]" * depth + text[end + 1 :]
    return text.encode("utf-8", "surrogatepass")


# -- Claude.ai ----------------------------------------------------------------------------
def claude_ai(mark: Markers, breakage: Callable[[dict[str, Any]], None]) -> Case:
    words = [mark() for _ in range(3)]
    convs = []
    for index, word in enumerate(words):
        convs.append(
            {
                "uuid": f"u{index}",
                "name": f"chat {index}",
                "chat_messages": [
                    {
                        "uuid": f"u{index}-m{turn}",
                        "sender": sender,
                        "created_at": f"2024-05-0{index + 1}T10:0{turn}:00Z",
                        "text": f"the deploy checklist {word}" if turn == 0 else "noted",
                        "content": [{"type": "text", "text": "x"}] if turn else [],
                    }
                    for turn, sender in enumerate(("human", "assistant"))
                ],
            }
        )
    convs[1]["chat_messages"][1]["text"] = "broken one"
    breakage(convs[1]["chat_messages"][1])
    return Case("claude.json", dumps(convs), words)


# -- Claude Code JSONL ----------------------------------------------------------------------
def claude_code(mark: Markers, bad_line: bytes) -> Case:
    words = [mark() for _ in range(4)]
    lines = []
    for index, word in enumerate(words):
        record = {
            "type": "user" if index % 2 == 0 else "assistant",
            "uuid": f"r{index}",
            "parentUuid": f"r{index - 1}" if index else None,
            "sessionId": "s1",
            "timestamp": f"2024-06-01T10:0{index}:00Z",
            "message": {
                "role": "user" if index % 2 == 0 else "assistant",
                "content": f"refactor the gateway {word}",
            },
        }
        lines.append(json.dumps(record).encode())
        if index == 1:
            lines.append(bad_line)
    return Case("session.jsonl", b"\n".join(lines) + b"\n", words)


def code_record(**changes: Any) -> bytes:
    record: dict[str, Any] = {
        "type": "user",
        "uuid": "bad",
        "sessionId": "s1",
        "timestamp": "2024-06-01T10:30:00Z",
        "message": {"role": "user", "content": "the broken record"},
    }
    record.update(changes)
    return dumps(record)


# -- Documents ------------------------------------------------------------------------------
def markdown(mark: Markers, bad: bytes, name: str = "notes.md") -> Case:
    words = [mark() for _ in range(3)]
    head = f"# Notes\n\nThe runbook {words[0]} says retry.\n\n".encode()
    tail = f"\n\n## Later\n\nThe window {words[1]} closes.\n\nThe shard {words[2]} moved.\n"
    return Case(name, head + bad + tail.encode(), words)


def refused(name: str, data: bytes) -> Case:
    """A file that must be refused as a whole (binary, a key): no good records in it."""
    return Case(name, data)


def kinds(rng: random.Random, mark: Markers) -> dict[str, Callable[[], Case]]:
    """Every kind of breakage, each a factory of one case."""
    noise = bytes(rng.randrange(256) for _ in range(4096))
    return {
        # WhatsApp
        "wa-year-9999": lambda: whatsapp(mark, "12/03/9999, 23:59 - Anna: far future"),
        "wa-month-13": lambda: whatsapp(mark, "31/13/2024, 09:00 - Anna: no such month"),
        "wa-feb-31": lambda: whatsapp(mark, "31/02/2024, 09:00 - Anna: no such day"),
        "wa-lone-surrogate": lambda: whatsapp(mark, "12/03/2024, 09:30 - Anna: bad \ud800 here"),
        "wa-invalid-utf8": lambda: whatsapp(
            mark, "", lambda: b"12/03/2024, 09:31 - Anna: caf\xe9 \xff\xfe broken"
        ),
        "wa-control-chars": lambda: whatsapp(
            mark, "12/03/2024, 09:32 - Anna: bell\x07\x08\x1b[31m escape"
        ),
        # ChatGPT
        "gpt-content-string": lambda: chatgpt(mark, set_content("just a string")),
        "gpt-int-in-parts": lambda: chatgpt(mark, set_content({"parts": [42, None, {"a": 1}]})),
        "gpt-parts-not-list": lambda: chatgpt(mark, set_content({"parts": 7})),
        "gpt-create-time-1e20": lambda: chatgpt(mark, set_key("create_time", 1e20)),
        "gpt-create-time-nan": lambda: chatgpt(mark, set_key("create_time", float("nan"))),
        "gpt-create-time-5000-digits": lambda: chatgpt(
            mark, set_key("create_time", int("9" * 4300))
        ),
        "gpt-create-time-string": lambda: chatgpt(mark, set_key("create_time", "yesterday")),
        "gpt-author-null": lambda: chatgpt(mark, set_key("author", None)),
        "gpt-author-list": lambda: chatgpt(mark, set_key("author", ["assistant"])),
        "gpt-deep-nesting": lambda: chatgpt(mark, set_content({"parts": nested(5000)})),
        "gpt-lone-surrogate": lambda: chatgpt(
            mark, set_content({"content_type": "text", "parts": ["bad \ud800 text"]})
        ),
        # Claude.ai
        "claude-text-int": lambda: claude_ai(mark, set_key("text", 12345)),
        "claude-content-string": lambda: claude_ai(mark, set_key("content", "plain")),
        "claude-created-garbage": lambda: claude_ai(mark, set_key("created_at", "31/31/31")),
        "claude-sender-dict": lambda: claude_ai(mark, set_key("sender", {"role": "human"})),
        "claude-message-null": lambda: claude_ai(mark, lambda m: m.clear()),
        # Claude Code
        "code-invalid-json-line": lambda: claude_code(mark, b'{"type": "user", "uuid": '),
        "code-content-int": lambda: claude_code(
            mark, code_record(message={"role": "user", "content": 7})
        ),
        "code-timestamp-garbage": lambda: claude_code(mark, code_record(timestamp="noon-ish")),
        "code-timestamp-huge": lambda: claude_code(mark, code_record(timestamp=1e300)),
        "code-message-string": lambda: claude_code(mark, code_record(message="hello")),
        "code-lone-surrogate": lambda: claude_code(
            mark, code_record(message={"role": "user", "content": "x \ud800 y"})
        ),
        "code-deep-nesting": lambda: claude_code(
            mark, code_record(message={"role": "user", "content": nested(5000)})
        ),
        # Documents
        "md-invalid-utf8-line": lambda: markdown(mark, b"One bad byte \xff\xfe here.\n"),
        "md-long-line": lambda: markdown(mark, (b"lorem ipsum " * 20_000).strip()),
        "md-no-space-run": lambda: markdown(mark, b"x" * 100_000),
        "md-control-chars": lambda: markdown(mark, b"tab\tbell\x07 vt\x0b ff\x0c ok"),
        "md-crlf-mix": lambda: markdown(mark, b"line one\r\nline two\rline three\n"),
        "md-many-headings": lambda: markdown(
            mark, b"".join(b"#" * (1 + i % 6) + b" h\n\n" for i in range(2000))
        ),
        "txt-utf16-bom": lambda: Case(
            "utf16.txt", f"\ufeffWide text {(w := mark())} here\n".encode("utf-16-le"), [w]
        ),
        # Refused as a whole
        "bin-png-as-txt": lambda: refused("image.txt", b"\x89PNG\r\n\x1a\n" + noise),
        "bin-zip-as-md": lambda: refused("archive.md", b"PK\x03\x04" + noise),
        "bin-pdf-as-txt": lambda: refused("paper.txt", b"%PDF-1.7\n" + noise),
        "bin-sqlite-as-txt": lambda: refused("chat.txt", b"SQLite format 3\x00" + noise),
        "bin-elf-as-txt": lambda: refused("tool.txt", b"\x7fELF\x02\x01\x01" + noise),
        "bin-random-no-nul": lambda: refused(
            "random.txt", bytes(b for b in noise if b not in (0, 9, 10, 13)) * 2
        ),
        "secret-private-key": lambda: refused(
            "key.txt",
            b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        ),
        "empty-file": lambda: refused("empty.md", b""),
        "whitespace-only": lambda: refused("blank.md", b"  \n\t\n"),
        "truncated-json": lambda: refused("cut.json", b'[{"mapping": {"a": {"id": "a", "mess'),
    }


def build(root: Path, copies: int, seed: int) -> tuple[dict[str, list[Case]], list[str]]:
    """Write `copies` files of every kind under `root`; return the cases and extra paths."""
    rng = random.Random(seed)
    mark = Markers()
    written: dict[str, list[Case]] = defaultdict(list)
    for kind, factory in kinds(rng, mark).items():
        for copy in range(copies):
            case = factory()
            folder = root / kind / f"{copy:02d}"
            folder.mkdir(parents=True)
            (folder / case.name).write_bytes(case.data)
            written[kind].append(case)
    extras = []
    # Things that are not files to read: a symlink loop, a FIFO, a name that is not UTF-8.
    odd = root / "odd-names-and-nodes"
    odd.mkdir(parents=True)
    os.symlink("loop", odd / "loop")
    os.mkfifo(odd / "pipe.md")
    name = os.fsencode(odd) + b"/bad-\xff-name.md"
    with open(name, "wb") as handle:
        handle.write(b"# Odd name\n\nNot UTF-8 in its name.\n")
    # a name that is not UTF-8 cannot be stored or cited: refused with a problem
    written["odd-names-and-nodes"].append(Case("bad-name.md", b"", []))
    extras += ["odd-names-and-nodes/loop", "odd-names-and-nodes/pipe.md"]
    return written, extras


def stored_markers(workspace: Path) -> Counter[str]:
    """Every marker word in the stored chunks."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
    from chatx.config import Settings
    from chatx.index.indexer import open_store

    dataset = open_store(workspace, Settings()).dataset()
    found: Counter[str] = Counter()
    if dataset is None:
        return found
    for batch in dataset.to_batches(columns=["text"]):
        for text in batch.column("text").to_pylist():
            for word in text.split():
                if MARK in word:
                    found[word[word.index(MARK) : word.index(MARK) + len(MARK) + 5]] += 1
    return found


def index(workspace: Path, env: dict[str, str]) -> tuple[dict[str, Any], float, float, int]:
    """Run `chatx index --json` in a subprocess: summary, seconds, peak RSS MB, exit code."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        figures = Path(scratch) / "rusage.json"
        run = [sys.executable, "-m", "chatx", "index", str(workspace), "--json"]
        # A small wrapper starts the run, so its peak RSS is not inherited from this process.
        done = subprocess.run(
            [sys.executable, "-c", MEASURE, str(figures), *run],
            capture_output=True,
            text=True,
            env=env,
        )
        seconds = time.perf_counter() - started
        peak_kb = json.loads(figures.read_text())["peak_kb"]
    stdout, stderr, code = done.stdout, done.stderr, done.returncode
    try:
        summary = json.loads(stdout)
    except json.JSONDecodeError:
        summary = {"problems": [], "error": stderr[-2000:]}
    return summary, seconds, peak_kb / 1024, code


def bad_corpus(copies: int, seed: int, keep: Path | None) -> int:
    """The generated corpus: per-kind and total figures; the exit code says if targets held."""
    root = Path(tempfile.mkdtemp(prefix="chatx-robust-"))
    workspace = root / "ws"
    written, _ = build(workspace, copies, seed)
    files = sum(len(cases) for cases in written.values())
    summary, seconds, peak, code = index(workspace, {**os.environ})
    found = stored_markers(workspace)
    problems = summary.get("problems", [])
    crashes = [p for p in problems if p.get("code") == "INTERNAL"]
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for problem in problems:
        kind = str(problem.get("instance", "")).split("/", 1)[0]
        by_kind[kind]["problems"] += 1
        by_kind[kind]["crashes"] += problem.get("code") == "INTERNAL"
    print(f"{'kind':30} {'files':>5} {'good':>5} {'lost':>5} {'problems':>8} {'crashes':>7}")
    total_good = total_lost = 0
    for kind, cases in written.items():
        good = [w for case in cases for w in case.good]
        lost = [w for w in good if not found[w]]
        total_good += len(good)
        total_lost += len(lost)
        print(
            f"{kind:30} {len(cases):5} {len(good):5} {len(lost):5} "
            f"{by_kind[kind]['problems']:8} {by_kind[kind]['crashes']:7}"
        )
    print()
    print(f"kinds: {len(written)}, files: {files}, exit code: {code}")
    print(f"crashes (internal errors): {len(crashes)}")
    for crash in crashes[:10]:
        print(f"  {crash.get('instance')}: {crash.get('detail')}")
    print(f"good records: {total_good}, lost: {total_lost}")
    print(f"problems reported: {len(problems)}")
    print(f"run time: {seconds:.1f} s, peak RSS: {peak:.0f} MB")
    if "error" in summary:
        print(summary["error"])
    if keep:
        shutil.copytree(workspace, keep, symlinks=True, ignore=shutil.ignore_patterns("pipe.md"))
    shutil.rmtree(root)
    return int(bool(crashes or total_lost or code))


def huge_line(megabytes: int, budget: int | None) -> None:
    """A one-line text file of `megabytes` beside two good docs, indexed in one run."""
    root = Path(tempfile.mkdtemp(prefix="chatx-huge-"))
    workspace = root / "ws"
    (workspace / "docs").mkdir(parents=True)
    words = ["payments", "rollback", "kafka", "deploy", "ledger", "invoice", "gateway", "retry"]
    rng = random.Random(5)
    with open(workspace / "huge.txt", "w") as handle:
        size = 0
        while size < megabytes * 1024 * 1024:
            piece = " ".join(rng.choice(words) for _ in range(10_000)) + " "
            handle.write(piece)
            size += len(piece)
    (workspace / "docs" / "a.md").write_text(f"# A\n\nThe beside {MARK}90001 doc.\n")
    (workspace / "docs" / "b.md").write_text(f"# B\n\nThe other {MARK}90002 doc.\n")
    env = {**os.environ, **({"CHATX_MAX_FILE_CHUNKS": str(budget)} if budget else {})}
    summary, seconds, peak, code = index(workspace, env)
    found = stored_markers(workspace)
    verdict = [p["detail"] for p in summary.get("problems", []) if p["instance"] == "huge.txt"]
    print()
    print(f"{megabytes} MB one-line file: exit {code}, {seconds:.1f} s, peak RSS {peak:.0f} MB")
    print(f"  huge.txt: {verdict[0] if verdict else 'indexed'}")
    print(f"  files indexed: {summary.get('files_indexed')}, chunks: {summary.get('chunks')}")
    beside = sum(1 for w in found if w.endswith(("90001", "90002")))
    print(f"  good docs beside it searchable: {beside}/2")
    shutil.rmtree(root)


def main() -> int:
    """Run both parts and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--copies", type=int, default=5, help="files per kind")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--huge-mb", type=int, default=50, help="0 skips the one-line file")
    parser.add_argument("--keep", type=Path, help="copy the generated workspace here")
    parser.add_argument("--budget", type=int, help="maxFileChunks for the one-line file run")
    args = parser.parse_args()
    failed = bad_corpus(args.copies, args.seed, args.keep)
    if args.huge_mb:
        huge_line(args.huge_mb, args.budget)
    return failed


if __name__ == "__main__":
    sys.exit(main())
