"""Docs: Markdown, reStructuredText and plain text, cut into sections that follow headings."""

from __future__ import annotations

import re

from chatx.ingest.common import Extracted, Section

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*)$")  # title: group 2 less trailing " \t#"
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_RST_ADORNMENT = re.compile(r"^([=\-`:'\"~^_*+#<>.])\1{2,}[ \t]*$")


def looks_like_markdown(lines: list[str]) -> bool:
    """True when the text has ATX headings or fenced code."""
    return any(_ATX.match(line) or _FENCE.match(line) for line in lines[:200])


def looks_like_rst(lines: list[str]) -> bool:
    """True when some title is underlined with a reStructuredText adornment."""
    return any(
        _RST_ADORNMENT.match(lines[i + 1])
        and lines[i].strip()
        and len(lines[i + 1].rstrip()) >= len(lines[i].rstrip())
        for i in range(min(len(lines) - 1, 200))
    )


def parse_markdown(lines: list[str]) -> Extracted:
    """Sections of a Markdown file; headings inside fenced code are not headings."""
    titles: dict[int, tuple[int, str]] = {}
    fence: str | None = None
    for index, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        atx = _ATX.match(line)
        if atx:
            titles[index] = (len(atx.group(1)), atx.group(2).rstrip(" \t#"))
        elif (
            index > 0
            and lines[index - 1].strip()
            and _SETEXT.match(line)
            and (index - 1 not in titles)
        ):
            titles[index - 1] = (1 if line.strip()[0] == "=" else 2, lines[index - 1].strip())
    return _sections(lines, titles, "markdown")


def parse_rst(lines: list[str]) -> Extracted:
    """Sections of a reStructuredText file; heading levels follow adornment order of appearance."""
    levels: dict[tuple[str, bool], int] = {}
    titles: dict[int, tuple[int, str]] = {}
    for index in range(len(lines) - 1):
        title, under = lines[index], lines[index + 1]
        if not title.strip() or _RST_ADORNMENT.match(title) or not _RST_ADORNMENT.match(under):
            continue
        if len(under.rstrip()) < len(title.rstrip()):
            continue
        over = index > 0 and lines[index - 1].rstrip() == under.rstrip()
        style = (under.strip()[0], over)
        level = levels.setdefault(style, len(levels) + 1)
        titles[index - 1 if over else index] = (level, title.strip())
    return _sections(lines, titles, "rst")


def parse_text(lines: list[str]) -> Extracted:
    """A plain text file is one section; chunking splits it at paragraphs."""
    return _sections(lines, {}, "text")


def _sections(lines: list[str], titles: dict[int, tuple[int, str]], fmt: str) -> Extracted:
    result = Extracted(format=fmt, kind="doc")
    stack: list[tuple[int, str]] = []
    starts = sorted(titles)
    bounds = [0, *starts] if not starts or starts[0] != 0 else starts
    for position, start in enumerate(bounds):
        end = bounds[position + 1] if position + 1 < len(bounds) else len(lines)
        if start in titles:
            level, title = titles[start]
            stack = [(lvl, name) for lvl, name in stack if lvl < level] + [(level, title)]
        body = tuple(lines[start:end])
        while body and not body[-1].strip():
            body = body[:-1]
        if any(line.strip() for line in body):
            result.sections.append(Section(tuple(name for _, name in stack), start + 1, body))
    return result
