"""Checked-in schemas match the models; settings parse with defaults and warnings."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from chatx.actions import HEAVY_ACTIONS
from chatx.config import FLAT_KEYS, Settings, ShieldSettings, load_settings, resolve_settings
from chatx.schemas import MODELS, render

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_checked_in_schema_matches_model(name: str) -> None:
    path = REPO / "schemas" / f"{name}.schema.json"
    assert path.read_text(encoding="utf-8") == render(MODELS[name]), (
        f"{path} drifted from its model: run `python -m chatx.schemas schemas`"
    )


def test_settings_from_file_env_and_bad_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "chatx.toml").write_text(
        'windowTurns = 12\noverlap_turns = -3\ntimezone = "Europe/Paris"\nbogus = 1\n'
    )
    monkeypatch.setenv("CHATX_MAX_FILE_MB", "5")
    with caplog.at_level(logging.WARNING):
        settings = load_settings(tmp_path)
    assert settings.index.window_turns == 12
    assert settings.index.overlap_turns == Settings().index.overlap_turns  # invalid -> default
    assert settings.index.max_file_mb == 5
    assert str(settings.index.zone()) == "Europe/Paris"
    assert "unknown setting 'bogus' ignored" in caplog.text
    assert "invalid settings overlap_turns" in caplog.text


def test_pyproject_tool_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.chatx]\nembedder = "onnx"\n')
    assert load_settings(tmp_path).index.embedder == "onnx"
    (tmp_path / "pyproject.toml").write_text("not toml [")
    assert load_settings(tmp_path) == Settings()


def test_configuration_doc_is_generated_from_the_model() -> None:
    from chatx.config import configuration_doc

    assert (REPO / "docs" / "configuration.md").read_text() == configuration_doc(), (
        "run `python -m chatx.config > docs/configuration.md`"
    )


def test_nested_groups_and_flat_keys_layer_field_by_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "chatx.toml").write_text(
        '[shield]\nnames = ["Ann Lee"]\nnameModel = ""\nbogus = 1\n'
        "[index]\nmaxFileMb = 2\nwindow_turns = 9\n"
    )
    monkeypatch.setenv("CHATX_SHIELD_NAMES", "Bo Chen, Cy Diaz")
    monkeypatch.setenv("CHATX_ALLOW_CLOUD", "true")
    client = {"chatx": {"models": {"allowCloud": False, "ollamaModel": "m"}, "maxFileMb": 3}}
    settings, warnings = resolve_settings(tmp_path, client)
    assert settings.shield.names == ["Bo Chen", "Cy Diaz"]  # the variable wins over the file
    assert settings.shield.name_model == ""
    assert settings.index.max_file_mb == 3 and settings.index.window_turns == 9
    assert settings.models.allow_cloud is True and settings.models.ollama_model == "m"
    assert warnings == ["unknown setting 'shield.bogus' ignored"]


def test_invalid_values_name_the_key_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHATX_SHIELD_ENTITIES", "org,moon")
    client = {"shield": {"debounceMs": -1, "regions": ["FR"]}, "editor": 3, "watch": "maybe"}
    settings, warnings = resolve_settings(None, client)
    assert settings == Settings(shield_regions=["FR"])
    assert warnings == [
        "invalid settings editor, shield.debounceMs, shieldEntities, watch: using their defaults"
    ]


def test_flat_and_nested_construction_agree() -> None:
    flat = Settings(allow_cloud=True, shieldNames="A, B", embedder="onnx-int8")
    nested = Settings(
        models={"allow_cloud": True},
        shield=ShieldSettings(names=["A", "B"]),
        index={"embedder": "onnx-int8"},
    )
    assert flat == nested == Settings.model_validate(nested.model_dump())
    assert flat.models.allow_cloud and flat.shield.names == ["A", "B"]
    assert Settings().models.heavy_actions == list(HEAVY_ACTIONS)
    assert {k.env for k in FLAT_KEYS} >= {
        "CHATX_SHIELD_NAMES",
        "CHATX_ALLOW_CLOUD",
        "CHATX_MAX_FILE_MB",
    }
    assert [k.path for k in FLAT_KEYS if k.alias == "shieldNameModel"] == ["shield.name_model"]
