"""Rank at once with a fast encoder while a better one computes its embeddings in the background.

Why: MiniLM embeds ~23 abstracts/s on two cores, so a 10k-record project would wait minutes for its first
ranking. The app starts with TF-IDF (instant) and switches to the MiniLM ranker when it is ready; labels
given meanwhile are replayed into it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from screening.rank.api import Ranker
from screening.rank.encoders import CachedEncoder, get_encoder
from screening.rank.text import sentences

if TYPE_CHECKING:
    from screening.protocol.schema import Protocol


def cached_fraction(titles: Sequence[str | None], abstracts: Sequence[str | None], encoder: str,
                    cache_dir: Path | None = None) -> float:
    """Share of the records' sentences already embedded by `encoder` (1.0 for TF-IDF, which needs none)."""
    text_encoder = get_encoder(encoder, cache_dir=cache_dir, corpus=[])
    if not isinstance(text_encoder, CachedEncoder):
        return 1.0
    flat = [s for record in sentences(titles, abstracts) for s in record]
    return text_encoder.cached_fraction(flat)


class BackgroundRanker:
    """Holds a ready fast ranker and builds the target one in a daemon thread.

    `ranker` is always usable; `ready` tells whether it is already the target encoder's.
    """

    def __init__(self, titles: Sequence[str | None], abstracts: Sequence[str | None], protocol: Protocol | None,
                 *, target: str = "minilm", fast: str = "tfidf", cache_dir: Path | None = None, seed: int = 0
                 ) -> None:
        self._lock = threading.Lock()
        self._labels: dict[int, int] = {}
        self.target = target
        self.error: BaseException | None = None
        self._ranker = Ranker(titles, abstracts, protocol, encoder=fast, cache_dir=cache_dir, seed=seed,
                              progress=False)
        self._ready = fast == target
        self._thread: threading.Thread | None = None
        if not self._ready:
            self._thread = threading.Thread(
                target=self._build, args=(titles, abstracts, protocol, cache_dir, seed), daemon=True,
                name=f"ranker-{target}",
            )
            self._thread.start()

    def _build(self, titles, abstracts, protocol, cache_dir, seed) -> None:  # type: ignore[no-untyped-def]
        try:
            ranker = Ranker(titles, abstracts, protocol, encoder=self.target, cache_dir=cache_dir, seed=seed,
                            progress=False)
        except BaseException as error:  # reported through .error; the fast ranker stays in use
            self.error = error
            return
        with self._lock:
            if self._labels:
                ranker.update(self._labels)
            self._ranker, self._ready = ranker, True

    @property
    def ready(self) -> bool:
        return self._ready

    @property
    def ranker(self) -> Ranker:
        with self._lock:
            return self._ranker

    def update(self, labels: Mapping[int, int]) -> None:
        with self._lock:
            self._labels.update({int(k): int(v) for k, v in labels.items()})
            self._ranker.update(labels)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the target ranker is ready (or `timeout` seconds pass); returns `ready`."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self._ready


def ready_encoders(titles: Sequence[str | None], abstracts: Sequence[str | None], cache_dir: Path | None = None,
                   candidates: Sequence[str] = ("tfidf", "static", "minilm")) -> list[str]:
    """Encoders that can rank these records now without embedding anything (TF-IDF always can)."""
    return [name for name in candidates if cached_fraction(titles, abstracts, name, cache_dir) >= 1.0]
