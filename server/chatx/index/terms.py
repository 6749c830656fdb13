"""What counts as a term of the indexed text: identifier-shaped tokens and long words.

The index counts them per source as it writes (`rows.py`); the daemon's completion vocabulary
(`chatx/daemon/vocab.py`) is loaded from those counts.
"""

from __future__ import annotations

import re
from collections import Counter

_TOKEN = re.compile(r"[A-Za-z_][\w]*(?:[.\-/][A-Za-z_][\w]*)*")
_IDENTIFIER = re.compile(r"_|\d|[a-z][A-Z]|[.\-/]\w")  # searched: linear in the token
MIN_TERM_CHARS = 3
MAX_TERM_CHARS = 64  # longer runs (hashes, base64, a line of x) are no completion
MIN_WORD_CHARS = 6  # plain words shorter than this are not worth completing


def terms_of(text: str) -> Counter[str]:
    """Identifier-shaped tokens and long words of a text, with their counts."""
    found: Counter[str] = Counter()
    for token in _TOKEN.findall(text):
        token = token.rstrip(".-/")
        if not MIN_TERM_CHARS <= len(token) <= MAX_TERM_CHARS:
            continue
        if _IDENTIFIER.search(token) or len(token) >= MIN_WORD_CHARS:
            found[token] += 1
    return found


def term_kind(term: str) -> str:
    """`identifier` for snake_case, camelCase, dotted or numbered tokens, else `term`."""
    return "identifier" if _IDENTIFIER.search(term) else "term"


def first_name(name: str) -> str | None:
    """The first word of a person's name, when it is long enough to call them by."""
    parts = name.split()
    return parts[0] if parts and len(parts[0]) >= MIN_TERM_CHARS else None
