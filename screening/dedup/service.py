"""Deduplicate a project's records in its database, and undo a group a lead says is wrong.

Records are never deleted: a duplicate points at the kept record (`duplicate_of`) and every member
shares `dedup_group` (the kept record's id). A run recomputes all groups from scratch in one
transaction, so re-running is idempotent and a failed run leaves the previous state untouched.
Decisions follow the groups in the same transaction (see `inherit`): the kept record inherits its
duplicates' decisions, and an undone group gives every record its own decisions back.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from datetime import datetime

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from screening.dedup.inherit import CarryReport, carry_decisions, restore_own_decisions
from screening.dedup.keep import kept_records
from screening.dedup.match import find_duplicate_groups
from screening.dedup.normalise import ABSTRACT_CHARS
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.schema import AuditEntry, Decision, DedupSplit, Record

ACTOR = "dedup"
_ATTEMPTS = 3


class DedupError(ValueError):
    """A dedup request that cannot be carried out (unknown group id)."""


@dataclass(frozen=True)
class DedupReport:
    """The PRISMA flow counts of the dedup step."""

    identified: int  # records imported (all sources)
    duplicates_removed: int  # records pointing at a kept record
    unique: int  # records left for screening
    groups: int  # duplicate groups
    changed: int = 0  # records whose dedup fields this run changed
    decisions_carried: int = 0  # decision and consensus rows carried to kept records (or restored)
    needs_lead: list[str] = field(default_factory=list)  # kept records whose copies were decided differently

    def as_dict(self) -> dict[str, int]:
        """The counts (what decisions the run carried is in `decisions_carried` and `needs_lead`)."""
        return {key: value for key, value in asdict(self).items() if key not in ("decisions_carried", "needs_lead")}


@dataclass(frozen=True)
class DedupGroup:
    """One group for review: the kept record and the duplicates pointing at it."""

    group_id: int
    kept_id: int
    kept_source_id: str
    kept_title: str | None
    duplicates: list[tuple[int, str]]  # (record id, source id)


_COLUMNS = (Record.id, Record.title, Record.year, Record.authors, Record.doi, Record.pmid,
            func.substr(Record.abstract, 1, ABSTRACT_CHARS).label("abstract"),
            func.coalesce(func.length(Record.abstract), 0).label("abstract_length"),
            Record.duplicate_of, Record.dedup_group)


def run_dedup(project: Project, actor: str = ACTOR) -> DedupReport:
    """Group all records, mark duplicates, log the run; pairs in DedupSplit are never grouped again.

    Groups are computed outside the write transaction (seconds at 50,000 records) so that reviewers'
    decisions are not held up; the write then checks that nothing it read has changed meanwhile.
    """
    for _attempt in range(_ATTEMPTS):
        with project.session() as session:
            snapshot = _fingerprint(session)
            rows = session.execute(select(*_COLUMNS).order_by(Record.id)).all()
            splits = session.execute(select(DedupSplit.record_a, DedupSplit.record_b)).all()
            screened = set(session.scalars(select(Decision.record_id).distinct()))
        records = pd.DataFrame(rows, columns=[column.key for column in _COLUMNS])
        records["screened"] = records["id"].isin(screened)
        groups = find_duplicate_groups(records, do_not_merge=[(a, b) for a, b in splits])
        kept = kept_records(records, groups)
        with project.session() as session:
            if _fingerprint(session) != snapshot:
                continue  # an import, split or decision landed while we computed: compute again
            return _write(session, records, groups, kept, actor)
    raise DedupError("records kept changing while dedup ran; run it again when imports have finished")


def _fingerprint(session: Session) -> tuple:
    """What dedup's result depends on: the records, the splits and which records have decisions."""
    return (session.scalar(select(func.count(Record.id))), session.scalar(select(func.max(Record.id))),
            session.scalar(select(func.count(DedupSplit.id))),
            session.scalar(select(func.count(func.distinct(Decision.record_id)))))


def _write(session: Session, records: pd.DataFrame, groups: list[list[int]], kept: dict[int, int],
           actor: str) -> DedupReport:
    before = _counts(records["duplicate_of"], records["dedup_group"])
    changes = []
    for record_id, old_duplicate_of, old_group in zip(
            records["id"], records["duplicate_of"], records["dedup_group"], strict=True):
        kept_id = kept.get(int(record_id))
        duplicate_of = kept_id if kept_id is not None and kept_id != record_id else None
        if (_optional_int(old_duplicate_of), _optional_int(old_group)) != (duplicate_of, kept_id):
            changes.append({"id": int(record_id), "duplicate_of": duplicate_of, "dedup_group": kept_id})
    if changes:
        session.execute(update(Record), changes)
    carried = carry_decisions(session, {member: kept_id for member, kept_id in kept.items() if member != kept_id})
    report = DedupReport(identified=len(records), duplicates_removed=len(kept) - len(groups),
                         unique=len(records) - (len(kept) - len(groups)), groups=len(groups),
                         changed=len(changes), decisions_carried=_rows(carried), needs_lead=carried.needs_lead)
    audit(session, actor, "dedup", "records", None, old=before, new=asdict(report))
    return report


def undo_group(project: Project, group_id: int, actor: str) -> list[int]:
    """Split a group: its members become unique records with their own decisions back (the rows dedup
    carried to the kept record are superseded by the ones before), and are never grouped together again."""
    with project.session() as session:
        members = session.execute(
            select(Record.id, Record.duplicate_of).where(Record.dedup_group == group_id).order_by(Record.id)).all()
        if not members:
            raise DedupError(f"no duplicate group {group_id}; list the groups with 'screening dedup DIR --list'")
        ids = [int(record_id) for record_id, _ in members]
        existing = {(a, b) for a, b in session.execute(
            select(DedupSplit.record_a, DedupSplit.record_b).where(DedupSplit.record_a.in_(ids)))}
        session.add_all(DedupSplit(record_a=a, record_b=b)
                        for a, b in itertools.combinations(ids, 2) if (a, b) not in existing)
        session.execute(update(Record).where(Record.id.in_(ids)).values(duplicate_of=None, dedup_group=None))
        restored = sum(restore_own_decisions(session, record_id) for record_id in ids)
        audit(session, actor, "dedup_undo", "dedup_group", group_id, old={"kept": group_id, "members": ids},
              new={"split_pairs": len(ids) * (len(ids) - 1) // 2, "decision_rows_restored": restored})
    return ids


def last_run(project: Project) -> datetime | None:
    """When dedup last ran on the project (its audit row), or None when it never did."""
    with project.session() as session:
        return session.scalar(select(func.max(AuditEntry.at)).where(AuditEntry.action == "dedup"))


def current_report(project: Project) -> DedupReport:
    """The counts as stored now (after the last run or undo), without running dedup."""
    with project.session() as session:
        return _stored_report(session)


def list_groups(project: Project) -> list[DedupGroup]:
    """All stored groups, kept record first, ordered by group id."""
    with project.session() as session:
        rows = session.execute(
            select(Record.dedup_group, Record.id, Record.source_id, Record.title, Record.duplicate_of)
            .where(Record.dedup_group.is_not(None)).order_by(Record.dedup_group, Record.id)).all()
    groups: list[DedupGroup] = []
    for group_id, members in itertools.groupby(rows, key=lambda row: row.dedup_group):
        members = list(members)
        kept = next((m for m in members if m.duplicate_of is None), members[0])
        groups.append(DedupGroup(
            group_id=int(group_id), kept_id=kept.id, kept_source_id=kept.source_id, kept_title=kept.title,
            duplicates=[(m.id, m.source_id) for m in members if m.id != kept.id]))
    return groups


def _stored_report(session: Session) -> DedupReport:
    identified = session.scalar(select(func.count(Record.id))) or 0
    duplicates = session.scalar(select(func.count(Record.id)).where(Record.duplicate_of.is_not(None))) or 0
    groups = session.scalar(select(func.count(func.distinct(Record.dedup_group)))) or 0
    return DedupReport(identified=identified, duplicates_removed=duplicates, unique=identified - duplicates,
                       groups=groups)


def _rows(carried: CarryReport) -> int:
    return carried.decisions_added + carried.consensus_added + carried.rows_restored


def _counts(duplicate_of: pd.Series, dedup_group: pd.Series) -> dict[str, int]:
    return {"duplicates_removed": int(duplicate_of.notna().sum()), "groups": int(dedup_group.nunique())}


def _optional_int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
