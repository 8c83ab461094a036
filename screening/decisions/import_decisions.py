"""Importing decisions made in another tool (Rayyan, Covidence, a spreadsheet) from a CSV file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from screening.decisions.lookup import UnknownRecordError, resolve_source_id
from screening.decisions.record import DecisionError, current_decision_row, record_decision
from screening.decisions.reviewers import ensure_reviewer
from screening.store.project import Project
from screening.store.schema import DECISIONS, STAGES

REQUIRED_COLUMNS = ("record_id", "reviewer", "decision")
_DECISION_ALIASES = {"1": "include", "0": "exclude", "include": "include", "exclude": "exclude",
                     "maybe": "maybe", "included": "include", "excluded": "exclude"}


class DecisionImportError(ValueError):
    """A decisions file that cannot be imported; names the file, line and field."""


@dataclass(frozen=True)
class DecisionImportSummary:
    rows: int
    added: int
    unchanged: int


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


def import_decisions(project: Project, path: str | Path, actor: str = "import-decisions",
                     allowed_reasons: list[str] | None = None) -> DecisionImportSummary:
    """Validate every row, then write all of them in one transaction (all or nothing).

    Rows equal to the reviewer's current decision are skipped, so importing a file twice adds nothing.
    """
    path = Path(path)
    table = _read(path)
    added = unchanged = 0
    with project.session() as session:
        for index, row in enumerate(table.to_dict("records")):
            line = index + 2  # header is line 1
            decision = _DECISION_ALIASES.get(row["decision"].strip().lower())
            if decision is None:
                raise _fail(path, f"'{row['decision']}' is not one of {', '.join(DECISIONS)} or 1/0", line,
                            "decision")
            stage = (row.get("stage") or "").strip() or "title_abstract"
            if stage not in STAGES:
                raise _fail(path, f"'{stage}' is not one of {', '.join(STAGES)}", line, "stage")
            if not row["reviewer"].strip():
                raise _fail(path, "reviewer is empty", line, "reviewer")
            try:
                record_id = resolve_source_id(session, row["record_id"].strip())
            except UnknownRecordError as error:
                raise _fail(path, str(error), line, "record_id") from error
            reasons = [r.strip() for r in (row.get("reason") or "").replace(";", ",").split(",") if r.strip()]
            note = (row.get("note") or "").strip() or None
            reviewer = ensure_reviewer(session, row["reviewer"].strip(), actor=actor)
            current = current_decision_row(session, record_id, reviewer.id, stage)
            if (current is not None and current.decision == decision
                    and (current.reasons or "") == ",".join(reasons) and current.note == note):
                unchanged += 1
                continue
            try:
                record_decision(session, reviewer=reviewer.name, record_id=record_id, decision=decision,
                                stage=stage, reasons=reasons, note=note, allowed_reasons=allowed_reasons)
            except DecisionError as error:
                raise _fail(path, str(error), line, "reason" if "reason" in str(error) else None) from error
            added += 1
    return DecisionImportSummary(rows=len(table), added=added, unchanged=unchanged)
