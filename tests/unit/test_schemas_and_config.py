"""Checked-in schemas match the models; settings parse with defaults and warnings."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from chatx.config import Settings, load_settings
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
    assert settings.window_turns == 12
    assert settings.overlap_turns == Settings().overlap_turns  # invalid -> default
    assert settings.max_file_mb == 5
    assert str(settings.zone()) == "Europe/Paris"
    assert "unknown setting 'bogus' ignored" in caplog.text
    assert "invalid settings overlap_turns" in caplog.text


def test_pyproject_tool_section(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.chatx]\nembedder = "onnx"\n')
    assert load_settings(tmp_path).embedder == "onnx"
    (tmp_path / "pyproject.toml").write_text("not toml [")
    assert load_settings(tmp_path) == Settings()


def test_configuration_doc_is_generated_from_the_model() -> None:
    from chatx.config import configuration_doc

    assert (REPO / "docs" / "configuration.md").read_text() == configuration_doc(), (
        "run `python -m chatx.config > docs/configuration.md`"
    )
