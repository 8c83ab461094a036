"""Attaching full-text PDFs to records, or marking a report 'not retrieved' with its reason.

Each call is one transaction with its audit row. The PDF is checked (and its text extracted) before
anything is written; a failed database write removes the file it had just stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.fulltext.pdf_text import PdfText, read_pdf
from screening.fulltext.storage import read_file_no_follow, read_stored, remove_stored, sha256_of, store_pdf
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.review_schema import FullTextReport
from screening.store.schema import Record

REPORT_COLUMNS = ["record_id", "source_id", "status", "reason", "original_name", "n_pages", "note", "actor",
                  "created_at", "stored_name"]


class ReportError(ValueError):
    """A full-text action that cannot be carried out (unknown or duplicate record, empty reason, ...)."""


@dataclass(frozen=True)
class Attached:
    record_id: int
    source_id: str
    pdf: PdfText
    unchanged: bool  # the same PDF was already the record's full text

    def describe(self, file: str) -> str:
        if self.unchanged:
            return f"{file}: already the full text of {self.source_id}"
        extra = f" ({self.pdf.note})" if self.pdf.note else ""
        return f"{file}: attached to {self.source_id}, {self.pdf.n_pages} pages{extra}"


def _kept_record(session: Session, record_id: int) -> Record:
    record = session.get(Record, record_id)
    if record is None:
        raise ReportError(f"unknown record id {record_id}")
    if record.duplicate_of is not None:
        raise ReportError(f"record '{record.source_id}' is a duplicate: attach the full text to the kept record")
    return record


def _current(session: Session, record_id: int) -> FullTextReport | None:
    return session.scalars(select(FullTextReport).where(FullTextReport.record_id == record_id)
                           .order_by(FullTextReport.id.desc()).limit(1)).one_or_none()


def attach_pdf(project: Project, record_id: int, data: bytes, original_name: str, actor: str) -> Attached:
    """Check the PDF, store it under its hash and make it the record's current full text."""
    name = Path(original_name or "upload.pdf").name
    pdf = read_pdf(data, name)  # PdfError before anything is written
    digest = sha256_of(data)
    with project.session() as session:
        record = _kept_record(session, record_id)
        current = _current(session, record_id)
        if current is not None and current.status == "attached" and current.sha256 == digest:
            return Attached(record_id, record.source_id, pdf, unchanged=True)
    stored, created = store_pdf(project, data)
    try:
        with project.session() as session:
            record = _kept_record(session, record_id)
            row = FullTextReport(record_id=record_id, status="attached", stored_name=stored, original_name=name,
                                 sha256=digest, n_pages=pdf.n_pages, text=pdf.text, note=pdf.note, actor=actor)
            session.add(row)
            session.flush()
            audit(session, actor, "attach_full_text", "full_text_reports", row.id, None,
                  {"record": record.source_id, "file": name, "sha256": digest, "pages": pdf.n_pages})
            source_id = record.source_id
    except Exception:
        if created:
            remove_stored(project, stored)
        raise
    return Attached(record_id, source_id, pdf, unchanged=False)


def attach_pdf_file(project: Project, record_id: int, path: str | Path, actor: str) -> Attached:
    path = Path(path)
    return attach_pdf(project, record_id, read_file_no_follow(path), path.name, actor)


def mark_not_retrieved(project: Project, record_id: int, reason: str, actor: str) -> None:
    """PRISMA's 'reports not retrieved': the record leaves the full-text queue; attaching a PDF undoes it."""
    reason = (reason or "").strip()
    if not reason:
        raise ReportError("say why the report could not be retrieved (e.g. 'no library access, author did "
                          "not reply')")
    with project.session() as session:
        record = _kept_record(session, record_id)
        previous = _current(session, record_id)
        row = FullTextReport(record_id=record_id, status="not_retrieved", reason=reason, actor=actor)
        session.add(row)
        session.flush()
        audit(session, actor, "full_text_not_retrieved", "full_text_reports", row.id,
              None if previous is None else {"status": previous.status},
              {"record": record.source_id, "status": "not_retrieved", "reason": reason})


def current_reports(project: Project) -> pd.DataFrame:
    """The newest report of every record that has one (columns: REPORT_COLUMNS)."""
    newest = select(func.max(FullTextReport.id)).group_by(FullTextReport.record_id)
    query = (select(FullTextReport.record_id, Record.source_id, FullTextReport.status, FullTextReport.reason,
                    FullTextReport.original_name, FullTextReport.n_pages, FullTextReport.note, FullTextReport.actor,
                    FullTextReport.created_at, FullTextReport.stored_name)
             .join(Record, Record.id == FullTextReport.record_id)
             .where(FullTextReport.id.in_(newest)).order_by(FullTextReport.record_id))
    with project.engine.connect() as connection:
        return pd.read_sql(query, connection)


def full_text_of(project: Project, record_id: int) -> tuple[str | None, bytes | None, FullTextReport | None]:
    """(extracted text, PDF bytes, report row) of the record's current attached full text, else Nones."""
    with project.session() as session:
        current = _current(session, record_id)
        if current is not None:
            session.expunge(current)
    if current is None or current.status != "attached" or not current.stored_name:
        return None, None, current
    return current.text, read_stored(project, current.stored_name), current
