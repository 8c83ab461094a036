"""MiniLM through ONNX Runtime (int8): the same tokenizer, mean pooling and normalisation as the torch model.

Why: on this 2-core CPU the int8 graph embeds sentences several times faster than torch (model card), at
a cosine of about 0.99 to torch's vectors. Each text runs alone (batch of one, so no padding at all), on
one single-threaded run per core in parallel: dynamic int8 quantisation scales activations per run, so in
a padded batch a text's vector would depend on its batch mates (cosine 0.97-0.99 to the same text alone
here); alone, a text always gets the same vector, whichever machine, batch or Ray worker embeds it. Measured
under load, one run per core was also faster than batches of 32 on two intra-op threads.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from screening.rank.model_cards import ModelCard
from screening.rank.model_paths import packaged_model_dir
from screening.rank.onnx_build import ONNX_INPUTS, onnx_build, onnx_path, verify_onnx

THREADS_ENV = "SCREENING_ONNX_THREADS"  # texts embedded in parallel (default: one per core)


def onnx_key(card: ModelCard) -> str:
    """Embedding-cache key of the ONNX vectors: never the torch key, so the two never mix."""
    return f"{card.name}-onnx-int8-{onnx_build(card).sha256[:12]}"


def _max_tokens(model_dir: Path, card: ModelCard) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text(encoding="utf-8"))["max_seq_length"])
    return int(card.max_tokens or 256)


class OnnxMiniLMEncoder:
    """all-MiniLM-L6-v2 as a locally built, sha256-checked int8 ONNX graph."""

    dense = True

    def __init__(self, card: ModelCard, model_file: Path | None = None, threads: int | None = None) -> None:
        self.name = card.name
        self.card = card
        self.dimension = int(card.dimension or 384)
        self.key = onnx_key(card)
        self.model_file = model_file or onnx_path(card)
        self.threads = max(1, threads or int(os.environ.get(THREADS_ENV) or 0) or os.cpu_count() or 1)
        self._lock = threading.Lock()
        self._session = None
        self._tokenizer = None

    def _load(self):  # type: ignore[no-untyped-def]
        with self._lock:
            if self._session is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                verify_onnx(self.card, self.model_file)
                source = packaged_model_dir(self.card)
                tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
                tokenizer.enable_truncation(max_length=_max_tokens(source, self.card))
                tokenizer.no_padding()
                options = ort.SessionOptions()
                options.intra_op_num_threads = 1  # parallel over texts instead (see module docstring)
                options.inter_op_num_threads = 1
                self._tokenizer = tokenizer
                self._session = ort.InferenceSession(str(self.model_file), options,
                                                     providers=["CPUExecutionProvider"])
        return self._session, self._tokenizer

    def _embed_one(self, ids: Sequence[int]) -> np.ndarray:
        session, _ = self._load()
        row = np.asarray(ids, dtype=np.int64)[None, :]
        feed = dict(zip(ONNX_INPUTS, (row, np.ones_like(row), np.zeros_like(row)), strict=True))
        pooled = session.run(None, feed)[0][0].mean(axis=0)  # mean over tokens: no padding to mask
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        _, tokenizer = self._load()
        encodings = tokenizer.encode_batch(list(texts))
        with ThreadPoolExecutor(self.threads) as pool:  # ONNX Runtime releases the GIL while it runs
            for row, vector in enumerate(pool.map(self._embed_one, (e.ids for e in encodings))):
                out[row] = vector
        return out
