"""Bringing the database of an existing project up to the current tables (run on every open).

``create_all`` adds missing tables but never changes an existing one. The only column added to an
existing table so far is ``reviewers.name_key``; adding it here (a one-column ALTER and a backfill)
is cheaper to keep correct than a migration framework for one step. Each step checks first, so it runs
once; it runs in one transaction holding the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: a table
lock), and checks again under it, so two processes opening the same old project do not both upgrade it.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, inspect, text

from screening.store.audit import audit_row
from screening.store.identity import reviewer_key
from screening.store.schema import REVIEWER_KEY_INDEX, REVIEWER_NAME_MAX


def _has_reviewer_keys(connection: Connection) -> bool:
    return "name_key" in {c["name"] for c in inspect(connection).get_columns("reviewers")}


def upgrade(engine: Engine) -> None:
    """Apply every missing step to the project's database."""
    with engine.connect() as connection:  # the common case: nothing to do, and no lock taken
        if _has_reviewer_keys(connection):
            return
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # SQLite is already locked (BEGIN IMMEDIATE)
            connection.execute(text("LOCK TABLE reviewers IN ACCESS EXCLUSIVE MODE"))
        if not _has_reviewer_keys(connection):  # another process may have upgraded it meanwhile
            _add_reviewer_keys(connection)


def _add_reviewer_keys(connection: Connection) -> None:
    """Add reviewers.name_key, fill it, and index it unique.

    Two old reviewers whose names differ only in case (the bug this column fixes) cannot share a key:
    the first keeps it, the later one keeps its rows and can still sign in by its exact name, but gets
    no key, and an audit row records the collision so the lead can see it.
    """
    connection.execute(text(f"ALTER TABLE reviewers ADD COLUMN name_key VARCHAR({REVIEWER_NAME_MAX})"))
    taken: dict[str, tuple[int, str]] = {}
    for reviewer_id, name in connection.execute(text("SELECT id, name FROM reviewers ORDER BY id")).all():
        key = reviewer_key(name)
        if key in taken:
            connection.execute(audit_row("migration", "reviewer_name_collision", "reviewers", reviewer_id,
                                         {"name": taken[key][1], "id": taken[key][0]}, {"name": name}))
            continue
        taken[key] = (reviewer_id, name)
        connection.execute(text("UPDATE reviewers SET name_key = :key WHERE id = :id"),
                           {"key": key, "id": reviewer_id})
    connection.execute(text(f"CREATE UNIQUE INDEX IF NOT EXISTS {REVIEWER_KEY_INDEX} ON reviewers (name_key)"))
