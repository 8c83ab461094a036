"""On-disk caches of what a ranker derives from the records besides embeddings: sentence splits and TF-IDF.

Why: at 100,000 records, a `screening rank` with every embedding cached still took 112 s, because spaCy
split every abstract again and TF-IDF was fitted again on every start. Both depend only on the texts (and
the library versions), so they are cached like the embeddings: splits per record text, the fitted TF-IDF
per corpus.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import sqlite3
import tempfile
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

_SQL_CHUNK = 900
TFIDF_KEEP = 3  # fitted corpora kept per cache folder (a project's record set changes on import)


class SentenceSplitCache:
    """Sentences of one record text, keyed by the text's hash; one SQLite file per splitter version."""

    def __init__(self, directory: Path, version: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"sentences-{version}.sqlite"
        with closing(self._connect()) as connection, connection:
            connection.execute("CREATE TABLE IF NOT EXISTS splits (key BLOB PRIMARY KEY, sentences TEXT NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=60)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    def get(self, keys: Sequence[bytes]) -> dict[bytes, list[str]]:
        found: dict[bytes, list[str]] = {}
        unique = list(dict.fromkeys(keys))
        with closing(self._connect()) as connection:
            for start in range(0, len(unique), _SQL_CHUNK):
                chunk = unique[start : start + _SQL_CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, text in connection.execute(
                        f"SELECT key, sentences FROM splits WHERE key IN ({marks})", chunk):
                    found[bytes(key)] = json.loads(text)
        return found

    def put(self, splits: dict[bytes, list[str]]) -> None:
        rows = [(key, json.dumps(value, ensure_ascii=False)) for key, value in splits.items()]
        with closing(self._connect()) as connection, connection:
            connection.executemany("INSERT OR REPLACE INTO splits (key, sentences) VALUES (?, ?)", rows)


def corpus_key(corpus: Sequence[str], settings: dict[str, Any]) -> str:
    """Hash of the texts in order and the vectorizer settings and version: the identity of a fitted TF-IDF."""
    digest = hashlib.sha1(json.dumps(settings, sort_keys=True, default=str).encode())
    for text in corpus:
        digest.update(hashlib.sha1(text.encode("utf-8")).digest())
    return digest.hexdigest()[:24]


class FittedTfidfCache:
    """A fitted TF-IDF (vectorizer and matrix) per corpus, pickled; only the newest few are kept.

    Pickle is what scikit-learn documents for persisting estimators; the files live in the user's own
    cache folder, written by this process (never loaded from elsewhere), and version-keyed.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "tfidf"

    def path(self, key: str) -> Path:
        return self.directory / f"tfidf-{key}.pickle"

    def load(self, key: str) -> Any | None:
        path = self.path(key)
        if not path.exists():
            return None
        try:
            with path.open("rb") as handle:
                return pickle.load(handle)  # noqa: S301 - our own cache file, see class docstring
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None  # a damaged or outdated entry is refitted and overwritten

    def save(self, key: str, value: Any) -> None:
        """Atomic write (temporary file + rename), then drop all but the newest `TFIDF_KEEP` entries."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.directory, suffix=".tmp", delete=False) as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        Path(handle.name).replace(self.path(key))
        entries = sorted(self.directory.glob("tfidf-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[TFIDF_KEEP:]:
            old.unlink(missing_ok=True)


MATCHES_KEEP = 6  # sentence-match results kept per cache folder (encoders x protocol versions x record sets)
MATCH_RULES = 1  # bump when `match_sentences` computes differently: its on-disk results are keyed by it


def matches_key(encoder_key: str, sentences: Sequence[Sequence[str]], queries: Sequence[str]) -> str:
    """Identity of one `match_sentences` result: the encoder (model and backend, or fitted TF-IDF), every
    record's sentences in order, and the query texts."""
    digest = hashlib.sha1(f"{encoder_key}\x00rules{MATCH_RULES}\x00{len(sentences)}".encode())
    for query in queries:
        digest.update(b"\x02" + query.encode("utf-8"))
    for record in sentences:
        digest.update(b"\x01")
        for sentence in record:
            digest.update(sentence.encode("utf-8") + b"\x00")
    return digest.hexdigest()[:24]


class SentenceMatchCache:
    """Best-sentence similarities, their indices and the record vectors of one record set, per key (.npz).

    Why: with every embedding cached, a restarted 88,000-record ranker still spent 72 s transforming 866,000
    sentences with TF-IDF and 17 s reading 800,000 sentence vectors back from SQLite, only to arrive at
    these few arrays again.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "matches"

    def path(self, key: str) -> Path:
        return self.directory / f"matches-{key}.npz"

    def load(self, key: str) -> dict[str, Any] | None:
        import numpy as np

        path = self.path(key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except (OSError, ValueError, KeyError, EOFError):
            return None  # a damaged entry is computed again and overwritten
        path.touch()  # newest use first when old entries are dropped
        return arrays

    def save(self, key: str, arrays: dict[str, Any]) -> None:
        """Atomic write, then drop all but the newest `MATCHES_KEEP` entries."""
        import numpy as np

        self.directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.directory, suffix=".tmp", delete=False) as handle:
            np.savez(handle, **arrays)
        Path(handle.name).replace(self.path(key))
        entries = sorted(self.directory.glob("matches-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[MATCHES_KEEP:]:
            old.unlink(missing_ok=True)
