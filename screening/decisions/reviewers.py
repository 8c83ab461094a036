"""Reviewers of a project, their roles and (optional) passwords hashed with scrypt."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.store.audit import audit
from screening.store.schema import ROLES, Reviewer

# scrypt parameters (RFC 7914 / OWASP interactive-login guidance): N=2**14, r=8, p=1.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


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
    return session.scalars(select(Reviewer).where(Reviewer.name == name)).one_or_none()


def get_reviewer(session: Session, name: str) -> Reviewer:
    reviewer = find_reviewer(session, name)
    if reviewer is None:
        raise ReviewerError(f"unknown reviewer '{name}'")
    return reviewer


def add_reviewer(session: Session, name: str, role: str = "reviewer", password: str | None = None,
                 actor: str = "system") -> Reviewer:
    name = name.strip()
    if not name:
        raise ReviewerError("reviewer name must not be empty")
    if role not in ROLES:
        raise ReviewerError(f"role must be one of {', '.join(ROLES)}, got '{role}'")
    if find_reviewer(session, name) is not None:
        raise ReviewerError(f"reviewer '{name}' already exists")
    reviewer = Reviewer(name=name, role=role, password_hash=hash_password(password) if password else None)
    session.add(reviewer)
    session.flush()
    audit(session, actor, "add_reviewer", "reviewers", reviewer.id, None, {"name": name, "role": role})
    return reviewer


def ensure_reviewer(session: Session, name: str, actor: str = "system") -> Reviewer:
    """The named reviewer, created with the plain reviewer role if new (CLI and imported decisions)."""
    return find_reviewer(session, name) or add_reviewer(session, name, actor=actor)


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
