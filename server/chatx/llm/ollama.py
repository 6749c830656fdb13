"""Gemma (or any model) on an Ollama server, through the official `ollama` client.

The client honours `OLLAMA_HOST`; a host that is not on this machine is treated as leaving it,
so its prompts go through the Policy Shield like a cloud call's.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import ollama
from pydantic import ValidationError

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

DEFAULT_MODEL = "gemma3:4b"
DEFAULT_CONTEXT = 8192
PROBE_TIMEOUT_S = 1.0
START_HINT = "start Ollama (`ollama serve`) and pull the model (`ollama pull {model}`)"


def host_is_local(host: str | None) -> bool:
    """True when `host` (an `OLLAMA_HOST` value; None: the default) is on this machine."""
    if not host:
        return True
    name = urlsplit(host if "://" in host else f"http://{host}").hostname or "127.0.0.1"
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class OllamaBackend(Backend):
    """An Ollama server's `/api/generate`, plain or streamed, with token log-probabilities."""

    name = "ollama"

    def __init__(
        self, model: str = DEFAULT_MODEL, host: str | None = None, context: int = DEFAULT_CONTEXT
    ) -> None:
        self.model = model
        self.host = host or os.environ.get("OLLAMA_HOST")
        self.context = context
        self.capabilities = Capabilities(
            context_window=context, logprobs=True, streaming=True, local=host_is_local(self.host)
        )
        self._client: ollama.AsyncClient | None = None

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
