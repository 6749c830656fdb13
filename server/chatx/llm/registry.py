"""The backends of one session, built from the settings: which local model runs, and whether the
cloud may be used."""

from __future__ import annotations

import time

from chatx.config import Settings
from chatx.llm.anthropic import AnthropicBackend, has_key
from chatx.llm.base import Backend
from chatx.llm.llamacpp import LlamaCppBackend
from chatx.llm.ollama import OllamaBackend

PROBE_TTL_S = 30.0  # a server started meanwhile is noticed within this time


class Backends:
    """Ollama, the embedded Gemma and Claude (Sonnet, Opus) as the settings configure them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ollama = OllamaBackend(
            settings.ollama_model, settings.ollama_host, settings.ollama_context
        )
        self.llamacpp = LlamaCppBackend(settings.llamacpp_context)
        self.sonnet = AnthropicBackend(settings.cloud_model)
        self.opus = AnthropicBackend(settings.heavy_model)
        self._local: tuple[float, Backend | None, str] | None = None

    async def local(self) -> tuple[Backend | None, str]:
        """The local-tier backend and a note for the route's reason ('' when there is nothing
        to say); (None, what to start) when none can run.

        Ollama when its server answers with the model, else the embedded Gemma when installed.
        An Ollama host that is not this machine is used behind the Policy Shield gate, or, with
        `remoteModels = forbid`, not contacted at all (the note then says so).
        """
        now = time.monotonic()
        if self._local is not None and now - self._local[0] < PROBE_TTL_S:
            return self._local[1], self._local[2]
        choice = self.settings.local_backend
        missing: list[str] = []
        note = ""
        found: tuple[Backend | None, str] = (None, "")
        if choice in ("auto", "ollama"):
            on_machine = await self.ollama.locate()
            if not on_machine and self.settings.remote_models == "forbid":
                note = (
                    f"{self.ollama.location} is not on this machine: remote model hosts are "
                    "forbidden (remoteModels = forbid)"
                )
                missing.append(note)
            elif (why := await self.ollama.probe()) is None:
                found = (self.ollama, "")
            else:
                missing.append(why)
        if found[0] is None and choice in ("auto", "llamacpp"):
            why = self.llamacpp.probe()
            if why is None:
                found = (self.llamacpp, note)
            else:
                missing.append(why)
        if found[0] is None:
            found = (None, "; ".join(missing))
        self._local = (now, *found)
        return found

    def cloud(self, heavy: bool) -> AnthropicBackend:
        """Opus for heavy reasoning, Sonnet otherwise."""
        return self.opus if heavy else self.sonnet

    def cloud_block(self, allow_cloud: bool) -> str | None:
        """Why the cloud may not be used (before the Policy Shield has its say); None: it may."""
        if not allow_cloud:
            return "the cloud is off (allowCloud is false; pass --allow-cloud)"
        if not has_key():
            return "no ANTHROPIC_API_KEY is set"
        return None

    async def aclose(self) -> None:
        """Close every backend's connections."""
        for backend in (self.ollama, self.llamacpp, self.sonnet, self.opus):
            await backend.aclose()
