"""Claude through the official `anthropic` client: Sonnet to escalate, Opus for heavy reasoning.

The client reads `ANTHROPIC_API_KEY` (or `ANTHROPIC_AUTH_TOKEN`) and `ANTHROPIC_BASE_URL`, so any
Anthropic-compatible gateway can be pointed at. Retries are ours (tenacity), not the client's.
Only redacted prompts that passed the Policy Shield preflight reach this class.
"""

from __future__ import annotations

import json
import os

import anthropic

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

CONTEXT = 200_000
KEY_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")


def has_key() -> bool:
    """True when the client will find a key or token in the environment."""
    return any(os.environ.get(name) for name in KEY_VARIABLES)


class AnthropicBackend(Backend):
    """The Messages API, plain or streamed (server-sent events)."""

    name = "anthropic"
    capabilities = Capabilities(context_window=CONTEXT, logprobs=False, streaming=True, local=False)

    def __init__(self, model: str = DEFAULTS.models.cloud_model) -> None:
        self.model = model
        self._client: anthropic.AsyncAnthropic | None = None

    def _get_client(self, timeout_s: float) -> anthropic.AsyncAnthropic:
        if self._client is None:
            if not has_key():
                raise AuthError(self.name, "no key: set ANTHROPIC_API_KEY")
            self._client = anthropic.AsyncAnthropic(max_retries=0, timeout=timeout_s)
        return self._client

    async def probe(self) -> str | None:
        """None when a key is set (the API itself is not contacted), else what to set."""
        return None if has_key() else "no ANTHROPIC_API_KEY is set"

    async def complete(self, request: Request) -> Generation:
        """One Messages API call with the request's output cap and temperature."""
        client = self._get_client(request.timeout_s)
        arguments = {
            "model": self.model,
            "max_tokens": request.max_tokens,
            "messages": [{"role": "user", "content": request.prompt}],
        }  # this API version has no temperature: cloud answers are not deterministic
        if request.system:
            arguments["system"] = request.system
        if request.stop:
            arguments["stop_sequences"] = list(request.stop)
        try:
            if request.stream:
                async with client.messages.stream(**arguments) as stream:  # type: ignore[arg-type]
                    message = await stream.get_final_message()
            else:
                message = await client.messages.create(**arguments)  # type: ignore[call-overload]
        except BackendError:
            raise
        except Exception as exc:
            raise self._error(exc) from exc
        text = "".join(block.text for block in message.content if block.type == "text")
        return Generation(
            text=text,
            model=message.model,
            tokens_in=message.usage.input_tokens,
            tokens_out=message.usage.output_tokens,
            finish_reason=message.stop_reason,
        )

    def _error(self, exc: Exception) -> BackendError:
        if isinstance(exc, anthropic.RateLimitError):
            return RateLimitedError(self.name, "rate limited (429)", _retry_after(exc))
        if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
            return AuthError(self.name, f"the key was refused (HTTP {exc.status_code})")
        if isinstance(exc, anthropic.APITimeoutError):
            return BackendTimeoutError(self.name, "no answer in time")
        if isinstance(exc, anthropic.APIConnectionError):
            return BackendUnavailableError(self.name, "cannot connect (check ANTHROPIC_BASE_URL)")
        if isinstance(exc, anthropic.InternalServerError):
            return BackendUnavailableError(self.name, f"HTTP {exc.status_code}", transient=True)
        if isinstance(exc, anthropic.APIStatusError):
            return BackendUnavailableError(self.name, f"HTTP {exc.status_code}: {exc.message}")
        if isinstance(exc, anthropic.APIResponseValidationError | json.JSONDecodeError):
            return MalformedResponseError(self.name, f"not a Messages API response: {exc}")
        if isinstance(exc, anthropic.APIError):
            return MalformedResponseError(self.name, str(exc))
        raise exc

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        if self._client is not None:
            await self._client.close()
            self._client = None


def _retry_after(exc: anthropic.APIStatusError) -> float | None:
    value = exc.response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
