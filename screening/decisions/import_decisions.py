"""Importing decisions made in another tool (Rayyan, Covidence, a spreadsheet) from a CSV file.

Nothing is replaced silently: each row is added (the reviewer has no current decision on the record),
unchanged, changed (same decision, other reasons or note) or conflicting (the reviewer's current
decision is a different one). Conflicting rows refuse the whole file unless the importer asks to
replace them, and each replacement is audited as such. Two rows for one record, reviewer and stage are
an error naming both lines. The whole file is written in one transaction, or nothing of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from screening.decisions.lookup import UnknownRecordError, resolve_source_id
from screening.decisions.record import RETRACTED, DecisionError, current_decision_row, record_decision
from screening.decisions.reviewers import ReviewerError, ensure_reviewer, find_reviewer
from screening.store.audit import audit
from screening.store.identity import display_name, reviewer_key
from screening.store.project import Project
from screening.store.schema import DECISIONS, STAGES, Decision

REQUIRED_COLUMNS = ("record_id", "reviewer", "decision")
_DECISION_ALIASES = {"1": "include", "0": "exclude", "include": "include", "exclude": "exclude",
                     "maybe": "maybe", "included": "include", "excluded": "exclude"}
_CONFLICTS_SHOWN = 20
OUTCOMES = ("added", "unchanged", "changed", "conflicting")


class DecisionImportError(ValueError):
    """A decisions file that cannot be imported; names the file, line and field."""


@dataclass(frozen=True)
class Conflict:
    """A row whose decision differs from the reviewer's current one."""

    line: int
    source_id: str
    reviewer: str
    stage: str
    current: str
    new: str

    def describe(self) -> str:
        return (f"line {self.line}: {self.reviewer} on '{self.source_id}' ({self.stage}) is currently "
                f"'{self.current}', the file says '{self.new}'")


class DecisionConflictError(DecisionImportError):
    """The file would replace reviewers' current decisions with different ones; nothing was written."""

    def __init__(self, path: Path, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        shown = "\n".join(f"  {c.describe()}" for c in conflicts[:_CONFLICTS_SHOWN])
        more = f"\n  ... and {len(conflicts) - _CONFLICTS_SHOWN} more" if len(conflicts) > _CONFLICTS_SHOWN else ""
        super().__init__(f"{path}: {len(conflicts)} row(s) conflict with a reviewer's current decision; nothing "
                         f"was imported. Re-run with --replace to replace them (each replacement is audited):\n"
                         f"{shown}{more}")


@dataclass(frozen=True)
class DecisionImportSummary:
    rows: int
    added: int
    unchanged: int
    changed: int = 0
    conflicting: int = 0
    replaced: bool = False  # the conflicting rows were written (replace=True)

    def describe(self, file: str) -> str:
        """The line the CLI prints after an import."""
        counts = ", ".join(f"{getattr(self, outcome)} {outcome}" for outcome in OUTCOMES)
        replaced = " (replaced, audited)" if self.conflicting and self.replaced else ""
        return f"{file}: {self.rows} rows: {counts}{replaced}"


@dataclass(frozen=True)
class _Row:
    line: int
    source_id: str
    record_id: int
    reviewer: str
    stage: str
    decision: str
    reasons: tuple[str, ...] | None  # None: the file has no reason column, the current reasons stay
    note: str | None
    has_note: bool


def _fail(path: Path, message: str, line: int | None = None, field: str | None = None) -> DecisionImportError:
    where = [str(path)] + ([f"line {line}"] if line else []) + ([f"field '{field}'"] if field else [])
    return DecisionImportError(f"{', '.join(where)}: {message}")


def _read(path: Path) -> pd.DataFrame:
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as error:
        raise _fail(path, f"not a readable CSV file ({error})") from error
    table.columns = [c.strip().lower() for c in table.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise _fail(path, f"missing column(s) {missing}; found {list(table.columns)}")
    return table


def _parse_row(session: Session, path: Path, line: int, row: dict, columns: set[str],
               allowed_reasons: list[str] | None) -> _Row:
    decision = _DECISION_ALIASES.get(row["decision"].strip().lower())
    if decision is None:
        raise _fail(path, f"'{row['decision']}' is not one of {', '.join(DECISIONS)} or 1/0", line, "decision")
    stage = (row.get("stage") or "").strip() or "title_abstract"
    if stage not in STAGES:
        raise _fail(path, f"'{stage}' is not one of {', '.join(STAGES)}", line, "stage")
    reviewer = display_name(row["reviewer"])
    if not reviewer:
        raise _fail(path, "reviewer is empty", line, "reviewer")
    source_id = row["record_id"].strip()
    try:
        record_id = resolve_source_id(session, source_id)
    except UnknownRecordError as error:
        raise _fail(path, str(error), line, "record_id") from error
    reasons = None
    if "reason" in columns:
        reasons = tuple(r.strip() for r in row["reason"].replace(";", ",").split(",") if r.strip())
        unknown = [code for code in reasons if allowed_reasons is not None and code not in allowed_reasons]
        if unknown:
            raise _fail(path, f"unknown reason code(s) {unknown}; the protocol's codes are: "
                              f"{', '.join(allowed_reasons or [])}", line, "reason")
    note = (row.get("note") or "").strip() or None
    return _Row(line, source_id, record_id, reviewer, stage, decision, reasons, note, "note" in columns)


def _parse(session: Session, path: Path, table: pd.DataFrame, allowed_reasons: list[str] | None) -> list[_Row]:
    """Every row validated and resolved to its record; two rows for one record and reviewer are an error."""
    rows: list[_Row] = []
    seen: dict[tuple[int, str, str], _Row] = {}
    for index, raw in enumerate(table.to_dict("records")):
        row = _parse_row(session, path, index + 2, raw, set(table.columns), allowed_reasons)  # line 1: header
        key = (row.record_id, reviewer_key(row.reviewer), row.stage)
        if (first := seen.get(key)) is not None:
            same = "" if first.source_id == row.source_id else (
                f" ('{first.source_id}' and '{row.source_id}' are the same record after duplicate removal)")
            raise _fail(path, f"lines {first.line} and {row.line} both give {row.reviewer}'s decision on record "
                              f"'{row.source_id}' ({row.stage}){same}; keep one of them", row.line, "record_id")
        seen[key] = row
        rows.append(row)
    return rows


def _outcome(current: Decision | None, row: _Row) -> tuple[str, tuple[str, ...], str | None]:
    """added / unchanged / changed / conflicting, and the reasons and note the new row would carry."""
    if current is None or current.decision == RETRACTED:
        return "added", row.reasons or (), row.note
    if current.decision != row.decision:  # the old reasons and note belonged to the old decision
        return "conflicting", row.reasons or (), row.note
    reasons = row.reasons if row.reasons is not None else tuple(filter(None, (current.reasons or "").split(",")))
    note = row.note if row.has_note else current.note
    if ",".join(reasons) == (current.reasons or "") and note == current.note:
        return "unchanged", reasons, note
    return "changed", reasons, note


def import_decisions(project: Project, path: str | Path, actor: str = "import-decisions",
                     allowed_reasons: list[str] | None = None, replace: bool = False) -> DecisionImportSummary:
    """Validate and classify every row, then write them in one transaction (all or nothing).

    Unchanged rows are skipped, so importing a file twice adds nothing. A column the file lacks
    (reason, note) keeps the reviewer's current reasons or note when the decision is the same.
    Raises DecisionConflictError, writing nothing, when rows conflict with current decisions and
    ``replace`` is False.
    """
    path = Path(path)
    table = _read(path)
    counts = dict.fromkeys(OUTCOMES, 0)
    with project.session() as session:
        planned = []
        conflicts = []
        for row in _parse(session, path, table, allowed_reasons):
            reviewer = find_reviewer(session, row.reviewer)
            current = current_decision_row(session, row.record_id, reviewer.id, row.stage) if reviewer else None
            outcome, reasons, note = _outcome(current, row)
            counts[outcome] += 1
            if outcome == "conflicting":
                conflicts.append(Conflict(row.line, row.source_id, reviewer.name, row.stage, current.decision,
                                          row.decision))
            if outcome != "unchanged":
                planned.append((row, outcome, reasons, note))
        if conflicts and not replace:
            raise DecisionConflictError(path, conflicts)
        for row, outcome, reasons, note in planned:
            try:
                reviewer = ensure_reviewer(session, row.reviewer, actor=actor)
                record_decision(session, reviewer=reviewer.name, record_id=row.record_id, decision=row.decision,
                                stage=row.stage, reasons=reasons, note=note, allowed_reasons=allowed_reasons,
                                actor=actor, action="replace_decision" if outcome == "conflicting" else None)
            except ReviewerError as error:
                raise _fail(path, str(error), row.line, "reviewer") from error
            except DecisionError as error:
                raise _fail(path, str(error), row.line) from error
        if planned:
            audit(session, actor, "import_decisions", "decisions", None, None,
                  {"file": path.name, **counts, "replaced": bool(conflicts)})
    return DecisionImportSummary(rows=len(table), replaced=replace, **counts)
