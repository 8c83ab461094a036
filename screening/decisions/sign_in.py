"""Password sign-in with exponential backoff per typed name and per client, kept in the project database.

Each checked attempt is a row (and an audit entry), so a restart does not reset the backoff. After a
few free failures, the next attempt for that name (or from that client) is refused unchecked until a delay
has passed that doubles with every further failure, up to 15 minutes; a success resets the count, and
failures older than a day are forgotten. Refused attempts are not stored, so hammering does not grow the
database and a person retrying too early does not lengthen their own wait.

Several server processes on one project (see the README's PostgreSQL deployment) share the counts: the
check and the row of the attempt are written in one short transaction, first as a failure, before scrypt
runs, and that transaction is serialised across processes (SQLite's BEGIN IMMEDIATE takes the write lock;
on PostgreSQL a transaction-scoped advisory lock), so two servers cannot both let an attempt through in
the same window. The row turns into a success only once the password checked out. Within a process a lock
runs one sign-in at a time, so at most one scrypt (128 MiB) per process is in flight; no transaction is
open while scrypt runs.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from screening.decisions.passwords import check_password, describe, hash_password, needs_rehash
from screening.decisions.reviewers import find_reviewer
from screening.store.audit import audit
from screening.store.identity import reviewer_key
from screening.store.project import Project
from screening.store.schema import REVIEWER_NAME_MAX, Reviewer, SignInAttempt, utcnow

_ADVISORY_LOCK = 0x5C12E11  # PostgreSQL advisory-lock key of the sign-in check (any constant of this app)
LOCAL_CLIENT = "local"  # the address Streamlit reports as None: a browser on the server machine itself
FORGET_AFTER = timedelta(days=1)
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Backoff:
    """No delay for the first `free` failures in a row, then `first` seconds, doubling up to `longest`."""

    free: int
    first: float
    longest: float

    def delay(self, failures: int) -> float:
        if failures < self.free:
            return 0.0
        return min(self.first * 2 ** (failures - self.free), self.longest)


# Per name: 3 typos are free, then 1, 2, 4 ... s; 100 guesses at one name take about a day.
NAME_BACKOFF = Backoff(free=3, first=1.0, longest=900.0)
# Per client: more free failures (several people share an office address), then the same growth; this
# stops one client from trying a few passwords on each of many names.
CLIENT_BACKOFF = Backoff(free=10, first=1.0, longest=900.0)


@dataclass(frozen=True)
class SignInResult:
    name: str | None = None  # the signed-in reviewer
    role: str | None = None
    retry_after: float = 0.0  # seconds until the next attempt for this name and client will be checked
    throttled: bool = False  # refused without checking the password

    @property
    def signed_in(self) -> bool:
        return self.name is not None


def name_key(name: str) -> str:
    """The backoff key of a typed name, known or not: the reviewer identity key ("Ann", "ann " and "ＡＮＮ"
    share one backoff, as they are one reviewer), NUL-free and column-sized."""
    return reviewer_key(name).replace("\x00", "")[:REVIEWER_NAME_MAX]


def client_key(client: str | None) -> str:
    return (client or LOCAL_CLIENT).replace("\x00", "")[:64]


def _failures_in_a_row(session: Session, column: ColumnElement, value: str, now: datetime
                       ) -> tuple[int, datetime | None]:
    """Failures for `value` since its last success (and within FORGET_AFTER), and when the last one was."""
    last_success = (select(func.coalesce(func.max(SignInAttempt.id), 0))
                    .where(column == value, SignInAttempt.succeeded.is_(True)).scalar_subquery())
    count, last = session.execute(select(func.count(SignInAttempt.id), func.max(SignInAttempt.at)).where(
        column == value, SignInAttempt.succeeded.is_(False), SignInAttempt.at >= now - FORGET_AFTER,
        SignInAttempt.id > last_success)).one()
    return count, last


def wait_seconds(session: Session, name: str, client: str | None, now: datetime | None = None) -> float:
    """How long until an attempt for `name` from `client` will be checked (0: now)."""
    now = now or utcnow()
    waits = [0.0]
    for column, value, backoff in ((SignInAttempt.name_key, name_key(name), NAME_BACKOFF),
                                   (SignInAttempt.client, client_key(client), CLIENT_BACKOFF)):
        failures, last = _failures_in_a_row(session, column, value, now)
        if failures:  # a clock set back (a failure "in the future") never makes the wait longer than the delay
            waits.append(backoff.delay(failures) - max((now - last).total_seconds(), 0.0))
    return max(waits)


def _serialise(session: Session) -> None:
    """Make check-and-reserve atomic across processes: SQLite's BEGIN IMMEDIATE already is; PostgreSQL is not."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})


def _reserve(session: Session, name: str, client: str | None, now: datetime) -> int:
    """Store the attempt as a failure before the password is checked, so concurrent checks count it."""
    attempt = SignInAttempt(at=now, name_key=name_key(name), client=client_key(client), succeeded=False)
    session.add(attempt)
    session.flush()
    return attempt.id


def _settle(session: Session, attempt_id: int, name: str, client: str | None, reviewer_id: int | None,
            succeeded: bool) -> None:
    if succeeded:
        session.execute(update(SignInAttempt).where(SignInAttempt.id == attempt_id).values(succeeded=True))
    audit(session, name_key(name) or "(empty)", "sign_in" if succeeded else "sign_in_failed", "reviewers",
          reviewer_id, None, {"client": client_key(client)})


def _store_rehash(session: Session, reviewer_id: int, old: str, new: str, actor: str) -> None:
    """Replace the hash only if it is still the one just checked (a password set meanwhile wins)."""
    changed = session.execute(update(Reviewer).where(Reviewer.id == reviewer_id, Reviewer.password_hash == old)
                              .values(password_hash=new)).rowcount
    if changed:
        audit(session, actor, "rehash_password", "reviewers", reviewer_id, {"scrypt": describe(old)},
              {"scrypt": describe(new)})


def sign_in(project: Project, name: str, password: str, client: str | None,
            now: datetime | None = None) -> SignInResult:
    """Check `password` for the reviewer `name` unless this name or client must wait; record the outcome.

    A success with a hash of older, weaker scrypt parameters stores a new hash of the same password."""
    with _LOCK:
        now = now or utcnow()
        with project.session() as session:
            _serialise(session)
            wait = wait_seconds(session, name, client, now)
            if wait > 0:
                return SignInResult(retry_after=wait, throttled=True)
            attempt_id = _reserve(session, name, client, now)
            # PostgreSQL refuses NUL in any text parameter; no reviewer name holds one, so no lookup needed.
            reviewer = find_reviewer(session, name.strip()) if "\x00" not in name else None
            found = (reviewer.id, reviewer.name, reviewer.role, reviewer.password_hash) if reviewer else None
        stored = found[3] if found else None
        succeeded = check_password(password, stored)  # one scrypt also for unknown names
        upgraded = hash_password(password) if succeeded and stored and needs_rehash(stored) else None
        with project.session() as session:
            _settle(session, attempt_id, name, client, found[0] if found else None, succeeded)
            if upgraded:
                _store_rehash(session, found[0], stored, upgraded, actor=found[1])
            if succeeded:
                return SignInResult(name=found[1], role=found[2])
            return SignInResult(retry_after=wait_seconds(session, name, client, now))
