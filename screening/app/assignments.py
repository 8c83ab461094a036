"""Assigning records to reviewers for a stage (dual-screening batches chosen by the lead)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select

from screening.decisions.reviewers import get_reviewer
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.schema import STAGES, Assignment, Reviewer


def assign_records(project: Project, reviewers: Sequence[str], record_ids: Sequence[int], stage: str,
                   actor: str) -> int:
    """Assign every record to every named reviewer; returns the number of new assignments.

    Existing assignments are kept, so assigning a batch twice is harmless. A reviewer with assignments
    sees only assigned records in their queue (see `pending_records`).
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}, got '{stage}'")
    added = 0
    with project.session() as session:
        for name in reviewers:
            who = get_reviewer(session, name)
            have = set(session.scalars(select(Assignment.record_id).where(
                Assignment.reviewer_id == who.id, Assignment.stage == stage)))
            new = [rid for rid in dict.fromkeys(int(r) for r in record_ids) if rid not in have]
            session.add_all(Assignment(record_id=rid, reviewer_id=who.id, stage=stage) for rid in new)
            if new:
                audit(session, actor, "assign", "assignments", who.id, None,
                      {"reviewer": name, "stage": stage, "records": len(new)})
            added += len(new)
    return added


def split_evenly(record_ids: Sequence[int], reviewers: Sequence[str]) -> dict[str, list[int]]:
    """Deal records round-robin, so each reviewer gets an equal share of the top of the ranking."""
    shares: dict[str, list[int]] = {name: [] for name in reviewers}
    for i, record_id in enumerate(record_ids):
        shares[reviewers[i % len(reviewers)]].append(int(record_id))
    return shares


def clear_assignments(project: Project, reviewer: str, stage: str, actor: str) -> int:
    """Remove a reviewer's assignments at a stage: their queue is the whole project again."""
    with project.session() as session:
        who = get_reviewer(session, reviewer)
        removed = session.execute(delete(Assignment).where(
            Assignment.reviewer_id == who.id, Assignment.stage == stage)).rowcount
        audit(session, actor, "clear_assignments", "assignments", who.id, {"records": removed}, None)
    return int(removed or 0)


def assignment_counts(project: Project, stage: str) -> dict[str, int]:
    """Reviewer name -> number of records assigned at the stage."""
    with project.session() as session:
        rows = session.execute(
            select(Reviewer.name, func.count(Assignment.id))
            .join(Assignment, Assignment.reviewer_id == Reviewer.id)
            .where(Assignment.stage == stage).group_by(Reviewer.name)
        ).all()
    return {name: int(n) for name, n in rows}
