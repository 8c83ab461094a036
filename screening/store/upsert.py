"""Insert a row unless a unique key already holds it, as one statement (INSERT ... ON CONFLICT DO NOTHING).

Why: "select, then insert if absent" races between processes. On PostgreSQL both see nothing, both insert,
and the second dies with an IntegrityError; the database's unique constraint is the one place that can
decide, and ON CONFLICT makes the loser wait for the winner's commit and then insert nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_unless_present(session: Session, model: Any, values: dict[str, Any], unique: list[str]) -> Any:
    """Insert ``values`` into ``model``'s table and return the new primary key, or None when a row with the
    same ``unique`` columns exists (or is being inserted by a transaction that then commits)."""
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERTS:
        raise NotImplementedError(f"no INSERT ... ON CONFLICT for the {dialect} database")
    primary_key = model.__table__.primary_key.columns.values()[0]
    statement = (_INSERTS[dialect](model).values(**values)
                 .on_conflict_do_nothing(index_elements=unique).returning(primary_key))
    return session.execute(statement).scalar_one_or_none()
