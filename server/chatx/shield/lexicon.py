"""A names lexicon: first names and surnames from `names-dataset`, with how common each is as
a word.

`names-dataset` ships 1.7M names with their per-country popularity rank inside its PyPI
package, but loading it takes ~15 s and ~2 GB. The lexicon keeps the names ranked in the top
`MAX_RANK` of some country, folded (lower case, no accents), with their best ranks and their
word frequencies (`wordfreq`, English and the highest over the languages we read), and is
built once into the user cache: `python -m chatx.shield.lexicon` does it ahead of time, and
`make` runs that. Whether a name is also an everyday word is decided from these figures by
the finder (`persons.py`), so the thresholds can be tuned without a rebuild.
"""

from __future__ import annotations

import gzip
import marshal
import os
import pickle
import sys
import threading
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

from chatx.cachedir import default_cache_dir
from chatx.shield.names import fold

FORMAT = 3
MAX_RANK = 5000
LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "da", "cs")
NO_RANK = 99_999


@dataclass(frozen=True)
class Entry:
    """What the lexicon knows of one folded word."""

    first_rank: int  # best rank as a first name in any country (NO_RANK: not one)
    last_rank: int  # best rank as a surname
    zipf_en: float  # word frequency in English (wordfreq's Zipf scale; 0: unseen)
    zipf_max: float  # the highest word frequency over LANGUAGES


@dataclass(frozen=True)
class Lexicon:
    """Folded name words and what makes them names or words: per word, its two ranks and its
    two frequencies (times ten), as stored."""

    rows: dict[str, tuple[int, int, int, int]]

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, folded: str) -> Entry | None:
        """The entry of a folded word, None when it is no name."""
        row = self.rows.get(folded)
        if row is None:
            return None
        return Entry(row[0], row[1], row[2] / 10, row[3] / 10)


def lexicon_path() -> Path:
    """Where the built lexicon lives: the user cache, keyed by the dataset's version and the
    Python that reads it (the file is `marshal` data, which only this interpreter writes)."""
    python = f"py{sys.version_info[0]}{sys.version_info[1]}"
    name = f"names-nd{version('names-dataset')}-r{MAX_RANK}-v{FORMAT}-{python}.marshal.gz"
    return default_cache_dir() / name


_LOAD_LOCK = threading.Lock()


def load_lexicon() -> Lexicon:
    """The lexicon, built on first use when `make` has not built it yet (once per machine).
    Loading takes about a quarter of a second; concurrent callers wait for one load."""
    with _LOAD_LOCK:
        return _load()


@cache
def _load() -> Lexicon:
    path = lexicon_path()
    if not path.exists():
        build(path)
    with gzip.open(path, "rb") as handle:
        rows = marshal.loads(handle.read())
    return Lexicon(rows)


def build(path: Path) -> int:
    """Build the lexicon from the installed `names-dataset` into `path`; the number of words."""
    import names_dataset
    from wordfreq import get_frequency_dict, zipf_frequency

    data = Path(names_dataset.__file__).parent / "v3"
    ranks: dict[str, list[int]] = {}
    for column, file in enumerate(("first_names.pkl.gz", "last_names.pkl.gz")):
        with gzip.open(data / file, "rb") as handle:
            names: dict[str, dict[str, dict[str, int | None]]] = pickle.load(handle)
        for name, info in names.items():
            found = [r for r in (info.get("rank") or {}).values() if r]
            if not found or min(found) > MAX_RANK or not name.isalpha() or len(name) < 2:
                continue
            best = ranks.setdefault(fold(name), [NO_RANK, NO_RANK])
            best[column] = min(best[column], min(found))
        del names
    tables = [get_frequency_dict(lang) for lang in LANGUAGES]
    rows: dict[str, tuple[int, int, int, int]] = {}
    for word, (first, last) in sorted(ranks.items()):
        known = any(word in table for table in tables)
        scores = [zipf_frequency(word, lang) for lang in LANGUAGES] if known else [0.0]
        rows[word] = (first, last, round(scores[0] * 10), round(max(scores) * 10))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    with gzip.open(tmp, "wb", compresslevel=1) as out:
        out.write(marshal.dumps(rows))
    tmp.replace(path)
    return len(rows)


def main() -> None:
    """Build the lexicon ahead of time (`python -m chatx.shield.lexicon`)."""
    path = lexicon_path()
    if path.exists():
        print(f"names lexicon: {path} (already built)", file=sys.stderr)
        return
    count = build(path)
    print(f"names lexicon: {count} words -> {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
