"""Sign-in sessions that survive a reload: a random token per signed-in browser, stored hashed and expiring.

Why a server-side token rather than a signed cookie: signing out, a new password or the reviewer's removal
must end the session at once, on every app server of the project, which a self-contained signed cookie
cannot do without a shared revocation list. The browser keeps only the token (the app sets it as a cookie);
the database keeps its SHA-256, so a copy of the database opens no session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from screening.decisions.reviewers import REMOVED, find_reviewer, passwords_in_use
from screening.store.schema import Reviewer, ReviewerSession, Setting, utcnow

LIFETIME = timedelta(hours=12)  # one working day; sign in again the next morning
_COOKIE_SETTING = "session_cookie_id"


class SessionError(ValueError):
    """A session cannot be opened (unknown or removed reviewer)."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _credential(reviewer: Reviewer) -> str:
    """What a session is bound to: the password hash (a new password ends the session), or none in local mode."""
    return _digest(reviewer.password_hash or "")


def open_session(session: Session, name: str, lifetime: timedelta = LIFETIME) -> str:
    """A new token for the signed-in reviewer `name` (expired sessions of the project are pruned)."""
    reviewer = find_reviewer(session, name)
    if reviewer is None or reviewer.role == REMOVED:
        raise SessionError(f"no reviewer named '{name}' in this project")
    now = utcnow()
    session.execute(delete(ReviewerSession).where(ReviewerSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    session.add(ReviewerSession(token_hash=_digest(token), reviewer_id=reviewer.id,
                                credential=_credential(reviewer), created_at=now, expires_at=now + lifetime))
    return token


def reviewer_for_token(session: Session, token: str | None) -> Reviewer | None:
    """The reviewer a token signs in, or None when it is unknown, expired, signed out, or no longer valid:
    the reviewer was removed, their password changed, or (a local-mode session) passwords came into use."""
    if not token:
        return None
    row = session.scalar(select(ReviewerSession).where(ReviewerSession.token_hash == _digest(token)))
    if row is None or row.expires_at <= utcnow():
        return None
    reviewer = session.get(Reviewer, row.reviewer_id)
    if reviewer is None or reviewer.role == REMOVED or row.credential != _credential(reviewer):
        return None
    if reviewer.password_hash is None and passwords_in_use(session):
        return None  # local mode ended: everyone signs in with a password now
    return reviewer


def close_session(session: Session, token: str | None) -> None:
    """Sign out: the token opens nothing any more, on any app server."""
    if token:
        session.execute(delete(ReviewerSession).where(ReviewerSession.token_hash == _digest(token)))


def cookie_name(session: Session) -> str:
    """The project's cookie name: a random id kept in its settings, so two projects served from one host
    (cookies are per host, not per port) keep apart, and every app server of one project shares it."""
    row = session.get(Setting, _COOKIE_SETTING)
    if row is None:
        try:
            with session.begin_nested():
                session.add(row := Setting(key=_COOKIE_SETTING, value=secrets.token_hex(8)))
        except IntegrityError:  # another server wrote it first
            row = session.get(Setting, _COOKIE_SETTING)
    assert row is not None
    return f"screening_session_{row.value}"
