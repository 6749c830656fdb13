"""Editor configurations stay in step with the settings model."""

from __future__ import annotations

import json
from pathlib import Path

from chatx.config import FLAT_KEYS, vscode_properties

REPO = Path(__file__).resolve().parents[2]


def test_vscode_settings_mirror_the_config_model() -> None:
    package = json.loads((REPO / "client-config" / "vscode" / "package.json").read_text())
    properties = package["contributes"]["configuration"]["properties"]
    launcher = properties.pop("chatx.serverCommand")
    assert launcher["default"] == ["chatx", "serve"]
    assert properties == vscode_properties()
    assert len(properties) == len(FLAT_KEYS)
    assert properties["chatx.hoverResults"]["default"] == 3


def test_editor_configs_start_chatx_serve() -> None:
    configs = REPO / "client-config"
    assert '{ "chatx", "serve" }' in (configs / "neovim" / "chatx.lua").read_text()
    lua = (configs / "neovim" / "chatx.lua").read_text()
    assert "vim.lsp.start_client" in lua and "vim.lsp.start(" in lua
    assert '("chatx" "serve")' in (configs / "emacs" / "chatx-eglot.el").read_text()
    assert "vscode-languageclient/node" in (configs / "vscode" / "src" / "extension.ts").read_text()
