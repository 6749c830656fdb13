"""Gemma (or any model) on an Ollama server, through the official `ollama` client.

The client honours `OLLAMA_HOST`; a host that does not resolve to this machine
(`chatx.llm.hosts`) is treated as leaving it: its prompts go through the Policy Shield gate like
a cloud call's, or it is not used at all (`remoteModels = forbid`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import httpx
import ollama
from pydantic import ValidationError

from chatx.config import DEFAULTS
from chatx.llm.base import (
    AuthError,
    Backend,
    BackendError,
    BackendTimeoutError,
    BackendUnavailableError,
    Capabilities,
    Generation,
    MalformedResponseError,
    RateLimitedError,
    Request,
)
from chatx.llm.hosts import host_name, is_local_host

PROBE_TIMEOUT_S = 1.0
START_HINT = "start Ollama (`ollama serve`) and pull the model (`ollama pull {model}`)"


class OllamaBackend(Backend):
    """An Ollama server's `/api/generate`, plain or streamed, with token log-probabilities."""

    name = "ollama"

    def __init__(
        self,
        model: str = DEFAULTS.models.ollama_model,
        host: str | None = None,
        context: int = DEFAULTS.models.ollama_context,
    ) -> None:
        self.model = model
        self.host = host or os.environ.get("OLLAMA_HOST")
        self.hostname = host_name(self.host)
        self.context = context
        # Not local until `locate()` has resolved the host: resolving may wait on DNS.
        self.capabilities = Capabilities(
            context_window=context, logprobs=True, streaming=True, local=False
        )
        self._client: ollama.AsyncClient | None = None

    @property
    def location(self) -> str:
        """`ollama at <host>`."""
        return f"{self.name} at {self.hostname}"

    async def locate(self) -> bool:
        """Resolve the host (in a thread) and record whether it is this machine in
        `capabilities.local`; a name that does not resolve is not local."""
        local = await asyncio.to_thread(is_local_host, self.hostname)
        self.capabilities = dataclasses.replace(self.capabilities, local=local)
        return local

    def _get_client(self, timeout_s: float) -> ollama.AsyncClient:
        if self._client is None:
            self._client = ollama.AsyncClient(host=self.host, timeout=timeout_s)
        return self._client

    async def probe(self) -> str | None:
        """None when the server answers and has the model, else why not (and what to do)."""
        client = ollama.AsyncClient(host=self.host, timeout=PROBE_TIMEOUT_S)
        try:
            listed = await client.list()
        except (ConnectionError, httpx.HTTPError, ollama.ResponseError) as exc:
            return f"no Ollama server answers ({type(exc).__name__}): " + START_HINT.format(
                model=self.model
            )
        finally:
            await client._client.aclose()
        names = {m.model for m in listed.models if m.model}
        wanted = self.model if ":" in self.model else f"{self.model}:latest"
        if wanted not in names:
            return f"Ollama has no model {self.model}: run `ollama pull {self.model}`"
        return None

    async def complete(self, request: Request) -> Generation:
        """Generate with temperature, seed and output cap from `request`."""
        client = self._get_client(request.timeout_s)
        options: dict[str, Any] = {
            "temperature": request.temperature,
            "seed": request.seed,
            "num_predict": request.max_tokens,
            "num_ctx": self.context,
        }
        if request.stop:
            options["stop"] = list(request.stop)
        try:
            if request.stream:
                parts = await client.generate(
                    self.model,
                    request.prompt,
                    system=request.system,
                    stream=True,
                    logprobs=True,
                    options=options,
                )
                return await self._collect(parts)
            response = await client.generate(
                self.model,
                request.prompt,
                system=request.system,
                logprobs=True,
                options=options,
            )
            return self._generation([response])
        except BackendError:
            raise
        except Exception as exc:
            raise self._error(exc) from exc

    async def _collect(self, parts: AsyncIterator[ollama.GenerateResponse]) -> Generation:
        received = [part async for part in parts]
        if not received or not received[-1].done:
            raise MalformedResponseError(self.name, "the stream ended before its final message")
        return self._generation(received)

    def _generation(self, parts: list[ollama.GenerateResponse]) -> Generation:
        last = parts[-1]
        logprobs = [lp.logprob for part in parts for lp in (part.logprobs or ())]
        return Generation(
            text="".join(part.response or "" for part in parts),
            model=last.model or self.model,
            tokens_in=last.prompt_eval_count or 0,
            tokens_out=last.eval_count or 0,
            logprobs=logprobs or None,
            finish_reason=last.done_reason,
        )

    def _error(self, exc: Exception) -> BackendError:
        if isinstance(exc, ollama.ResponseError):
            status = exc.status_code
            if status == 429:
                return RateLimitedError(self.name, exc.error)
            if status in (401, 403):
                return AuthError(self.name, exc.error)
            if status == 404:
                return BackendUnavailableError(
                    self.name, f"{exc.error}: run `ollama pull {self.model}`"
                )
            if status >= 500 or status == -1:
                return BackendUnavailableError(self.name, exc.error, transient=True)
            return BackendUnavailableError(self.name, f"{exc.error} (HTTP {status})")
        if isinstance(exc, httpx.TimeoutException):
            return BackendTimeoutError(self.name, "no answer in time")
        if isinstance(exc, ConnectionError | httpx.ConnectError):
            return BackendUnavailableError(self.name, START_HINT.format(model=self.model))
        if isinstance(exc, json.JSONDecodeError | ValidationError | httpx.RemoteProtocolError):
            return MalformedResponseError(self.name, f"not an Ollama response: {exc}")
        if isinstance(exc, httpx.HTTPError):
            return BackendUnavailableError(self.name, str(exc), transient=True)
        raise exc

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        if self._client is not None:
            await self._client._client.aclose()
            self._client = None
