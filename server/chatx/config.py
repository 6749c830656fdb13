"""One settings model, read from `chatx.toml` / `[tool.chatx]` and `CHATX_*` variables."""

from __future__ import annotations

import logging
import os
import tomllib
from datetime import tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError

log = logging.getLogger(__name__)


class Settings(BaseModel):
    """ChatX settings; every field has a default, unknown keys are ignored with a warning."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    max_file_mb: float = Field(
        64.0, alias="maxFileMb", gt=0, description="Files larger than this are skipped, not read."
    )
    timezone: str | None = Field(
        None, description="IANA zone for exports without one; default: the machine's zone."
    )
    embedder: Literal["onnx", "onnx-int8", "torch"] = Field(
        "onnx",
        description="Embedding runtime (onnx: same vectors as sentence-transformers; "
        "onnx-int8: ~1.4x faster, approximate); a change re-embeds the index.",
    )
    window_turns: int = Field(
        40, alias="windowTurns", ge=1, description="Max turns per chat chunk."
    )
    overlap_turns: int = Field(
        2, alias="overlapTurns", ge=0, description="Turns shared by consecutive chat chunks."
    )
    chat_window_tokens: int = Field(
        128, alias="chatWindowTokens", ge=16, le=254, description="Token budget of a chat chunk."
    )
    batch_chunks: int = Field(
        2048, alias="batchChunks", ge=1, description="Chunks embedded and committed together."
    )
    ann_threshold: int = Field(
        50_000,
        alias="annThreshold",
        ge=1,
        description="Chunks from which an ANN vector index is built.",
    )

    def zone(self) -> tzinfo | None:
        """The configured zone, or None for the machine's."""
        if not self.timezone:
            return None
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("unknown timezone %r; using the machine's", self.timezone)
            return None


def _file_settings(workspace: Path) -> dict[str, Any]:
    for name, section in (("chatx.toml", None), ("pyproject.toml", ("tool", "chatx"))):
        path = workspace / name
        if not path.is_file():
            continue
        try:
            data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            log.warning("ignoring %s: %s", path, exc)
            continue
        for key in section or ():
            data = data.get(key, {})
        if data:
            return data
    return {}


def load_settings(workspace: Path) -> Settings:
    """Settings for `workspace`; invalid values are reported and replaced by defaults."""
    raw = _file_settings(workspace)
    for name, field in Settings.model_fields.items():
        value = os.environ.get(f"CHATX_{name.upper()}")
        if value is not None:
            raw[field.alias or name] = value
    known = {n for n in Settings.model_fields} | {f.alias for f in Settings.model_fields.values()}
    for key in set(raw) - known:
        log.warning("unknown setting %r ignored", key)
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        bad = {str(err["loc"][0]) for err in exc.errors()}
        log.warning("invalid settings %s: using their defaults", ", ".join(sorted(bad)))
        return Settings.model_validate({k: v for k, v in raw.items() if k not in bad})


def configuration_doc() -> str:
    """docs/configuration.md, generated from the Settings model."""
    rows = ["| key | env | default | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        key = field.alias or name
        rows.append(
            f"| `{key}` | `CHATX_{name.upper()}` | `{field.default!r}` | "
            f"{field.description or ''} |"
        )
    return (
        "# Configuration\n\n"
        "Generated from `chatx.config.Settings` by `python -m chatx.config`; do not edit.\n\n"
        "Settings are read from `chatx.toml` in the workspace, else `[tool.chatx]` in its\n"
        "`pyproject.toml`, then overridden by `CHATX_*` environment variables. Keys may be\n"
        "written in snake_case or camelCase. Unknown keys are ignored with a warning; an\n"
        "invalid value is reported and replaced by its default.\n\n" + "\n".join(rows) + "\n"
    )


if __name__ == "__main__":
    print(configuration_doc(), end="")
