"""Prompt templates: versioned files `prompts/<action>.v<N>.txt`, a system part and a user part
separated by a `---` line, with `$name` fields (string.Template). The version is part of the
response-cache key, so editing a prompt means adding a new version file."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib.resources import files
from string import Template

_NAME = re.compile(r"^(?P<action>[a-z-]+)\.v(?P<version>\d+)\.txt$")


@dataclass(frozen=True)
class PromptTemplate:
    """One action's prompt at one version."""

    action: str
    version: int
    system: Template
    user: Template

    @property
    def id(self) -> str:
        """`<action>.v<version>`, as cached and logged."""
        return f"{self.action}.v{self.version}"

    def render(self, **fields: str) -> tuple[str, str]:
        """The system and user prompts with `fields` filled in (missing fields stay empty)."""
        return _fill(self.system, fields), _fill(self.user, fields)


def _fill(template: Template, fields: dict[str, str]) -> str:
    names = {
        m.group("named") or m.group("braced") for m in template.pattern.finditer(template.template)
    } - {None}
    return template.substitute({name: "" for name in names} | fields)


@functools.cache
def templates() -> dict[str, PromptTemplate]:
    """The newest version of every action's template."""
    newest: dict[str, PromptTemplate] = {}
    for entry in files("chatx.assistant").joinpath("prompts").iterdir():
        match = _NAME.match(entry.name)
        if not match:
            continue
        system, _, user = entry.read_text(encoding="utf-8").partition("\n---\n")
        template = PromptTemplate(
            match["action"], int(match["version"]), Template(system.strip()), Template(user)
        )
        current = newest.get(template.action)
        if current is None or template.version > current.version:
            newest[template.action] = template
    return newest


def template(action: str) -> PromptTemplate:
    """The newest template of `action`."""
    return templates()[action]
