"""A scripted model backend for in-process routing tests, like llm's MockModel: it answers
from a queue of replies and records every request it was sent. Tests register it in the
production backend registry (`chatx.llm.registry.register`) and choose it by name."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from chatx.llm.base import Backend, BackendUnavailableError, Capabilities, Generation, Request

Reply = str | BaseException | Callable[[Request], str]


class ScriptedBackend(Backend):
    """Answers each request with the next queued reply (a text, a text made from the request,
    or an exception to raise); with `logprob` per output token (confidence e^logprob)."""

    def __init__(
        self,
        name: str,
        model: str,
        *,
        local: bool = True,
        instruct: bool = True,
        window: int = 8192,
        logprob: float = -0.05,
    ) -> None:
        self.name = name
        self.model = model
        self.capabilities = Capabilities(window, True, True, local, instruct)
        self.logprob = logprob
        self.unavailable: str | None = None  # what probe() says; None: ready
        self.replies: deque[Reply] = deque()
        self.requests: list[Request] = []

    def enqueue(self, *replies: Reply) -> ScriptedBackend:
        """Queue replies for the next requests."""
        self.replies.extend(replies)
        return self

    async def probe(self) -> str | None:
        """`unavailable`: None, or why the backend cannot run."""
        return self.unavailable

    async def complete(self, request: Request) -> Generation:
        """The next queued reply to `request` (recorded)."""
        self.requests.append(request)
        if not self.replies:
            raise BackendUnavailableError(self.name, "no scripted reply left")
        reply = self.replies.popleft()
        if isinstance(reply, BaseException):
            raise reply
        text = reply if isinstance(reply, str) else reply(request)
        words = len(text.split())
        tokens_in = self.count_tokens(f"{request.system}\n\n{request.prompt}")
        return Generation(text, self.model, tokens_in, words, logprobs=[self.logprob] * words)
