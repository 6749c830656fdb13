"""Backends by name, and the backends of one session: which local model runs, and whether the
cloud may be used.

A backend is made by a factory registered under its name (`register`), as llm's plugins
register models: the built-in ones are `ollama`, `llamacpp` and `anthropic`, and any other
(a scripted backend in the tests) is registered and chosen the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from chatx.config import Settings
from chatx.llm.anthropic import AnthropicBackend
from chatx.llm.base import Backend
from chatx.llm.llamacpp import LlamaCppBackend
from chatx.llm.ollama import OllamaBackend

PROBE_TTL_S = 30.0  # a server started meanwhile is noticed within this time
LOCAL_ORDER = ("ollama", "llamacpp")  # tried in this order when `localBackend` is auto
CLOUD = "anthropic"

# (settings, model or None for the configured one) -> a backend
Factory = Callable[[Settings, str | None], Backend]
_FACTORIES: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    """Make `factory` the maker of the backend called `name` (replacing any before it)."""
    _FACTORIES[name] = factory


def unregister(name: str) -> None:
    """Forget the backend called `name`."""
    _FACTORIES.pop(name, None)


def create(name: str, settings: Settings, model: str | None = None) -> Backend:
    """A new backend called `name`, configured by `settings` (and serving `model`)."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(f"no backend {name!r} (known: {', '.join(sorted(_FACTORIES))})") from None
    return factory(settings, model)


register(
    "ollama",
    lambda s, model: OllamaBackend(
        model or s.models.ollama_model, s.models.ollama_host, s.models.ollama_context
    ),
)
register("llamacpp", lambda s, model: LlamaCppBackend(s.models.llamacpp_context))
register("anthropic", lambda s, model: AnthropicBackend(model or s.models.cloud_model))


class Backends:
    """The local backends (tried in order) and the cloud's light and heavy models."""

    def __init__(
        self, settings: Settings, local: Sequence[Backend], light: Backend, heavy: Backend
    ) -> None:
        self.settings = settings
        self.local_backends = tuple(local)
        self.light = light
        self.heavy = heavy
        self._local: tuple[float, Backend | None, str] | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, local: Sequence[str] | None = None, cloud: str = CLOUD
    ) -> Backends:
        """The backends `settings` choose: `local` names the local ones to try (default: from
        `localBackend`), `cloud` the backend serving `cloudModel` and `heavyModel`."""
        s = settings
        if local is None:
            local = LOCAL_ORDER if s.models.local_backend == "auto" else (s.models.local_backend,)
        return cls(
            s,
            [create(name, s) for name in local],
            create(cloud, s, s.models.cloud_model),
            create(cloud, s, s.models.heavy_model),
        )

    def lane_limits(self) -> dict[str, int]:
        """Concurrent calls per backend name: the tier's setting, capped by what the backend
        can serve."""
        s = self.settings
        limits = {b.name: s.models.cloud_concurrency for b in (self.light, self.heavy)}
        for backend in self.local_backends:
            cap = backend.max_concurrency or s.models.local_concurrency
            limits[backend.name] = min(s.models.local_concurrency, cap)
        return limits

    async def local(self) -> tuple[Backend | None, str]:
        """The local-tier backend and a note for the route's reason ('' when there is nothing
        to say); (None, what to start) when none can run.

        The first local backend that answers its probe (Ollama with the model, then the
        embedded Gemma when installed). A backend that is not on this machine (an Ollama host
        elsewhere) is used behind the Policy Shield gate, or, with `remoteModels = forbid`,
        not contacted at all (the note then says so).
        """
        now = time.monotonic()
        if self._local is not None and now - self._local[0] < PROBE_TTL_S:
            return self._local[1], self._local[2]
        missing: list[str] = []
        notes: list[str] = []
        found: tuple[Backend | None, str] | None = None
        for backend in self.local_backends:
            if not await backend.locate() and self.settings.models.remote_models == "forbid":
                note = (
                    f"{backend.location} is not on this machine: remote model hosts are "
                    "forbidden (remoteModels = forbid)"
                )
                missing.append(note)
                notes.append(note)
            elif (why := await backend.probe()) is None:
                found = (backend, "; ".join(notes))
                break
            else:
                missing.append(why)
        if found is None:
            found = (None, "; ".join(missing))
        self._local = (now, *found)
        return found

    def cloud(self, heavy: bool) -> Backend:
        """The heavy model for heavy reasoning, the light one otherwise."""
        return self.heavy if heavy else self.light

    async def cloud_block(self, allow_cloud: bool) -> str | None:
        """Why the cloud may not be used (before the Policy Shield has its say); None: it may."""
        if not allow_cloud:
            return "the cloud is off (allowCloud is false; pass --allow-cloud)"
        return await self.light.probe()

    async def aclose(self) -> None:
        """Close every backend's connections."""
        for backend in (*self.local_backends, self.light, self.heavy):
            await backend.aclose()
