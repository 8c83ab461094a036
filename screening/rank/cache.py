"""On-disk embedding cache keyed by model and text hash, so nothing is embedded twice.

Why: MiniLM embeds ~23 abstracts/s on two cores; a 10k-record project takes minutes, which must be paid
once per text, not once per session, ranking run or simulation.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

import numpy as np

CACHE_DIR_ENV = "SCREENING_CACHE_DIR"
_SQL_CHUNK = 900  # stay below SQLite's host-parameter limit


def default_cache_dir() -> Path:
    """`$SCREENING_CACHE_DIR`, else `~/.cache/screening`."""
    return Path(os.environ.get(CACHE_DIR_ENV) or Path.home() / ".cache" / "screening")


def text_key(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8")).digest()


class EmbeddingCache:
    """Vectors of one model in one SQLite file (float16 blobs keyed by the text's sha1)."""

    def __init__(self, directory: Path, model_key: str, dimension: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"embeddings-{model_key}.sqlite"
        self.dimension = dimension
        with closing(self._connect()) as connection, connection:
            connection.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=60)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    def get(self, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        """Cached vectors for those keys that are present."""
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        with closing(self._connect()) as connection:
            for start in range(0, len(unique), _SQL_CHUNK):
                chunk = unique[start : start + _SQL_CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, blob in connection.execute(
                    f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk
                ):
                    found[bytes(key)] = np.frombuffer(blob, dtype=np.float16)
        return found

    def read_into(self, keys: Sequence[bytes], out: np.ndarray) -> np.ndarray:
        """Write the vector of distinct `keys[i]` into `out[i]` (float16 rows); returns which were found.

        Why not `get`: at 100k records a dict of half a million small arrays cost seconds per start.
        """
        row_of = {key: row for row, key in enumerate(keys)}
        found = np.zeros(len(keys), dtype=bool)
        with closing(self._connect()) as connection:
            for start in range(0, len(keys), _SQL_CHUNK):
                chunk = list(keys[start : start + _SQL_CHUNK])
                marks = ",".join("?" * len(chunk))
                for key, blob in connection.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk):
                    row = row_of[bytes(key)]
                    out[row] = np.frombuffer(blob, dtype=np.float16)
                    found[row] = True
        return found

    def present(self, keys: Sequence[bytes]) -> set[bytes]:
        """Which of `keys` are cached, without reading their vectors."""
        found: set[bytes] = set()
        unique = list(dict.fromkeys(keys))
        with closing(self._connect()) as connection:
            for start in range(0, len(unique), _SQL_CHUNK):
                chunk = unique[start : start + _SQL_CHUNK]
                marks = ",".join("?" * len(chunk))
                found.update(bytes(row[0]) for row in connection.execute(
                    f"SELECT key FROM vectors WHERE key IN ({marks})", chunk))
        return found

    def put(self, keys: Sequence[bytes], vectors: np.ndarray, connection: sqlite3.Connection | None = None) -> None:
        """Store vectors (as float16), committed at once; `connection` from `writer` saves reconnecting."""
        rows = [(k, v.astype(np.float16).tobytes()) for k, v in zip(keys, vectors, strict=True)]
        if connection is not None:
            with connection:
                connection.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", rows)
            return
        with closing(self._connect()) as own, own:
            own.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", rows)

    @contextmanager
    def writer(self) -> Iterator[sqlite3.Connection]:
        """One connection for many `put`s (each still its own transaction, so an interrupted run keeps what
        it finished). Opening and closing one per batch of 256 took a quarter of a static-embedding run."""
        with closing(self._connect()) as connection:
            yield connection

    def count(self, keys: Sequence[bytes]) -> int:
        """How many of `keys` are cached (to tell whether an encoder is ready without encoding)."""
        return len(self.present(keys))
