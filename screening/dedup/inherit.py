"""Decisions follow the kept record: when dedup groups records that already have decisions, the kept
record inherits them, and splitting the group gives every record its own decisions back.

Decisions are append-only, so inheriting is appending: the kept record gets new, audited rows (actor
"dedup") copying the duplicates' current decisions, and the duplicates' own rows stay untouched (the
queries no longer count a duplicate). Where one reviewer decided the copies of a work differently,
nothing is picked: the kept record gets 'maybe' with a note giving each copy's decision, flagged so that
the queries treat it as a conflict for the lead until someone decides again (a plain 'maybe' would
pass the record on at title/abstract). A consensus carries over only when the merge brings no decision
against it that the lead has not seen; otherwise the kept record's consensus is retracted and the
record is contested again. Every appended row is remembered (DedupAddedRow) with the row it
superseded, so that splitting the group appends the previous state again; decisions people made on
the kept record after the merge are kept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from screening.decisions.record import RETRACTED
from screening.store.audit import audit
from screening.store.schema import (
    STAGES,
    Consensus,
    Decision,
    DedupAddedRow,
    DedupCarry,
    Record,
    Reviewer,
    utcnow,
)

ACTOR = "dedup"
_SETTLED = ("include", "exclude")


@dataclass
class CarryReport:
    """What carrying decisions to kept records did in one dedup run or undo."""

    decisions_added: int = 0  # decision rows carried to kept records
    consensus_added: int = 0  # consensus rows carried (or retracted, when the copies disagree)
    rows_restored: int = 0  # rows appended to give records their own decisions back
    needs_lead: list[str] = field(default_factory=list)  # records the merge left contested, and why


def carry_decisions(session: Session, duplicate_of: dict[int, int]) -> CarryReport:
    """Bring decisions in line with the groups (`duplicate_of`: duplicate id -> kept id) in this transaction.

    A kept record that lost a carried duplicate (the group changed or dissolved, or it is no longer
    kept) first gets its own decisions back; then every duplicate with decisions not yet carried to
    its kept record is carried.
    """
    report = CarryReport()
    active = session.scalars(select(DedupCarry).where(DedupCarry.undone_at.is_(None))).all()
    broken = sorted({carry.kept_id for carry in active if duplicate_of.get(carry.duplicate_id) != carry.kept_id})
    for kept_id in broken:
        report.rows_restored += restore_own_decisions(session, kept_id)
    carried = {(carry.duplicate_id, carry.kept_id) for carry in active if carry.kept_id not in broken}
    new: dict[int, list[int]] = defaultdict(list)
    for duplicate_id in _decided_duplicates(session):
        kept_id = duplicate_of.get(duplicate_id)
        if kept_id is not None and (duplicate_id, kept_id) not in carried:
            new[kept_id].append(duplicate_id)
    for kept_id, duplicate_ids in sorted(new.items()):
        _carry(session, kept_id, sorted(duplicate_ids), report)
    return report


def restore_own_decisions(session: Session, kept_id: int) -> int:
    """Undo what dedup appended to this record: each chain of carried rows that is still current gets
    the row from before the first carry appended again (or a retraction). Returns rows appended."""
    added = session.scalars(select(DedupAddedRow).where(
        DedupAddedRow.kept_id == kept_id, DedupAddedRow.undone_at.is_(None))).all()
    appended = 0
    for table, model in (("decisions", Decision), ("consensus", Consensus)):
        entries = {entry.row_id: entry for entry in added if entry.table == table}
        rows = [session.get(model, row_id) for row_id in entries]
        for key in {_chain_key(row) for row in rows if row is not None}:
            current = _current_row(session, model, kept_id, key)
            if current is None or current.id not in entries:
                continue  # someone decided on the kept record since: that decision stays
            previous = current
            while previous is not None and previous.id in entries:
                previous_id = entries[previous.id].previous_row_id
                previous = session.get(model, previous_id) if previous_id is not None else None
            _append(session, model, current, previous, action=f"dedup_restore_{table}",
                    why={"restored_from_row": previous.id if previous is not None else None})
            appended += 1
    now = utcnow()
    session.execute(update(DedupAddedRow).where(
        DedupAddedRow.kept_id == kept_id, DedupAddedRow.undone_at.is_(None)).values(undone_at=now))
    session.execute(update(DedupCarry).where(
        DedupCarry.kept_id == kept_id, DedupCarry.undone_at.is_(None)).values(undone_at=now))
    return appended


def _decided_duplicates(session: Session) -> list[int]:
    """Duplicates that have any decision or consensus row."""
    ids: set[int] = set()
    for model in (Decision, Consensus):
        ids.update(session.scalars(select(model.record_id).join(Record, Record.id == model.record_id)
                                   .where(Record.duplicate_of.is_not(None)).distinct()))
    return sorted(ids)


def _carry(session: Session, kept_id: int, duplicate_ids: Sequence[int], report: CarryReport) -> None:
    """Carry the decisions and consensus of newly grouped duplicates to their kept record."""
    source_ids = dict(session.execute(select(Record.id, Record.source_id).where(
        Record.id.in_([kept_id, *duplicate_ids]))).all())
    names = dict(session.execute(select(Reviewer.id, Reviewer.name)).all())
    for stage in STAGES:
        kept_rows = _current_decisions(session, [kept_id], stage)
        copy_rows = _current_decisions(session, duplicate_ids, stage)
        by_reviewer: dict[int, list[Decision]] = defaultdict(list)
        for row in copy_rows:
            by_reviewer[row.reviewer_id].append(row)
        kept_by_reviewer = {row.reviewer_id: row for row in kept_rows}
        for reviewer_id, rows in sorted(by_reviewer.items()):
            own = kept_by_reviewer.get(reviewer_id)
            conflict = _carry_decision(session, kept_id, reviewer_id, stage, own, rows, source_ids)
            if conflict is not None:
                report.decisions_added += 1
                if conflict:
                    report.needs_lead.append(
                        f"{source_ids[kept_id]} ({stage}): {names[reviewer_id]} decided its copies differently; "
                        "now 'maybe' on the kept record, settle it on the Contested page")
        _carry_consensus(session, kept_id, duplicate_ids, stage, kept_rows + copy_rows, source_ids, report)
    session.add_all(DedupCarry(duplicate_id=duplicate_id, kept_id=kept_id) for duplicate_id in duplicate_ids)


def _carry_decision(session: Session, kept_id: int, reviewer_id: int, stage: str, own: Decision | None,
                    rows: list[Decision], source_ids: dict[int, str]) -> bool | None:
    """Append the reviewer's merged decision to the kept record. None when nothing changes, else
    whether the copies disagreed (then the row is 'maybe' with each copy's decision in the note)."""
    previous = _current_row(session, Decision, kept_id, (reviewer_id, stage))
    decided = ([own] if own is not None else []) + rows
    values = {row.decision for row in decided}
    conflict = len(values) > 1
    if conflict:
        decision = "maybe"
        note = "Copies of this work had different decisions (dedup): " + "; ".join(
            _describe(row, source_ids) for row in decided)
    else:
        decision = values.pop()
        note = _joined(row.note for row in decided)
    reasons = _joined((row.reasons for row in decided), separator=",", split=",")
    if own is not None and (own.decision, own.reasons, own.note) == (decision, reasons, note):
        return None
    row = Decision(record_id=kept_id, reviewer_id=reviewer_id, stage=stage, decision=decision,
                   reasons=reasons, note=note)
    _add(session, "decisions", row, previous, sources=[r.id for r in rows], conflict=conflict)
    return conflict


def _carry_consensus(session: Session, kept_id: int, duplicate_ids: Sequence[int], stage: str,
                     decisions: list[Decision], source_ids: dict[int, str], report: CarryReport) -> None:
    """A consensus carries over when the copies bring nothing against it; else the record is contested."""
    previous = _current_row(session, Consensus, kept_id, (stage,))
    own = previous if previous is not None and previous.decision != RETRACTED else None
    copies = [row for row in (_current_row(session, Consensus, duplicate_id, (stage,))
                              for duplicate_id in duplicate_ids) if row is not None and row.decision != RETRACTED]
    settled = ([own] if own is not None else []) + copies
    if not copies or not settled:
        return  # the duplicates bring no consensus; the kept record's own one stands or there is none
    values = {row.decision for row in settled}
    if len(values) == 1 and not _unseen_dissent(values.copy().pop(), settled, decisions):
        if own is None:
            newest = max(copies, key=lambda row: row.id)
            row = Consensus(record_id=kept_id, stage=stage, decision=newest.decision,
                            reasons=_joined((r.reasons for r in copies), separator=",", split=","),
                            note=_joined(r.note for r in copies), recorded_by=newest.recorded_by)
            _add(session, "consensus", row, previous, sources=[r.id for r in copies])
            report.consensus_added += 1
        return
    why = "; ".join(f"{source_ids[row.record_id]}: consensus {row.decision}" for row in settled)
    if own is not None:
        row = Consensus(record_id=kept_id, stage=stage, decision=RETRACTED, recorded_by=own.recorded_by,
                        note=f"Retracted by dedup: copies of this work were settled differently or have "
                             f"decisions the consensus did not see ({why})")
        _add(session, "consensus", row, previous, sources=[r.id for r in copies])
        report.consensus_added += 1
    report.needs_lead.append(f"{source_ids[kept_id]} ({stage}): its copies were settled differently or "
                             f"have decisions against the consensus ({why}); settle it again")


def _unseen_dissent(settled_as: str, settled: list[Consensus], decisions: list[Decision]) -> bool:
    """Whether a copy without consensus holds an include/exclude against it that no settled copy shows
    the same reviewer making (so the lead who settled it never saw that view)."""
    settled_records = {row.record_id for row in settled}
    seen = {(row.reviewer_id, row.decision) for row in decisions if row.record_id in settled_records}
    return any(row.decision in _SETTLED and row.decision != settled_as and (row.reviewer_id, row.decision) not in seen
               for row in decisions if row.record_id not in settled_records)


def _current_decisions(session: Session, record_ids: Iterable[int], stage: str) -> list[Decision]:
    """Each reviewer's current, not retracted decision on these records at this stage."""
    ids = list(record_ids)
    newest = (select(func.max(Decision.id)).where(Decision.record_id.in_(ids), Decision.stage == stage)
              .group_by(Decision.record_id, Decision.reviewer_id))
    rows = session.scalars(select(Decision).where(Decision.id.in_(newest)).order_by(Decision.id)).all()
    return [row for row in rows if row.decision != RETRACTED]


def _chain_key(row: Decision | Consensus) -> tuple:
    return (row.reviewer_id, row.stage) if isinstance(row, Decision) else (row.stage,)


def _current_row(session: Session, model: type[Decision] | type[Consensus], record_id: int,
                 key: tuple) -> Decision | Consensus | None:
    """The newest row (retractions included) of a reviewer (decisions) or of the record (consensus)."""
    query = select(model).where(model.record_id == record_id, model.stage == key[-1])
    if model is Decision:
        query = query.where(Decision.reviewer_id == key[0])
    return session.scalars(query.order_by(model.id.desc()).limit(1)).one_or_none()


def _add(session: Session, table: str, row: Decision | Consensus, previous: Decision | Consensus | None,
         sources: list[int], conflict: bool = False) -> None:
    session.add(row)
    session.flush()
    session.add(DedupAddedRow(kept_id=row.record_id, table=table, row_id=row.id, conflict=conflict,
                              previous_row_id=previous.id if previous is not None else None))
    audit(session, ACTOR, f"dedup_inherit_{table}", table, row.id, _content(previous),
          {**_content(row), "from_rows": sources})


def _append(session: Session, model: type[Decision] | type[Consensus], current: Decision | Consensus,
            previous: Decision | Consensus | None, action: str, why: dict) -> None:
    """Append `previous` again (or a retraction) as the current row of `current`'s chain."""
    values = {"record_id": current.record_id, "stage": current.stage,
              "decision": previous.decision if previous is not None else RETRACTED,
              "reasons": previous.reasons if previous is not None else None,
              "note": previous.note if previous is not None else None}
    if isinstance(current, Decision):
        row: Decision | Consensus = Decision(reviewer_id=current.reviewer_id, **values)
    else:
        row = Consensus(recorded_by=previous.recorded_by if previous is not None else current.recorded_by, **values)
    session.add(row)
    session.flush()
    audit(session, ACTOR, action, model.__tablename__, row.id, _content(current), {**_content(row), **why})


def _content(row: Decision | Consensus | None) -> dict | None:
    if row is None:
        return None
    return {"record_id": row.record_id, "stage": row.stage, "decision": row.decision, "reasons": row.reasons,
            "note": row.note}


def _describe(row: Decision, source_ids: dict[int, str]) -> str:
    reasons = f" [{row.reasons}]" if row.reasons else ""
    note = f" ({row.note})" if row.note else ""
    return f"{source_ids.get(row.record_id, row.record_id)} {row.decision}{reasons}{note}"


def _joined(values: Iterable[str | None], separator: str = " | ", split: str | None = None) -> str | None:
    """Distinct non-empty values (or their `split` parts) in first-seen order, joined; None if none."""
    parts: list[str] = []
    for value in values:
        for part in (value.split(split) if split and value else [value]):
            part = (part or "").strip()
            if part and part not in parts:
                parts.append(part)
    return separator.join(parts) or None
