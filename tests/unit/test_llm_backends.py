"""The Ollama and Anthropic backends through their official clients, against stand-in servers
on 127.0.0.1 that speak the real wire protocols (tests/standins), plain and streamed."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from tests.standins.anthropic_standin import AnthropicStandIn
from tests.standins.ollama_standin import OllamaStandIn

from chatx.llm.anthropic import AnthropicBackend
from chatx.llm.base import (
    AuthError,
    BackendTimeoutError,
    BackendUnavailableError,
    MalformedResponseError,
    RateLimitedError,
    Request,
)
from chatx.llm.ollama import OllamaBackend

ANSWER = "Roll back with helm rollback orders 41 [1]."


@pytest.fixture()
def ollama_server() -> Iterator[OllamaStandIn]:
    with OllamaStandIn(ANSWER) as server:
        yield server  # type: ignore[misc]


@pytest.fixture()
def claude_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn(ANSWER) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", server.key)
        yield server  # type: ignore[misc]


@pytest.mark.parametrize("stream", [False, True])
async def test_ollama_generates_plain_and_streamed(
    ollama_server: OllamaStandIn, stream: bool
) -> None:
    backend = OllamaBackend("gemma3:4b", ollama_server.url)
    generation = await backend.complete(Request("How do we roll back?", stream=stream))
    await backend.aclose()
    assert generation.text == ANSWER
    assert generation.model == "gemma3:4b"
    assert generation.tokens_out == 8
    assert generation.tokens_in == len("How do we roll back?") // 4
    assert generation.mean_probability() == pytest.approx(math.exp(-0.05))
    sent = ollama_server.requests[-1]
    assert sent["options"]["temperature"] == 0.0
    assert sent["options"]["seed"] == 42
    assert sent["options"]["num_predict"] == 800
    assert sent["stream"] is stream


async def test_ollama_probe_names_what_is_missing(ollama_server: OllamaStandIn) -> None:
    assert await OllamaBackend("gemma3:4b", ollama_server.url).probe() is None
    missing = await OllamaBackend("gemma3:27b", ollama_server.url).probe()
    assert missing == "Ollama has no model gemma3:27b: run `ollama pull gemma3:27b`"
    refused = await OllamaBackend("gemma3:4b", "127.0.0.1:9").probe()
    assert refused is not None and "ollama serve" in refused


@pytest.mark.parametrize(
    ("fault", "error", "transient"),
    [
        ("429", RateLimitedError, True),
        ("500", BackendUnavailableError, True),
        ("404", BackendUnavailableError, False),
        ("malformed", MalformedResponseError, True),
        ("truncated", MalformedResponseError, True),
    ],
)
async def test_ollama_errors_are_typed(
    ollama_server: OllamaStandIn, fault: str, error: type[Exception], transient: bool
) -> None:
    ollama_server.fail_next(fault)
    backend = OllamaBackend("gemma3:4b", ollama_server.url)
    with pytest.raises(error) as caught:
        await backend.complete(Request("q", stream=True))
    assert caught.value.transient is transient  # type: ignore[attr-defined]


async def test_ollama_timeout_and_connection_refused(ollama_server: OllamaStandIn) -> None:
    ollama_server.slow_s = 1.0
    ollama_server.fail_next("slow")
    with pytest.raises(BackendTimeoutError):
        await OllamaBackend("gemma3:4b", ollama_server.url).complete(Request("q", timeout_s=0.2))
    with pytest.raises(BackendUnavailableError, match="ollama serve") as refused:
        await OllamaBackend("gemma3:4b", "127.0.0.1:9").complete(Request("q"))
    assert refused.value.transient is False


async def test_ollama_host_outside_this_machine_is_not_local(
    ollama_server: OllamaStandIn,
) -> None:
    remote = OllamaBackend(host="http://203.0.113.5:11434")
    assert not remote.capabilities.local  # until located: resolving may wait on DNS
    assert await remote.locate() is False and not remote.capabilities.local
    assert remote.location == "ollama at 203.0.113.5"
    unresolvable = OllamaBackend(host="gpu-box.invalid:11434")
    assert await unresolvable.locate() is False
    for host in (ollama_server.url, "localhost:11434", "[::1]:11434", None):
        backend = OllamaBackend(host=host)
        assert await backend.locate() is True and backend.capabilities.local, host


@pytest.mark.parametrize("stream", [False, True])
async def test_anthropic_messages_plain_and_streamed(
    claude_server: AnthropicStandIn, stream: bool
) -> None:
    backend = AnthropicBackend("claude-sonnet-5-5")
    generation = await backend.complete(
        Request("How do we roll back?", system="Be brief.", max_tokens=300, stream=stream)
    )
    await backend.aclose()
    assert generation.text == ANSWER
    assert generation.model == "claude-sonnet-5-5"
    assert generation.tokens_out == 8
    assert generation.tokens_in > 0
    assert generation.logprobs is None
    sent = claude_server.requests[-1]
    assert sent["max_tokens"] == 300
    assert sent["system"] == "Be brief."
    assert sent["messages"] == [{"role": "user", "content": "How do we roll back?"}]
    assert bool(sent.get("stream")) is stream


async def test_anthropic_429_carries_retry_after(claude_server: AnthropicStandIn) -> None:
    claude_server.fail_next("429")
    with pytest.raises(RateLimitedError) as caught:
        await AnthropicBackend().complete(Request("q"))
    assert caught.value.retry_after == 0.0
    assert caught.value.transient


@pytest.mark.parametrize(
    ("fault", "error", "transient"),
    [("529", BackendUnavailableError, True), ("malformed", MalformedResponseError, True)],
)
async def test_anthropic_errors_are_typed(
    claude_server: AnthropicStandIn, fault: str, error: type[Exception], transient: bool
) -> None:
    claude_server.fail_next(fault)
    with pytest.raises(error) as caught:
        await AnthropicBackend().complete(Request("q", stream=True))
    assert caught.value.transient is transient  # type: ignore[attr-defined]


async def test_anthropic_timeout_and_bad_key(
    claude_server: AnthropicStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    claude_server.slow_s = 1.0
    claude_server.fail_next("slow")
    with pytest.raises(BackendTimeoutError):
        await AnthropicBackend().complete(Request("q", timeout_s=0.2))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong")
    with pytest.raises(AuthError, match="401"):
        await AnthropicBackend().complete(Request("q"))
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(AuthError, match="no key"):
        await AnthropicBackend().complete(Request("q"))
