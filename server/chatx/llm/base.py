"""What every model backend is: one abstract call, declared capabilities, typed errors."""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from chatx.config import DEFAULTS

# Deterministic local calls: greedy decoding and one fixed seed.
SEED = 42
CHARS_PER_TOKEN = 3.5  # estimate for backends without a tokenizer at hand


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, declared up front so the router need not ask."""

    context_window: int  # tokens, prompt and output together
    logprobs: bool  # returns per-token log-probabilities
    streaming: bool
    local: bool  # the prompt stays on this machine
    instruct: bool = True  # follows instructions; False for a base model (tighter stops)


@dataclass(frozen=True)
class Request:
    """One completion request; temperature 0 and the fixed seed make local calls repeatable."""

    prompt: str
    system: str = ""
    max_tokens: int = DEFAULTS.models.max_output_tokens
    temperature: float = 0.0
    seed: int = SEED
    stop: tuple[str, ...] = ()
    stream: bool = False
    timeout_s: float = DEFAULTS.models.request_timeout_s
    loop_guard: bool = True  # stop a local model's output once it repeats itself


@dataclass
class Generation:
    """What a backend answered."""

    text: str
    model: str
    tokens_in: int
    tokens_out: int
    logprobs: list[float] | None = None  # one per output token, when the backend gives them
    finish_reason: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def mean_probability(self) -> float | None:
        """The geometric mean of the output tokens' probabilities (None without logprobs)."""
        if not self.logprobs:
            return None
        return math.exp(sum(self.logprobs) / len(self.logprobs))


class BackendError(Exception):
    """A backend failed; `transient` failures are worth retrying."""

    transient = False
    kind = "error"

    def __init__(self, backend: str, detail: str) -> None:
        super().__init__(f"{backend}: {detail}")
        self.backend = backend
        self.detail = detail


class BackendUnavailableError(BackendError):
    """Nothing answers at the backend's address, or it is not installed (or it is down: 5xx)."""

    kind = "unavailable"

    def __init__(self, backend: str, detail: str, *, transient: bool = False) -> None:
        super().__init__(backend, detail)
        self.transient = transient


class AuthError(BackendError):
    """The key is missing, wrong or not allowed to use the model."""

    kind = "auth"


class RateLimitedError(BackendError):
    """The backend asked us to slow down; `retry_after` is its hint in seconds."""

    transient = True
    kind = "rate-limited"

    def __init__(self, backend: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(backend, detail)
        self.retry_after = retry_after


class BackendTimeoutError(BackendError):
    """The backend did not answer in time."""

    transient = True
    kind = "timeout"


class MalformedResponseError(BackendError):
    """The backend answered something that is not its protocol (a broken stream, bad JSON)."""

    transient = True
    kind = "malformed"


class Backend(ABC):
    """A model behind one call. Subclasses declare `name`, `model` and `capabilities`."""

    name: str
    model: str
    capabilities: Capabilities
    max_concurrency: int | None = None  # calls it can serve at once (None: the tier's setting)

    @abstractmethod
    async def complete(self, request: Request) -> Generation:
        """Answer one request; failures raise a `BackendError` subclass."""

    async def probe(self) -> str | None:
        """None when the backend can take a request now, else why not and what to do about
        it (a person reads it in the route's reason). Cheap: nothing is generated."""
        return None

    async def locate(self) -> bool:
        """Whether the backend runs on this machine (a prompt sent to it stays here)."""
        return self.capabilities.local

    @property
    def model_id(self) -> str:
        """`backend:model`, the identity responses are cached under."""
        return f"{self.name}:{self.model}"

    @property
    def location(self) -> str:
        """The backend as a route's reason names it (with its host, where it has one)."""
        return self.name

    def count_tokens(self, text: str) -> int:
        """Tokens `text` takes in this backend's prompt (an estimate unless overridden)."""
        return math.ceil(len(text) / CHARS_PER_TOKEN)

    async def aclose(self) -> None:  # noqa: B027 (optional hook, not abstract)
        """Release connections or model memory."""


def degenerate(text: str) -> bool:
    """True for output stuck in a loop: one line (digits ignored) is at least a third of 3+
    lines. Greedy decoding of a small model does this, with high token probabilities."""
    lines = [re.sub(r"\d+", "#", line.strip()) for line in text.splitlines() if line.strip()]
    if len(lines) < 3:
        return False
    top = max(lines.count(line) for line in set(lines))
    return top >= 3 and top * 3 >= len(lines)
