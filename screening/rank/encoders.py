"""Text encoders behind one interface (`encode(texts) -> array`), chosen by model-card name.

Why: MiniLM is best for concept matching but slow on CPU; model2vec static embeddings are ~100x faster
for very large sets; TF-IDF needs no model at all and ranks a 10k-record project at once.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Protocol as TypingProtocol

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from tqdm.auto import tqdm

from screening.rank.cache import EmbeddingCache, default_cache_dir, text_key
from screening.rank.model_cards import ModelCard, ModelCardError, load_card, verify_weights

MODEL_CACHE_ENV = "SCREENING_MODEL_CACHE"
ENCODE_BATCH = 256  # texts per cache write: an interrupted run keeps what it finished


class Encoder(TypingProtocol):
    """Maps texts to L2-normalised row vectors (dense ndarray; scipy sparse for TF-IDF)."""

    name: str
    dense: bool

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def model_cache_dir() -> Path:
    """Where locally built models (the distilled static model) live: shared by all projects."""
    return Path(os.environ.get(MODEL_CACHE_ENV) or default_cache_dir() / "models")


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


def minilm_path(card: ModelCard) -> Path:
    """Path of the packaged MiniLM weights, verified against the card's sha256."""
    import importlib

    module = importlib.import_module(card.weights["package"].replace("-", "_"))
    path = Path(module.get_model_path())
    verify_weights(card, path)
    return path


_LOAD_LOCK = threading.Lock()


@cache
def _sentence_transformer(path: str):  # type: ignore[no-untyped-def]
    _offline()
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu")


class MiniLMEncoder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded offline by path after the sha256 check."""

    dense = True

    def __init__(self, card: ModelCard) -> None:
        self.name = card.name
        self.card = card
        self.dimension = int(card.dimension or 384)
        self._model = None
        self.key = f"{card.name}-{card.weights['sha256'][:12]}"

    def _load(self):  # type: ignore[no-untyped-def]
        with _LOAD_LOCK:
            if self._model is None:
                self._model = _sentence_transformer(str(minilm_path(self.card)))
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        vectors = model.encode(list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def _distill_static(card: ModelCard, target: Path) -> None:
    """Distill model2vec static embeddings from the verified MiniLM weights into `target` (atomically)."""
    _offline()
    from model2vec.distill import distill

    base = minilm_path(load_card(card.weights["base"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    model = distill(model_name=str(base), pca_dims=int(card.weights["pca_dims"]))
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        staged = Path(tmp) / "model"
        model.save_pretrained(str(staged))
        if not target.exists():
            shutil.move(str(staged), str(target))


@cache
def _static_model(path: str):  # type: ignore[no-untyped-def]
    from model2vec import StaticModel

    return StaticModel.from_pretrained(path)


class StaticEncoder:
    """model2vec static embeddings distilled locally from MiniLM on first use, then reused."""

    dense = True

    def __init__(self, card: ModelCard, model_dir: Path | None = None) -> None:
        self.name = card.name
        self.card = card
        self.dimension = int(card.dimension or card.weights["pca_dims"])
        base = load_card(card.weights["base"])
        self.key = f"{card.name}-{base.weights['sha256'][:12]}-{card.weights['pca_dims']}"
        self.model_dir = (model_dir or model_cache_dir()) / self.key
        self._model = None

    def _load(self):  # type: ignore[no-untyped-def]
        with _LOAD_LOCK:
            if self._model is None:
                if not (self.model_dir / "model.safetensors").exists():
                    _distill_static(self.card, self.model_dir)
                self._model = _static_model(str(self.model_dir))
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = np.asarray(self._load().encode(list(texts), show_progress_bar=False), dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)


class TfidfEncoder:
    """Word 1-2-gram TF-IDF (sublinear tf) fitted on the project's own texts; returns sparse rows."""

    dense = False

    def __init__(self, card: ModelCard, corpus: Sequence[str]) -> None:
        self.name = card.name
        self.card = card
        params = card.weights
        n_docs = len(corpus)
        self.vectorizer = TfidfVectorizer(
            ngram_range=tuple(params.get("ngram_range", (1, 2))),
            sublinear_tf=bool(params.get("sublinear_tf", True)),
            min_df=int(params.get("min_df", 1)) if n_docs >= 50 else 1,
            max_df=float(params.get("max_df", 0.95)) if n_docs >= 50 else 1.0,
            stop_words=params.get("stop_words"),
            strip_accents="unicode",
            dtype=np.float32,
        )
        self.matrix = self.vectorizer.fit_transform(corpus) if n_docs else sparse.csr_matrix((0, 0))

    def encode(self, texts: Sequence[str]) -> sparse.csr_matrix:  # type: ignore[override]
        return self.vectorizer.transform(list(texts)).tocsr()


class CachedEncoder:
    """Wraps a dense encoder: looks texts up in the on-disk cache and encodes only the missing ones."""

    dense = True

    def __init__(self, base: MiniLMEncoder | StaticEncoder, cache_dir: Path | None = None) -> None:
        self.base = base
        self.name = base.name
        self.cache = EmbeddingCache((cache_dir or default_cache_dir()) / "embeddings", base.key, base.dimension)

    def cached_fraction(self, texts: Sequence[str]) -> float:
        keys = [text_key(t) for t in dict.fromkeys(texts)]
        return self.cache.count(keys) / len(keys) if keys else 1.0

    def encode(self, texts: Sequence[str], progress: bool = True) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        found = self.cache.get(keys)
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            text_of = dict(zip(keys, texts, strict=True))
            # Similar lengths per batch keep transformer padding small.
            missing.sort(key=lambda k: len(text_of[k]))
            bar = tqdm(total=len(missing), desc=f"embedding ({self.name})", unit="text",
                       disable=not progress or len(missing) < ENCODE_BATCH, leave=False)
            for start in range(0, len(missing), ENCODE_BATCH):
                batch = missing[start : start + ENCODE_BATCH]
                vectors = self.base.encode([text_of[k] for k in batch])
                self.cache.put(batch, vectors)
                found.update(zip(batch, vectors.astype(np.float16), strict=True))
                bar.update(len(batch))
            bar.close()
        out = np.zeros((len(texts), self.base.dimension), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out


def get_encoder(name: str, *, cache_dir: Path | None = None, corpus: Sequence[str] | None = None
                ) -> CachedEncoder | TfidfEncoder:
    """The encoder named by a model card; dense ones come wrapped in the on-disk cache."""
    card = load_card(name)
    if card.library == "scikit-learn":
        if corpus is None:
            raise ValueError(f"encoder {name!r} is fitted on the corpus: pass corpus=")
        return TfidfEncoder(card, corpus)
    if card.library == "sentence-transformers":
        return CachedEncoder(MiniLMEncoder(card), cache_dir)
    if card.library == "model2vec":
        return CachedEncoder(StaticEncoder(card), cache_dir)
    raise ModelCardError(f"{card.path}: unsupported library {card.library!r}")
