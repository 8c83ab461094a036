"""A screening project is a folder: settings file, protocol copy, database and caches."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from screening.store import (
    review_schema,  # noqa: F401  (registers the later stages' tables with Base)
    stopping_schema,  # noqa: F401  (registers the stopping samples with Base)
)
from screening.store.migrate import upgrade
from screening.store.schema import Base

PROJECT_FILE = "project.yaml"
DEFAULT_DB_NAME = "screening.sqlite"
SQLITE_BUSY_TIMEOUT_MS = 30_000


class ProjectError(RuntimeError):
    """A project folder is missing, incomplete or already exists."""


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout so concurrent writers wait."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            # The sqlite3 driver's own transaction handling would defer BEGIN; take it over so that
            # a write transaction takes the lock up front (BEGIN IMMEDIATE) and never deadlocks.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


@dataclass
class Project:
    """An open project: its folder, database engine and (lazily) its protocol."""

    path: Path
    db_url: str
    protocol_file: str | None
    engine: Engine

    @classmethod
    def init(cls, path: str | Path, protocol: str | Path | None = None, db_url: str | None = None) -> Project:
        """Create a project folder; fails if one is already there, so nothing is overwritten."""
        path = Path(path)
        if (path / PROJECT_FILE).exists():
            raise ProjectError(f"{path}: a project already exists here")
        protocol_file = None
        if protocol is not None:
            from screening.protocol.load import load_protocol

            protocol = Path(protocol)
            load_protocol(protocol)  # validate before creating anything
            protocol_file = "protocol" + protocol.suffix
        path.mkdir(parents=True, exist_ok=True)
        if protocol is not None:
            shutil.copyfile(protocol, path / protocol_file)
        url = db_url or f"sqlite:///{(path / DEFAULT_DB_NAME).resolve()}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        settings = {"db_url": db_url or f"sqlite:///{DEFAULT_DB_NAME}", "protocol": protocol_file}
        (path / PROJECT_FILE).write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
        return cls(path=path, db_url=url, protocol_file=protocol_file, engine=engine)

    @classmethod
    def open(cls, path: str | Path) -> Project:
        path = Path(path)
        settings_file = path / PROJECT_FILE
        if not settings_file.exists():
            raise ProjectError(f"{path}: not a screening project (no {PROJECT_FILE}); run 'screening init'")
        settings = yaml.safe_load(settings_file.read_text(encoding="utf-8")) or {}
        url = settings.get("db_url") or f"sqlite:///{DEFAULT_DB_NAME}"
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_absolute():
            url = f"sqlite:///{(path / url.removeprefix('sqlite:///')).resolve()}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        upgrade(engine)  # a project created by an older version gets the columns added since
        return cls(path=path, db_url=url, protocol_file=settings.get("protocol"), engine=engine)

    @property
    def cache_dir(self) -> Path:
        """Where embeddings and other derived data are cached (never committed)."""
        directory = self.path / ".screening_cache"
        directory.mkdir(exist_ok=True)
        return directory

    @property
    def protocol_path(self) -> Path | None:
        return self.path / self.protocol_file if self.protocol_file else None

    def load_protocol(self):  # type: ignore[no-untyped-def]
        """The project's protocol, validated; None when the project has none."""
        from screening.protocol.load import load_protocol

        return load_protocol(self.protocol_path) if self.protocol_path else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back (nothing written) on any error."""
        factory = sessionmaker(self.engine, expire_on_commit=False)
        with factory() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
