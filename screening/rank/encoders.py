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
from screening.rank.model_cards import ModelCard, ModelCardError, load_card
from screening.rank.model_paths import MODEL_CACHE_ENV, model_cache_dir, offline, packaged_model_dir
from screening.rank.onnx_encoder import OnnxMiniLMEncoder

__all__ = ["MODEL_CACHE_ENV", "model_cache_dir"]
ENCODE_BATCH = 256  # texts per encoder call (and progress-bar step)
# Texts per cache transaction: an interrupted run keeps what it committed. One commit per 256 texts took a
# quarter of a cold static run over 800,000 sentences.
COMMIT_TEXTS = 8192


class Encoder(TypingProtocol):
    """Maps texts to L2-normalised row vectors (dense ndarray; scipy sparse for TF-IDF)."""

    name: str
    dense: bool

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


_LOAD_LOCK = threading.Lock()


@cache
def _sentence_transformer(path: str):  # type: ignore[no-untyped-def]
    offline()
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
                self._model = _sentence_transformer(str(packaged_model_dir(self.card)))
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        model = self._load()
        vectors = model.encode(list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def _distill_static(card: ModelCard, target: Path) -> None:
    """Distill model2vec static embeddings from the verified MiniLM weights into `target` (atomically)."""
    offline()
    from model2vec.distill import distill

    base = packaged_model_dir(load_card(card.weights["base"]))
    target.parent.mkdir(parents=True, exist_ok=True)
    model = distill(model_name=str(base), pca_dims=int(card.weights["pca_dims"]))
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        staged = Path(tmp) / "model"
        model.save_pretrained(str(staged))
        if not target.exists():
            shutil.move(str(staged), str(target))


def ensure_static_model(card: ModelCard, model_dir: Path | None = None) -> Path:
    """The folder of the distilled static model, distilled now if it is not there yet (`screening
    build-models` calls this at set-up, so no reviewer's first page waits ~2 min for it)."""
    encoder = StaticEncoder(card, model_dir)
    if not (encoder.model_dir / "model.safetensors").exists():
        _distill_static(card, encoder.model_dir)
    return encoder.model_dir


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


_FITTED: dict[tuple[str, str], tuple[TfidfVectorizer, sparse.csr_matrix]] = {}  # newest last
_FITTED_KEEP = 2
_FITTED_LOCK = threading.Lock()


class TfidfEncoder:
    """Word 1-2-gram TF-IDF (sublinear tf) fitted on the project's own texts; returns sparse rows.

    With `cache_dir`, the fitted vectorizer and matrix are kept on disk per corpus (`FittedTfidfCache`):
    refitting 100k records took tens of seconds on every start.
    """

    dense = False

    def __init__(self, card: ModelCard, corpus: Sequence[str], cache_dir: Path | None = None) -> None:
        import sklearn

        from screening.rank.derived_cache import FittedTfidfCache, corpus_key

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
        self.key: str | None = None  # the fitted corpus' identity (sentence-match results are keyed by it)
        if not n_docs:
            self.matrix = sparse.csr_matrix((0, 0))
            return
        store = FittedTfidfCache(cache_dir) if cache_dir is not None else None
        key = corpus_key(corpus, {**self.vectorizer.get_params(), "sklearn": sklearn.__version__})
        self.key = f"tfidf-{key}"
        with _FITTED_LOCK:
            cached = _FITTED.get((str(cache_dir), key))
        if cached is None and store is not None:
            cached = store.load(key)
        if cached is None:
            cached = (self.vectorizer, self.vectorizer.fit_transform(corpus))
            if store is not None:
                store.save(key, cached)
        self.vectorizer, self.matrix = cached
        with _FITTED_LOCK:  # the app's TF-IDF and embedding rankers of one record set share one fit
            _FITTED.pop((str(cache_dir), key), None)
            _FITTED[(str(cache_dir), key)] = cached
            while len(_FITTED) > _FITTED_KEEP:
                _FITTED.pop(next(iter(_FITTED)))

    def encode(self, texts: Sequence[str]) -> sparse.csr_matrix:  # type: ignore[override]
        return self.vectorizer.transform(list(texts)).tocsr()


class CachedEncoder:
    """Wraps a dense encoder: looks texts up in the on-disk cache and encodes only the missing ones."""

    dense = True

    def __init__(self, base: MiniLMEncoder | OnnxMiniLMEncoder | StaticEncoder, cache_dir: Path | None = None) -> None:
        self.base = base
        self.name = base.name
        self.key: str | None = base.key
        self.cache = EmbeddingCache((cache_dir or default_cache_dir()) / "embeddings", base.key, base.dimension)

    def cached_fraction(self, texts: Sequence[str]) -> float:
        keys = [text_key(t) for t in dict.fromkeys(texts)]
        return self.cache.count(keys) / len(keys) if keys else 1.0

    def embed_missing(self, texts: Sequence[str], progress: bool = True,
                      found: dict[bytes, np.ndarray] | None = None) -> int:
        """Embed each distinct text not yet cached, once, shortest first, and cache it; returns how many.

        Why one call for a whole record set: one progress bar per step, not one per chunk, and batches of
        similar length (transformer padding) across all records. `found`: vectors already read, and
        filled with the new ones (`encode` needs them; a warm-up does not).
        """
        text_of = dict(zip((text_key(t) for t in texts), texts, strict=True))
        known = found.keys() if found is not None else self.cache.present(list(text_of))
        return self._embed([key for key in text_of if key not in known], text_of, progress, found)

    def _embed(self, missing: list[bytes], text_of: dict[bytes, str], progress: bool,
               found: dict[bytes, np.ndarray] | dict[bytes, int] | None = None,
               table: np.ndarray | None = None) -> int:
        """Embed and cache `missing`; new vectors (float16, as cached) also go into `found`, or, with
        `table`, into `table[found[key]]`."""
        if not missing:
            return 0
        missing.sort(key=lambda k: len(text_of[k]))
        with tqdm(total=len(missing), desc=f"embedding ({self.name})", unit="text",
                  disable=not progress or len(missing) < ENCODE_BATCH) as bar, self.cache.writer() as connection:
            pending_keys: list[bytes] = []
            pending_vectors: list[np.ndarray] = []
            for start in range(0, len(missing), ENCODE_BATCH):
                batch = missing[start : start + ENCODE_BATCH]
                vectors = self.base.encode([text_of[k] for k in batch])
                pending_keys += batch
                pending_vectors.append(vectors)
                if len(pending_keys) >= COMMIT_TEXTS or start + ENCODE_BATCH >= len(missing):
                    self.cache.put(pending_keys, np.vstack(pending_vectors), connection)
                    pending_keys, pending_vectors = [], []
                if table is not None and found is not None:
                    table[[found[k] for k in batch]] = vectors.astype(np.float16)
                elif found is not None:
                    found.update(zip(batch, vectors.astype(np.float16), strict=True))
                bar.update(len(batch))
        return len(missing)

    def distinct_vectors(self, texts: Sequence[str], progress: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """(float16 vectors of the distinct texts, row of each input text in them): each text hashed once,
        missing ones embedded once under one progress bar, all read from the cache in one pass."""
        keys = [text_key(t) for t in texts]
        row_of: dict[bytes, int] = {}
        index = np.fromiter((row_of.setdefault(k, len(row_of)) for k in keys), dtype=np.int64, count=len(keys))
        distinct = list(row_of)
        table = np.zeros((len(distinct), self.base.dimension), dtype=np.float16)
        found = self.cache.read_into(distinct, table)
        if not found.all():
            # New vectors go straight into the table (as float16, exactly what the cache then holds).
            text_of = dict(zip(keys, texts, strict=True))
            self._embed([distinct[i] for i in np.flatnonzero(~found)], text_of, progress, row_of, table)
        return table, index

    def encode(self, texts: Sequence[str], progress: bool = True) -> np.ndarray:
        keys = [text_key(t) for t in texts]
        found = self.cache.get(keys)
        self.embed_missing(texts, progress, found)
        out = np.zeros((len(texts), self.base.dimension), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out


MINILM_BACKEND_ENV = "SCREENING_MINILM_BACKEND"  # auto (default): ONNX when built, else torch; or onnx / torch
MINILM_BACKENDS = ("auto", "onnx", "torch")


def onnx_available(card: ModelCard) -> bool:
    """ONNX Runtime is installed and the card's ONNX build exists (`screening build-models` makes it)."""
    import importlib.util

    from screening.rank.onnx_build import onnx_path

    return (card.onnx is not None and importlib.util.find_spec("onnxruntime") is not None
            and onnx_path(card).exists())


def minilm_encoder(card: ModelCard, backend: str | None = None) -> MiniLMEncoder | OnnxMiniLMEncoder:
    """The MiniLM backend to use: ONNX int8 when it is built (several times faster), else torch.

    A build that exists but fails its sha256 check is an error when loaded, never a silent fall-back.
    """
    choice = backend or os.environ.get(MINILM_BACKEND_ENV) or "auto"
    if choice not in MINILM_BACKENDS:
        raise ModelCardError(f"${MINILM_BACKEND_ENV}={choice!r}: choose one of {list(MINILM_BACKENDS)}")
    if choice == "torch" or (choice == "auto" and not onnx_available(card)):
        return MiniLMEncoder(card)
    if choice == "onnx" and not onnx_available(card):
        raise ModelCardError(f"{card.path}: the ONNX build of {card.name!r} is missing or onnxruntime is not "
                             f"installed; run `screening build-models` (make setup does)")
    return OnnxMiniLMEncoder(card)


def get_encoder(name: str, *, cache_dir: Path | None = None, corpus: Sequence[str] | None = None
                ) -> CachedEncoder | TfidfEncoder:
    """The encoder named by a model card; dense ones come wrapped in the on-disk cache."""
    card = load_card(name)
    if card.library == "scikit-learn":
        if corpus is None:
            raise ValueError(f"encoder {name!r} is fitted on the corpus: pass corpus=")
        return TfidfEncoder(card, corpus, cache_dir)
    if card.library == "sentence-transformers":
        return CachedEncoder(minilm_encoder(card), cache_dir)
    if card.library == "model2vec":
        return CachedEncoder(StaticEncoder(card), cache_dir)
    raise ModelCardError(f"{card.path}: unsupported library {card.library!r}")
