"""Reviewers of a project, their roles and (optional) passwords hashed with scrypt.

A reviewer is identified by the key of their name (screening/store/identity.py): "Ann" and "ann" are
one reviewer, shown as first added.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from screening.decisions.password_policy import password_problem
from screening.decisions.passwords import check_password, hash_password
from screening.store.audit import audit
from screening.store.identity import display_name, reviewer_key
from screening.store.schema import REVIEWER_NAME_MAX, ROLES, Reviewer, utcnow

_UPSERT_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


REMOVED = "removed"  # the role of a reviewer taken off the team (see remove_reviewer)


class ReviewerError(ValueError):
    """Unknown reviewer, bad role, or a reviewer that already exists."""


def passwords_in_use(session: Session) -> bool:
    """True once any reviewer has a password: from then on everyone signs in with one (local mode ended)."""
    return session.scalars(select(Reviewer.id).where(Reviewer.password_hash.is_not(None))).first() is not None


def lead_has_password(session: Session) -> bool:
    return session.scalars(select(Reviewer.id).where(Reviewer.role == "lead", Reviewer.password_hash.is_not(None))
                           ).first() is not None


def new_password_hash(session: Session, name: str, role: str, password: str) -> str:
    """The hash of a new password for reviewer `name`, once it passes the policy and cannot lock the lead out.

    The first password ends local mode for everyone (see app.auth); if it went to a plain reviewer, no lead
    could sign in any more to manage the team. So a lead must hold a password before anyone else gets one."""
    problem = password_problem(password, [name])
    if problem:
        raise ReviewerError(problem)
    if role != "lead" and not lead_has_password(session):
        raise ReviewerError(f"give a lead a password before '{name}': once anyone has a password everyone signs "
                            "in with one, and a lead without one could no longer manage the team "
                            "(screening set-password DIR LEAD)")
    return hash_password(password)


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
    password_hash = new_password_hash(session, name, role, password) if password else None
    reviewer = _insert_reviewer(session, name, role, password_hash)
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
    reviewer.password_hash = new_password_hash(session, reviewer.name, reviewer.role, password)
    audit(session, actor, "set_password", "reviewers", reviewer.id, {"had_password": had_password},
          {"had_password": True})
    return reviewer


def authenticate(session: Session, name: str, password: str) -> Reviewer | None:
    """The reviewer if `password` is theirs; one scrypt whether or not the name exists (no enumeration).

    No throttling or rehash here: the app signs in through decisions.sign_in, which adds both."""
    reviewer = find_reviewer(session, name)
    if not check_password(password, reviewer.password_hash if reviewer else None):
        return None
    return reviewer


def list_reviewers(session: Session) -> list[Reviewer]:
    """The project's reviewers, without those removed (`remove_reviewer`)."""
    return list(session.scalars(select(Reviewer).where(Reviewer.role != REMOVED).order_by(Reviewer.name)))


def remove_reviewer(session: Session, name: str, actor: str, force: bool = False) -> int:
    """Take a reviewer off the team; returns how many decisions of theirs are kept.

    Refused for the last lead (nobody could manage the team any more) and, unless ``force``, for a
    reviewer with decisions. The row stays with the role "removed" (decisions, consensus participation
    and the audit log refer to it), so their decisions keep counting; they can no longer sign in, are
    listed nowhere and lose their assignments. Audited (``remove_reviewer``).
    """
    from sqlalchemy import delete, func

    from screening.store.schema import Assignment, Decision

    reviewer = find_reviewer(session, name)
    if reviewer is None or reviewer.role == REMOVED:
        raise ReviewerError(f"no reviewer named '{name}' in this project")
    if reviewer.role == "lead":
        leads = session.scalar(select(func.count(Reviewer.id)).where(Reviewer.role == "lead")) or 0
        if leads <= 1:
            raise ReviewerError(f"'{reviewer.name}' is the only lead: add another lead first, or nobody could "
                                "manage the team")
    decided = session.scalar(select(func.count(Decision.id)).where(Decision.reviewer_id == reviewer.id)) or 0
    if decided and not force:
        raise ReviewerError(f"'{reviewer.name}' has {decided} decision rows; --force removes them from the team "
                            "and keeps their decisions (they still count)")
    session.execute(delete(Assignment).where(Assignment.reviewer_id == reviewer.id))
    audit(session, actor, "remove_reviewer", "reviewers", reviewer.id,
          {"name": reviewer.name, "role": reviewer.role, "had_password": reviewer.password_hash is not None},
          {"role": REMOVED, "decisions_kept": decided})
    reviewer.role, reviewer.password_hash = REMOVED, None
    return int(decided)
