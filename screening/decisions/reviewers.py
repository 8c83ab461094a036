"""Reviewers of a project, their roles and (optional) passwords hashed with scrypt.

A reviewer is identified by the key of their name (screening/store/identity.py): "Ann" and "ann" are
one reviewer, shown as first added.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from screening.store.audit import audit
from screening.store.identity import display_name, reviewer_key
from screening.store.schema import REVIEWER_NAME_MAX, ROLES, Reviewer, utcnow

# scrypt parameters (RFC 7914 / OWASP interactive-login guidance): N=2**14, r=8, p=1.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


_UPSERT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class ReviewerError(ValueError):
    """Unknown reviewer, bad role, or a reviewer that already exists."""


def hash_password(password: str) -> str:
    """Salted scrypt hash in a self-describing string, so parameters can be raised later."""
    if not password:
        raise ReviewerError("password must not be empty")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    encode = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encode(salt).decode()}${encode(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def find_reviewer(session: Session, name: str) -> Reviewer | None:
    """The reviewer this name identifies: same key (case, width and spacing ignored).

    An exact name match wins, so that the later of two reviewers of an old project whose names differ
    only in case (see screening/store/migrate.py) can still be reached under its own name.
    """
    shown = display_name(name)
    rows = session.scalars(select(Reviewer).where(
        or_(Reviewer.name == shown, Reviewer.name_key == reviewer_key(shown)))).all()
    return next((r for r in rows if r.name == shown), rows[0] if rows else None)


def get_reviewer(session: Session, name: str) -> Reviewer:
    reviewer = find_reviewer(session, name)
    if reviewer is None:
        raise ReviewerError(f"unknown reviewer '{name}'")
    return reviewer


def _checked_name(name: str) -> str:
    shown = display_name(name)
    if not shown:
        raise ReviewerError("reviewer name must not be empty")
    if max(len(shown), len(reviewer_key(shown))) > REVIEWER_NAME_MAX:
        raise ReviewerError(f"reviewer name '{shown[:40]}...' is longer than {REVIEWER_NAME_MAX} characters")
    return shown


def _insert_reviewer(session: Session, name: str, role: str, password_hash: str | None) -> Reviewer | None:
    """INSERT ... ON CONFLICT DO NOTHING: the new reviewer, or None when the name's key already exists.

    Why not read, then insert: two processes adding the same name both read "absent" and the second
    insert dies with IntegrityError (PostgreSQL). ON CONFLICT waits for the other transaction and then
    does nothing, on SQLite and PostgreSQL alike.
    """
    dialect = session.get_bind().dialect.name
    if dialect not in _UPSERT_INSERT:
        raise ReviewerError(f"adding reviewers is supported on SQLite and PostgreSQL, not {dialect}")
    statement = (_UPSERT_INSERT[dialect](Reviewer)
                 .values(name=name, name_key=reviewer_key(name), role=role, password_hash=password_hash,
                         created_at=utcnow())
                 .on_conflict_do_nothing().returning(Reviewer.id))
    reviewer_id = session.execute(statement).scalar_one_or_none()
    return None if reviewer_id is None else session.get(Reviewer, reviewer_id)


def _already_exists(name: str, existing: Reviewer | None) -> ReviewerError:
    same = f" as '{existing.name}'" if existing is not None and existing.name != name else ""
    return ReviewerError(f"reviewer '{name}' already exists{same}")


def add_reviewer(session: Session, name: str, role: str = "reviewer", password: str | None = None,
                 actor: str = "system") -> Reviewer:
    name = _checked_name(name)
    if role not in ROLES:
        raise ReviewerError(f"role must be one of {', '.join(ROLES)}, got '{role}'")
    if (existing := find_reviewer(session, name)) is not None:
        raise _already_exists(name, existing)
    reviewer = _insert_reviewer(session, name, role, hash_password(password) if password else None)
    if reviewer is None:  # added by another process since the check above
        raise _already_exists(name, find_reviewer(session, name))
    audit(session, actor, "add_reviewer", "reviewers", reviewer.id, None, {"name": name, "role": role})
    return reviewer


def ensure_reviewer(session: Session, name: str, actor: str = "system") -> Reviewer:
    """The named reviewer, created with the plain reviewer role if new (CLI and imported decisions).

    Race-free: when another process creates the same reviewer at the same moment, both get that one.
    """
    if (existing := find_reviewer(session, name)) is not None:
        return existing
    name = _checked_name(name)
    reviewer = _insert_reviewer(session, name, "reviewer", None)
    if reviewer is None:
        return get_reviewer(session, name)
    audit(session, actor, "add_reviewer", "reviewers", reviewer.id, None, {"name": name, "role": "reviewer"})
    return reviewer


def set_password(session: Session, name: str, password: str, actor: str) -> Reviewer:
    """Give a reviewer (for example a lead created in local mode) a password, or change it."""
    reviewer = get_reviewer(session, name)
    had_password = reviewer.password_hash is not None
    reviewer.password_hash = hash_password(password)
    audit(session, actor, "set_password", "reviewers", reviewer.id, {"had_password": had_password},
          {"had_password": True})
    return reviewer


def authenticate(session: Session, name: str, password: str) -> Reviewer | None:
    reviewer = find_reviewer(session, name)
    if reviewer is None or not verify_password(password, reviewer.password_hash):
        return None
    return reviewer


def list_reviewers(session: Session) -> list[Reviewer]:
    return list(session.scalars(select(Reviewer).order_by(Reviewer.name)))
