"""Password sign-in with exponential backoff per typed name and per client, kept in the project database.

Each checked attempt is a row (and an audit entry), so a restart does not reset the backoff. After a
few free failures, the next attempt for that name (or from that client) is refused unchecked until a delay
has passed that doubles with every further failure, up to 15 minutes; a success resets the count, and
failures older than a day are forgotten. Refused attempts are not stored, so hammering does not grow the
database and a person retrying too early does not lengthen their own wait.

Designed for one server process (Streamlit runs every browser session as a thread of one process): a
process-wide lock serialises sign-ins, so checking the count and recording the attempt cannot interleave
and only one scrypt (128 MiB) runs at a time. Several processes on one database share the counts, but
each could let one attempt through between another's check and record. No database transaction is open
while scrypt runs, so a sign-in never holds SQLite's write lock for the second scrypt takes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from screening.decisions.passwords import check_password, describe, hash_password, needs_rehash
from screening.decisions.reviewers import find_reviewer
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.schema import Reviewer, SignInAttempt, utcnow

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
    """The backoff key of a typed name: trimmed, case-folded, NUL-free and column-sized, known or not."""
    return name.strip().casefold().replace("\x00", "")[:128]


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


def _record(session: Session, name: str, client: str, reviewer_id: int | None, succeeded: bool,
            now: datetime) -> None:
    session.add(SignInAttempt(at=now, name_key=name_key(name), client=client_key(client), succeeded=succeeded))
    audit(session, name_key(name) or "(empty)", "sign_in" if succeeded else "sign_in_failed", "reviewers",
          reviewer_id, None, {"client": client_key(client)})
    session.flush()


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
            wait = wait_seconds(session, name, client, now)
            if wait > 0:
                return SignInResult(retry_after=wait, throttled=True)
            # PostgreSQL refuses NUL in any text parameter; no reviewer name holds one, so no lookup needed.
            reviewer = find_reviewer(session, name.strip()) if "\x00" not in name else None
            found = (reviewer.id, reviewer.name, reviewer.role, reviewer.password_hash) if reviewer else None
        stored = found[3] if found else None
        succeeded = check_password(password, stored)  # one scrypt also for unknown names
        upgraded = hash_password(password) if succeeded and stored and needs_rehash(stored) else None
        with project.session() as session:
            _record(session, name, client, found[0] if found else None, succeeded, now)
            if upgraded:
                _store_rehash(session, found[0], stored, upgraded, actor=found[1])
            if succeeded:
                return SignInResult(name=found[1], role=found[2])
            return SignInResult(retry_after=wait_seconds(session, name, client, now))
