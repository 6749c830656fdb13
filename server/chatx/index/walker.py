"""Walking a workspace: what may be indexed, and why everything else is skipped."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from chatx import STATE_DIR
from chatx.formats import HEAD_BYTES, STREAMED, binary_kind
from chatx.problems import ProblemCode

ALWAYS_SKIPPED_DIRS = {".git", STATE_DIR, "secrets", ".hg", ".svn"}
SECRET_NAMES = {
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".netrc",
    ".pgpass",
    ".npmrc",
    ".pypirc",
    "credentials",
}
SECRET_SUFFIXES = {".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".asc", ".gpg"}
BINARY_SUFFIXES = {
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".webp",
    ".bmp",
    ".ico",
    ".mp3",
    ".mp4",
    ".mov",
    ".opus",
    ".ogg",
    ".wav",
    ".m4a",
    ".gz",
    ".tgz",
    ".bz2",
    ".xz",
    ".7z",
    ".tar",
    ".exe",
    ".dll",
    ".so",
    ".dylib",
    ".bin",
    ".pyc",
    ".whl",
    ".onnx",
    ".lance",
    ".parquet",
    ".woff",
    ".woff2",
    ".ttf",
}


@dataclass(frozen=True)
class Entry:
    """One file (or skipped directory) the walker saw."""

    path: str
    absolute: Path
    skip: str | None = None
    size: int = 0
    mtime_ns: int = 0
    code: ProblemCode = ProblemCode.UNSUPPORTED_FORMAT  # why a skipped entry is skipped


class UnreadableError(OSError):
    """A folder, ignore file or file the walk could not read; it is skipped, not fatal."""


def _unreadable(rel: str, path: Path, what: str, exc: OSError) -> Entry:
    reason = f"unreadable {what}: {exc.strerror or exc}"
    return Entry(rel, path, reason, code=ProblemCode.INVALID_INPUT)


def is_secret_name(name: str) -> bool:
    """True for `.env*`, private keys and credential files, which are never read."""
    lower = name.lower()
    return (
        lower.startswith(".env")
        or lower in SECRET_NAMES
        or lower.startswith("id_rsa")
        or lower.startswith("id_ed25519")
        or Path(lower).suffix in SECRET_SUFFIXES
    )


def never_read(parts: Iterable[str]) -> bool:
    """True when a path with these parts is a secret or lies in a folder never indexed
    (for paths that do not come from a walk: zip members, a citation to open)."""
    return any(part in ALWAYS_SKIPPED_DIRS or is_secret_name(part) for part in parts)


def walk(root: Path, max_bytes: int) -> Iterator[Entry]:
    """Every file below `root` in a stable order, with the reason when it must be skipped."""
    yield from _walk_dir(root, root, [], max_bytes)


def walk_paths(root: Path, paths: Iterable[Path], max_bytes: int) -> Iterator[Entry]:
    """Entries for just these paths (a changed file, or everything below a changed directory),
    judged by the same rules as `walk`. Paths that no longer exist yield nothing."""
    seen: set[Path] = set()
    given: set[str] = set()  # a folder and a file in it may both be asked for: one entry each
    for path in sorted(set(paths)):
        if path in seen or not (path == root or root in path.parents):
            continue
        try:
            for entry in _walk_path(root, path, seen, max_bytes):
                if entry.path not in given:
                    given.add(entry.path)
                    yield entry
        except OSError as exc:
            yield _unreadable(_rel(root, path), path, "path", exc)


def _walk_path(root: Path, path: Path, seen: set[Path], max_bytes: int) -> Iterator[Entry]:
    """`walk_paths` for one path; OSError when part of it cannot be read."""
    if not path.exists():
        return
    if not _utf8(str(path)):
        yield _bad_name(_rel(root, path), path)
        return
    specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    skipped = None
    for relative in [Path(), *reversed(path.relative_to(root).parents[:-1])]:
        folder = root / relative
        if folder != root and folder.name in ALWAYS_SKIPPED_DIRS:
            skipped = Entry(_rel(root, folder) + "/", folder, f"never indexed: {folder.name}/")
        elif folder != root and _ignored(specs, folder, True):
            skipped = Entry(_rel(root, folder) + "/", folder, "ignored by .gitignore/.chatxignore")
        if skipped:
            break
        if spec := _ignore_spec(folder):
            specs.append((folder, spec))
    if skipped:
        return
    seen.add(path)
    rel = _rel(root, path)
    if path.is_symlink():
        yield _symlink_entry(rel, path)
    elif path.is_dir():
        if path.name not in ALWAYS_SKIPPED_DIRS and not _ignored(specs, path, True):
            yield from _walk_dir(root, path, specs, max_bytes)
    else:
        yield _file_entry(rel, path, path.stat(), specs, max_bytes)


def _ignore_spec(folder: Path) -> pathspec.GitIgnoreSpec | None:
    """The folder's ignore rules.

    Raises `UnreadableError` when a rules file exists but cannot be read: without its rules the
    folder might expose what the user meant to keep out, so the caller skips the folder.
    """
    lines: list[str] = []
    for name in (".gitignore", ".chatxignore"):
        path = folder / name
        try:
            if not stat.S_ISREG(path.stat().st_mode):
                continue
            lines += path.read_text(encoding="utf-8", errors="replace").splitlines()
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            raise UnreadableError(exc.errno, f"{name}: {exc.strerror}") from exc
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def _ignored(specs: list[tuple[Path, pathspec.GitIgnoreSpec]], path: Path, is_dir: bool) -> bool:
    ignored = False
    for base, spec in specs:
        rel = path.relative_to(base).as_posix() + ("/" if is_dir else "")
        result = spec.check_file(rel)
        if result.include is not None:
            ignored = bool(result.include)
    return ignored


def _walk_dir(
    root: Path, folder: Path, specs: list[tuple[Path, pathspec.GitIgnoreSpec]], max_bytes: int = 0
) -> Iterator[Entry]:
    try:
        children = sorted(os.scandir(folder), key=lambda e: e.name)
        spec = _ignore_spec(folder)
    except UnreadableError as exc:
        yield _unreadable(_rel(root, folder) + "/", folder, "ignore file", exc)
        return
    except OSError as exc:
        yield _unreadable(_rel(root, folder) + "/", folder, "directory", exc)
        return
    specs = [*specs, (folder, spec)] if spec else specs
    for child in children:
        path = Path(child.path)
        rel = _rel(root, path)
        try:
            if not _utf8(child.name):
                yield _bad_name(rel, path)
            elif child.is_symlink():
                yield _symlink_entry(rel, path)
            elif child.is_dir(follow_symlinks=False):
                if child.name in ALWAYS_SKIPPED_DIRS:
                    yield Entry(rel + "/", path, f"never indexed: {child.name}/")
                elif _ignored(specs, path, True):
                    yield Entry(rel + "/", path, "ignored by .gitignore/.chatxignore")
                else:
                    yield from _walk_dir(root, path, specs, max_bytes)
            else:
                yield _file_entry(rel, path, child.stat(follow_symlinks=False), specs, max_bytes)
        except OSError as exc:
            yield _unreadable(rel, path, "entry", exc)


def _file_entry(
    rel: str,
    path: Path,
    info: os.stat_result,
    specs: list[tuple[Path, pathspec.GitIgnoreSpec]],
    max_bytes: int,
) -> Entry:
    name = path.name
    reason: str | None = None
    if is_secret_name(name):
        reason = "never indexed: secret or credential file"
    elif name in (".gitignore", ".chatxignore"):
        reason = "ignore rules"
    elif _ignored(specs, path, False):
        reason = "ignored by .gitignore/.chatxignore"
    elif not stat.S_ISREG(info.st_mode):
        reason = "not a regular file"
    elif path.suffix.lower() in BINARY_SUFFIXES:
        reason = "binary file"
    elif max_bytes and info.st_size > max_bytes and not _streamed(path):
        reason = f"larger than the size cap ({info.st_size} > {max_bytes} bytes)"
    return Entry(rel, path, reason, info.st_size, info.st_mtime_ns)


def _streamed(path: Path) -> bool:
    """True for a database or zip: read a row or a member at a time, never whole, so the size
    cap does not apply (a zip's members have their own caps)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return False
    return binary_kind(head) in STREAMED


def _symlink_entry(rel: str, path: Path) -> Entry:
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Entry(rel, path, "symlink loop")
        return Entry(rel, path, f"broken symlink: {exc.strerror}")
    return Entry(rel, path, "symbolic link not followed")


def _bad_name(rel: str, path: Path) -> Entry:
    """A name that cannot be stored or cited: a problem, shown with U+FFFD for its bad bytes."""
    shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    reason = "unusable name: not valid UTF-8 (rename it to index it)"
    return Entry(shown, path, reason, code=ProblemCode.INVALID_INPUT)


def _utf8(name: str) -> bool:
    """False for a name whose bytes are not UTF-8 (Python holds them as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
