"""Project settings the lead controls (dual screening, blind mode), stored in the database."""

from __future__ import annotations

from sqlalchemy.orm import Session

from screening.store.audit import audit
from screening.store.schema import Setting

DEFAULTS: dict[str, str] = {
    "required_reviewers": "1",  # independent decisions a record needs (1 or 2)
    "blind": "true",  # hide other reviewers' decisions until a record is resolved
}
_VALIDATORS = {
    "required_reviewers": lambda v: v in {"1", "2"},
    "blind": lambda v: v in {"true", "false"},
}


def get_setting(session: Session, key: str) -> str:
    row = session.get(Setting, key)
    return row.value if row is not None else DEFAULTS[key]


def set_setting(session: Session, key: str, value: str, actor: str) -> None:
    if key not in DEFAULTS:
        raise ValueError(f"unknown setting '{key}' (known: {', '.join(DEFAULTS)})")
    value = str(value).strip().lower()
    if not _VALIDATORS[key](value):
        raise ValueError(f"setting '{key}': invalid value '{value}'")
    row = session.get(Setting, key)
    old = row.value if row is not None else DEFAULTS[key]
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    audit(session, actor, "set_setting", "settings", None, {key: old}, {key: value})


def required_reviewers(session: Session) -> int:
    return int(get_setting(session, "required_reviewers"))


def blind_mode(session: Session) -> bool:
    return get_setting(session, "blind") == "true"
