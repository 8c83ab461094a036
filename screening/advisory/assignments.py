"""The lead gives advisory-group members full texts to examine (the reference review: two each)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from screening.decisions.reviewers import get_reviewer
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.review_schema import AdvisoryAssignment
from screening.store.schema import Reviewer


class AdvisoryError(ValueError):
    """An advisory action that cannot be carried out (not an advisor, unknown view or reason, ...)."""


def deal_records(record_ids: Sequence[int], advisors: Sequence[str], per_record: int = 1) -> dict[str, list[int]]:
    """Round-robin: each record goes to `per_record` different advisors, spreading the work evenly."""
    if not advisors:
        raise AdvisoryError("choose at least one advisory-group member")
    if not 1 <= per_record <= len(advisors):
        raise AdvisoryError(f"each full text can go to 1 to {len(advisors)} advisors, not {per_record}")
    shares: dict[str, list[int]] = {name: [] for name in advisors}
    turn = 0
    for record_id in record_ids:
        for offset in range(per_record):
            shares[advisors[(turn + offset) % len(advisors)]].append(int(record_id))
        turn += per_record
    return shares


def assign_to_advisors(project: Project, shares: dict[str, list[int]], actor: str) -> int:
    """Store the assignments (existing ones are kept); returns how many are new."""
    added = 0
    with project.session() as session:
        for name, record_ids in shares.items():
            advisor = get_reviewer(session, name)
            if advisor.role != "advisor":
                raise AdvisoryError(f"'{name}' is a {advisor.role}, not an advisory-group member (role advisor)")
            have = set(session.scalars(select(AdvisoryAssignment.record_id)
                                       .where(AdvisoryAssignment.advisor_id == advisor.id)))
            new = [rid for rid in dict.fromkeys(record_ids) if rid not in have]
            session.add_all(AdvisoryAssignment(record_id=rid, advisor_id=advisor.id, assigned_by=actor) for rid in new)
            if new:
                audit(session, actor, "assign_advisor", "advisory_assignments", advisor.id, None,
                      {"advisor": name, "records": new})
            added += len(new)
    return added


def advisory_worklist(project: Project, advisor: str) -> list[int]:
    """Record ids assigned to this advisor, in assignment order."""
    with project.session() as session:
        return list(session.scalars(
            select(AdvisoryAssignment.record_id).join(Reviewer, Reviewer.id == AdvisoryAssignment.advisor_id)
            .where(Reviewer.name == advisor).order_by(AdvisoryAssignment.id)))


def assignments_table(project: Project) -> dict[int, list[str]]:
    """record id -> advisors assigned to it."""
    with project.session() as session:
        rows = session.execute(select(AdvisoryAssignment.record_id, Reviewer.name)
                               .join(Reviewer, Reviewer.id == AdvisoryAssignment.advisor_id)
                               .order_by(AdvisoryAssignment.id)).all()
    table: dict[int, list[str]] = {}
    for record_id, name in rows:
        table.setdefault(int(record_id), []).append(name)
    return table
