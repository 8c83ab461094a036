"""Writing decisions: each is one transaction with its audit row; nothing is ever overwritten."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.decisions.reviewers import get_reviewer
from screening.store.audit import audit
from screening.store.schema import DECISIONS, STAGES, Consensus, Decision, DedupAddedRow, Record, Reviewer

RETRACTED = "retracted"  # appended by "undo": the reviewer has no current decision on the record


class DecisionError(ValueError):
    """A decision that cannot be recorded (unknown record, stage, value or reason code)."""


def _check(stage: str, decision: str, reasons: Sequence[str], allowed_reasons: Sequence[str] | None) -> None:
    if stage not in STAGES:
        raise DecisionError(f"stage must be one of {', '.join(STAGES)}, got '{stage}'")
    if decision not in DECISIONS:
        raise DecisionError(f"decision must be one of {', '.join(DECISIONS)}, got '{decision}'")
    if stage == "full_text" and decision == "exclude" and len(reasons) != 1:
        raise DecisionError(f"an exclusion at full text needs exactly one reason (PRISMA counts each excluded "
                            f"report under one reason), got {len(reasons)}" + (f": {', '.join(reasons)}" if reasons
                                                                               else ""))
    if allowed_reasons is not None:
        unknown = [code for code in reasons if code not in allowed_reasons]
        if unknown:
            raise DecisionError(
                f"unknown reason code(s) {unknown}; the protocol's codes are: {', '.join(allowed_reasons)}"
            )


def _screenable(session: Session, record_id: int) -> Record:
    record = session.get(Record, record_id)
    if record is None:
        raise DecisionError(f"unknown record id {record_id}")
    if record.duplicate_of is not None:
        kept = session.get(Record, record.duplicate_of)
        kept_id = kept.source_id if kept else record.duplicate_of
        raise DecisionError(f"record '{record.source_id}' is a duplicate of '{kept_id}': decide on that one")
    return record


def current_decision_row(session: Session, record_id: int, reviewer_id: int, stage: str) -> Decision | None:
    return session.scalars(
        select(Decision)
        .where(Decision.record_id == record_id, Decision.reviewer_id == reviewer_id, Decision.stage == stage)
        .order_by(Decision.id.desc())
        .limit(1)
    ).one_or_none()


def _as_dict(row: Decision | Consensus | None) -> dict | None:
    if row is None:
        return None
    return {"decision": row.decision, "reasons": row.reasons, "note": row.note}


def record_decision(session: Session, *, reviewer: str, record_id: int, decision: str,
                    stage: str = "title_abstract", reasons: Sequence[str] = (), note: str | None = None,
                    allowed_reasons: Sequence[str] | None = None, actor: str | None = None,
                    action: str | None = None) -> Decision:
    """Append a reviewer's decision; a changed mind is a new row, and the audit log keeps old -> new.

    ``actor`` and ``action`` name who made the change and how when it is not the reviewer deciding
    (an imported file replacing a decision is audited as the importer's ``replace_decision``).
    """
    _check(stage, decision, reasons, allowed_reasons)
    _screenable(session, record_id)
    who = get_reviewer(session, reviewer)
    previous = current_decision_row(session, record_id, who.id, stage)
    row = Decision(record_id=record_id, reviewer_id=who.id, stage=stage, decision=decision,
                   reasons=",".join(reasons) or None, note=(note or "").strip() or None)
    session.add(row)
    session.flush()
    default_action = "decide" if previous is None or previous.decision == RETRACTED else "change_decision"
    audit(session, actor or who.name, action or default_action, "decisions", row.id, _as_dict(previous),
          _as_dict(row))
    return row


def retract_decision(session: Session, *, reviewer: str, record_id: int,
                     stage: str = "title_abstract") -> Decision:
    """Undo: append a 'retracted' row so the record returns to the reviewer's queue (history kept)."""
    who = get_reviewer(session, reviewer)
    previous = current_decision_row(session, record_id, who.id, stage)
    if previous is None or previous.decision == RETRACTED:
        raise DecisionError(f"reviewer '{reviewer}' has no decision on record {record_id} at {stage} to undo")
    row = Decision(record_id=record_id, reviewer_id=who.id, stage=stage, decision=RETRACTED)
    session.add(row)
    session.flush()
    audit(session, who.name, "undo_decision", "decisions", row.id, _as_dict(previous), _as_dict(row))
    return row


def last_decision(session: Session, reviewer: str, stage: str) -> Decision | None:
    """The reviewer's newest non-retracted, still-current decision (what 'undo last' undoes); rows dedup
    carried to a kept record are not the reviewer's last action, so they are skipped."""
    who = get_reviewer(session, reviewer)
    carried = select(DedupAddedRow.row_id).where(DedupAddedRow.table == "decisions")
    for row in session.scalars(
        select(Decision).where(Decision.reviewer_id == who.id, Decision.stage == stage, Decision.id.not_in(carried))
        .order_by(Decision.id.desc())
    ):
        current = current_decision_row(session, row.record_id, who.id, stage)
        if current is not None and current.id == row.id and row.decision != RETRACTED:
            return row
    return None


class ConsensusExistsError(DecisionError):
    """A record already has a consensus at this stage; replacing it must be asked for explicitly."""

    def __init__(self, source_id: str, stage: str, existing: Consensus, recorded_by: str) -> None:
        self.existing = existing
        self.recorded_by = recorded_by
        reasons = f" ({existing.reasons})" if existing.reasons else ""
        super().__init__(f"record '{source_id}' already has a consensus at {stage}: {existing.decision}{reasons}, "
                         f"recorded by {recorded_by} at {existing.created_at:%Y-%m-%d %H:%M} UTC; "
                         "replace it explicitly to change it")


def current_consensus(session: Session, record_id: int, stage: str) -> Consensus | None:
    """The newest consensus row of a record at a stage (the one in force), or None; None too when that
    row is a retraction (dedup retracts a consensus the merged copies contradict)."""
    row = session.scalars(
        select(Consensus).where(Consensus.record_id == record_id, Consensus.stage == stage)
        .order_by(Consensus.id.desc()).limit(1)
    ).one_or_none()
    return None if row is None or row.decision == RETRACTED else row


def record_consensus(session: Session, *, record_id: int, stage: str, decision: str, recorded_by: str,
                     reasons: Sequence[str] = (), note: str | None = None,
                     allowed_reasons: Sequence[str] | None = None, replace: bool = False) -> Consensus:
    """Record the agreed decision on a contested record, with who recorded it and the discussion note.

    A second consensus on the same record and stage raises ConsensusExistsError unless ``replace``;
    a replacement is a new row (the first stays) audited as ``replace_consensus`` old -> new.
    """
    if decision == "maybe":
        raise DecisionError("a consensus decision must be include or exclude")
    _check(stage, decision, reasons, allowed_reasons)
    record = _screenable(session, record_id)
    who = get_reviewer(session, recorded_by)
    if who.role not in ("lead", "advisor"):
        raise DecisionError(f"'{recorded_by}' is a {who.role}; only a lead or advisor records consensus")
    previous = current_consensus(session, record_id, stage)
    if previous is not None and not replace:
        raise ConsensusExistsError(record.source_id, stage, previous, session.get(Reviewer, previous.recorded_by).name)
    row = Consensus(record_id=record_id, stage=stage, decision=decision, reasons=",".join(reasons) or None,
                    note=(note or "").strip() or None, recorded_by=who.id)
    session.add(row)
    session.flush()
    audit(session, who.name, "consensus" if previous is None else "replace_consensus", "consensus", row.id,
          _as_dict(previous), _as_dict(row))
    return row
