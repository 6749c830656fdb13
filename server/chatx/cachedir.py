"""The per-user cache ChatX builds model files into, never inside a workspace: the embedder's
ONNX exports (`index/embedder.py`) and the Policy Shield's names lexicon (`shield/lexicon.py`).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def default_cache_dir() -> Path:
    """Per-user cache for exported models and built lexicons (`CHATX_MODEL_CACHE` overrides
    it)."""
    override = os.environ.get("CHATX_MODEL_CACHE")
    return Path(override) if override else Path(platformdirs.user_cache_dir("chatx")) / "models"
