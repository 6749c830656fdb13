"""Exports that come as many files: a zip ("Export chat → Attach media", Slack's workspace
export, Meta's and Telegram's downloads) or a folder holding the same layout.

Members are read into memory one at a time, never written to disk. A zip is refused before
anything is read when its entry count or declared size is over the caps, and a member that
inflates past what its header declares stops being read: a zip bomb costs at most the caps.
A member whose name would escape the archive (`../`, an absolute or drive path) is reported and
skipped, whatever reads it later.
"""

from __future__ import annotations

import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from chatx.index.walker import never_read
from chatx.problems import ChatxError, ProblemCode

MAX_ENTRIES = 50_000
MAX_TOTAL_BYTES = 4 * 1024**3
MAX_MEMBER_BYTES = 256 * 1024**2
MAX_INFLATED = 512 * 1024**2  # read from one zip in all; the members after it are refused
MAX_RATIO = 200  # text exports compress 5-20:1; zeros built to harm reach deflate's ~1000:1
_RATIO_FROM = 1024 * 1024  # below this much read in all, no ratio can harm
_READ_STEP = 1024 * 1024


@dataclass(frozen=True)
class Member:
    """One file of an export: its path inside it (posix, relative) and its declared size."""

    name: str
    size: int


class Members:
    """The files of a zip or a folder, read one at a time within the caps."""

    def __init__(self, names: list[Member], read: Callable[[Member], bytes]) -> None:
        self.members = names
        self._read = read
        self._by_name = {m.name: m for m in names}

    def names(self) -> list[str]:
        """Every member's name, in a stable order."""
        return [m.name for m in self.members]

    def read(self, name: str) -> bytes | None:
        """A member's bytes, or None when there is no such member."""
        member = self._by_name.get(name)
        return None if member is None else self._read(member)

    def read_member(self, member: Member) -> bytes:
        """A member's bytes; ChatxError when it is over the caps."""
        return self._read(member)


def unsafe_name(name: str) -> str | None:
    """Why a member name must not be used (zip-slip), or None when it stays inside."""
    if "\x00" in name:
        return "a NUL byte in its name"
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if "\\" in name:
        return "a backslash path"
    if ".." in PurePosixPath(name).parts:
        return "a '..' path that leaves the archive"
    return None


def open_zip(path: Path, source: str) -> tuple[zipfile.ZipFile, Members, list[tuple[str, str]]]:
    """A zip's members within the caps, and the (name, reason) of members that are unsafe.

    Raises ChatxError for a corrupt zip or one over the entry or size caps.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ChatxError.of(ProblemCode.PARSE_ERROR, f"corrupt zip archive: {exc}", source) from exc
    try:
        infos = archive.infolist()
        _check_caps(infos, source)
    except ChatxError:
        archive.close()
        raise
    members: list[Member] = []
    unsafe: list[tuple[str, str]] = []
    for info in infos:
        if info.is_dir() or stat.S_ISLNK(info.external_attr >> 16):
            continue
        reason = unsafe_name(info.filename)
        if reason is None and never_read(PurePosixPath(info.filename).parts):
            continue
        if reason:
            unsafe.append((info.filename, reason))
        else:
            members.append(Member(info.filename, info.file_size))
    members.sort(key=lambda m: m.name)
    budget = _Budget()

    def read(member: Member) -> bytes:
        info = archive.getinfo(member.name)
        where = f"{source}!/{member.name}"
        budget.admit(info, where)
        return _read_capped(archive, info, where)

    return archive, Members(members, read), unsafe


@dataclass
class _Budget:
    """What one zip's members inflated to so far, against the compressed bytes they came from:
    many small members can be a bomb that no single one is."""

    inflated: int = 0
    compressed: int = 0

    def admit(self, info: zipfile.ZipInfo, where: str) -> None:
        """Count the member in, or refuse it (ChatxError) when the zip would go past a cap."""
        inflated = self.inflated + info.file_size
        compressed = self.compressed + info.compress_size
        if inflated > MAX_INFLATED:
            raise ChatxError.of(
                ProblemCode.INVALID_INPUT,
                f"the zip's members inflate past {MAX_INFLATED:,} bytes in all; this one and "
                "the rest are not read (a zip bomb?)",
                where,
            )
        if inflated > _RATIO_FROM and inflated > MAX_RATIO * compressed:
            raise ChatxError.of(
                ProblemCode.INVALID_INPUT,
                f"members compressed {inflated // max(1, compressed)}:1, beyond what real data "
                "compresses to; not read (a zip bomb?)",
                where,
            )
        self.inflated, self.compressed = inflated, compressed


def _check_caps(infos: list[zipfile.ZipInfo], source: str) -> None:
    if len(infos) > MAX_ENTRIES:
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT,
            f"zip with {len(infos)} entries, over the cap of {MAX_ENTRIES}; not read (a zip bomb?)",
            source,
        )
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT,
            f"zip that inflates to {total:,} bytes, over the cap of {MAX_TOTAL_BYTES:,}; "
            "not read (a zip bomb?)",
            source,
        )


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str) -> bytes:
    """The member's bytes, stopping as soon as it inflates past its declared size or a cap."""
    limit = min(info.file_size, MAX_MEMBER_BYTES)
    if info.file_size > MAX_MEMBER_BYTES:
        raise ChatxError.of(
            ProblemCode.INVALID_INPUT,
            f"member of {info.file_size:,} bytes, over the cap of {MAX_MEMBER_BYTES:,}",
            where,
        )
    parts: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_READ_STEP):
                size += len(chunk)
                if size > limit:
                    raise ChatxError.of(
                        ProblemCode.INVALID_INPUT,
                        "member inflates past the size its header declares; not read (a zip bomb?)",
                        where,
                    )
                parts.append(chunk)
    except ChatxError:
        raise
    except Exception as exc:  # each codec has its own: zlib.error, LZMAError, OSError (bz2), ...
        raise ChatxError.of(ProblemCode.PARSE_ERROR, f"unreadable member: {exc}", where) from exc
    return b"".join(parts)


def folder_members(folder: Path, source: str, max_bytes: int = MAX_MEMBER_BYTES) -> Members:
    """The regular files below `folder`, read like zip members: symlinks not followed, secrets
    and `.env*` never listed."""
    members: list[Member] = []
    for path, size in _files(folder):
        if len(members) >= MAX_ENTRIES:
            raise ChatxError.of(
                ProblemCode.INVALID_INPUT,
                f"more than {MAX_ENTRIES} files: not one export; extract them one by one",
                source,
            )
        if size <= max_bytes:
            members.append(Member(path.relative_to(folder).as_posix(), size))
    members.sort(key=lambda m: m.name)

    def read(member: Member) -> bytes:
        try:
            return (folder / member.name).read_bytes()
        except OSError as exc:
            raise ChatxError.of(
                ProblemCode.INVALID_INPUT,
                f"cannot read file: {exc.strerror}",
                f"{source}/{member.name}",
            ) from exc

    return Members(members, read)


def _files(folder: Path) -> Iterator[tuple[Path, int]]:
    for path in folder.rglob("*"):
        try:
            info = path.lstat()
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and not never_read(path.relative_to(folder).parts):
            yield path, info.st_size
