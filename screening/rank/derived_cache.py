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
