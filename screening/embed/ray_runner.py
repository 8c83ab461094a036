"""Embedding on an existing Ray cluster: the same encoder code run as Ray Data batches, results cached here.

Why: evidence maps and living reviews reach millions of records, re-embedded whenever a model changes; a
cluster that already exists does that faster than one machine, and Ray Data does the distribution (batches,
actor pool, back-pressure) that a home-made pool would have to. Workers build the encoder exactly as the
local path does (`screening.rank.encoders`), check that it is the same model (cache key), embed, and send
vectors back; only the driver writes the cache, so workers need no shared disk. Ray is imported lazily:
the core package never needs it (`pip install "screening[ray]"`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tqdm.auto import tqdm

from screening.rank.cache import text_key
from screening.rank.encoders import CachedEncoder, MiniLMEncoder, StaticEncoder, minilm_encoder
from screening.rank.model_cards import load_card
from screening.rank.onnx_encoder import OnnxMiniLMEncoder

BATCH_SIZE = 256  # texts per Ray Data batch and per cache write


class RayNotInstalled(RuntimeError):
    """`--ray` was asked for but Ray is not installed."""


@dataclass(frozen=True)
class EncoderSpec:
    """What a worker needs to rebuild the driver's encoder: card, backend and the cache key it must match."""

    card: str
    backend: str  # "onnx", "torch" or "static"
    key: str


def spec_of(encoder: CachedEncoder) -> EncoderSpec:
    base = encoder.base
    backend = ("onnx" if isinstance(base, OnnxMiniLMEncoder) else "torch" if isinstance(base, MiniLMEncoder)
               else "static")
    return EncoderSpec(card=base.name, backend=backend, key=base.key)


def build_base(spec: EncoderSpec) -> MiniLMEncoder | OnnxMiniLMEncoder | StaticEncoder:
    """The encoder a worker runs: built by the same code as the local path, one thread per worker."""
    card = load_card(spec.card)
    if spec.backend == "static":
        base: MiniLMEncoder | OnnxMiniLMEncoder | StaticEncoder = StaticEncoder(card)
    elif spec.backend == "onnx":
        base = OnnxMiniLMEncoder(card, threads=1)
    else:
        base = minilm_encoder(card, backend=spec.backend)
    if base.key != spec.key:
        raise RuntimeError(f"this Ray worker's {spec.card} model is {base.key}, the driver's is {spec.key}: "
                           f"install the same screening version and model cards on every node")
    return base


class EmbedBatch:
    """Ray Data actor: loads the encoder once, then embeds batches of texts."""

    def __init__(self, spec: EncoderSpec) -> None:
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.base = build_base(spec)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        return {"text": np.asarray(texts, dtype=object), "vector": self.base.encode(texts).astype(np.float32)}


def _ray():  # type: ignore[no-untyped-def]
    try:
        import ray
    except ImportError as error:
        raise RayNotInstalled('Ray is not installed: pip install "screening[ray]"') from error
    return ray


def connect(address: str | None) -> None:
    """Join the cluster at `address` ("auto": the one this machine belongs to), or start a local instance."""
    ray = _ray()
    if not ray.is_initialized():
        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, include_dashboard=False,
                 runtime_env={"env_vars": {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}})


def embed_on_ray(encoder: CachedEncoder, texts: Sequence[str], *, workers: int | None = None,
                 batch_size: int = BATCH_SIZE, progress: bool = True) -> int:
    """Embed the distinct texts missing from `encoder`'s cache on the connected Ray cluster; returns how many.

    Texts go out shortest first (as locally); each result batch carries its texts, so order does not matter.
    """
    ray = _ray()
    text_of = {text_key(t): t for t in texts}
    present = encoder.cache.present(list(text_of))
    missing = sorted((t for k, t in text_of.items() if k not in present), key=len)
    if not missing:
        return 0
    if workers is None:
        workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
    dataset = ray.data.from_items([{"text": t} for t in missing])
    vectors = dataset.map_batches(EmbedBatch, fn_constructor_args=(spec_of(encoder),), batch_size=batch_size,
                                  batch_format="numpy", concurrency=workers, num_cpus=1)
    with tqdm(total=len(missing), desc=f"embedding on Ray ({encoder.name}, {workers} workers)", unit="text",
              disable=not progress) as bar:
        for batch in vectors.iter_batches(batch_size=batch_size, batch_format="numpy"):
            keys = [text_key(str(t)) for t in batch["text"]]
            encoder.cache.put(keys, np.asarray(batch["vector"], dtype=np.float32))
            bar.update(len(keys))
    return len(missing)
