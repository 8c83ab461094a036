"""Append-only audit trail: every change to decisions, records or settings leaves a row."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Insert, insert
from sqlalchemy.orm import Session

from screening.store.schema import AuditEntry, utcnow


def _values(actor: str, action: str, entity: str, entity_id: int | None, old: Any, new: Any) -> dict:
    return {"actor": actor, "action": action, "entity": entity, "entity_id": entity_id,
            "old": None if old is None else json.dumps(old, default=str, sort_keys=True),
            "new": None if new is None else json.dumps(new, default=str, sort_keys=True)}


def audit(session: Session, actor: str, action: str, entity: str, entity_id: int | None,
          old: Any = None, new: Any = None) -> None:
    """Add an audit row inside the caller's transaction, so the change and its record commit together."""
    session.add(AuditEntry(**_values(actor, action, entity, entity_id, old, new)))


def audit_row(actor: str, action: str, entity: str, entity_id: int | None,
              old: Any = None, new: Any = None) -> Insert:
    """The same row as an INSERT statement, for code that works on a Connection (schema upgrades)."""
    return insert(AuditEntry).values(at=utcnow(), **_values(actor, action, entity, entity_id, old, new))
