"""Adding one record by hand: a study found in a reference list, on a website or from an organisation.

It becomes an import batch of one record (format 'manual'), so it is deduplicated, screened and counted
like any imported record; its content hash makes a double submission add nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace

from sqlalchemy import func, select

from screening.records.errors import ImportFormatError
from screening.records.limits import check_row
from screening.records.model import RecordIn
from screening.sources.batches import record_source
from screening.sources.kinds import check_source_type
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.schema import ImportBatch, Record, utcnow
from screening.store.upsert import insert_unless_present

MANUAL_FORMAT = "manual"


class ManualRecordError(ValueError):
    """A hand-added record that cannot be stored (no title, bad year, added before, ...)."""


def _check(record: RecordIn, source: str) -> None:
    if record.title is None:
        raise ManualRecordError("field 'title': a hand-added record needs a title")
    if not (source or "").strip():
        raise ManualRecordError("field 'source': say where the record was found (e.g. 'reference list of X')")
    if record.year is not None and not 1800 <= int(record.year) <= 2100:
        raise ManualRecordError(f"field 'year': {record.year} is not a publication year")
    if record.pmid and not record.pmid.strip().isdigit():
        raise ManualRecordError(f"field 'pmid': '{record.pmid}' is not a PubMed id (digits only)")


def add_manual_record(project: Project, record: RecordIn, *, source: str, actor: str, source_type: str = "citation",
                      source_id: str | None = None) -> int:
    """Store the record with its source type; returns its record id. Nothing is written on error."""
    source_type = check_source_type(source_type)
    _check(record, source)
    source = source.strip()
    parsed = replace(record, source_file=f"hand: {source}", source_position=1,
                     authors=[a.strip() for a in record.authors if a.strip()], pmid=(record.pmid or "").strip() or None)
    fingerprint = hashlib.sha256(json.dumps(
        {**asdict(parsed), "source_type": source_type}, sort_keys=True, default=str).encode()).hexdigest()
    with project.session() as session:
        batch_id = insert_unless_present(session, ImportBatch, {
            "file_name": parsed.source_file, "sha256": fingerprint, "format": MANUAL_FORMAT, "n_records": 1,
            "imported_at": utcnow()}, unique=["sha256"])  # race-free: two submissions, one record
        if batch_id is None:
            raise ManualRecordError(f"'{parsed.title}' was already added by hand from '{source}'")
        n_manual = session.scalar(select(func.count(ImportBatch.id)).where(ImportBatch.format == MANUAL_FORMAT))
        source_id = (source_id or "").strip() or f"hand-{n_manual}"
        if session.scalar(select(Record.id).where(Record.source_id == source_id)) is not None:
            raise ManualRecordError(f"field 'source_id': '{source_id}' already names a record of this project")
        values = {"import_id": batch_id, "source_id": source_id, "source_file": parsed.source_file,
                  "source_position": 1, "title": parsed.title, "abstract": parsed.abstract,
                  "authors": "; ".join(parsed.authors) or None, "year": parsed.year, "journal": parsed.journal,
                  "doi": parsed.doi, "pmid": parsed.pmid, "missing_title": parsed.missing_title,
                  "missing_abstract": parsed.missing_abstract}
        try:  # the same length and NUL limits as imported files, on SQLite and PostgreSQL alike
            check_row(Record.__table__, values, "hand-added record")
        except ImportFormatError as error:
            raise ManualRecordError(str(error)) from error
        row = Record(**values)
        session.add(row)
        session.flush()
        record_source(session, batch_id, source_type, source)
        audit(session, actor, "add_record", "records", row.id, None,
              {"source_id": source_id, "title": parsed.title, "source_type": source_type, "source": source})
        return row.id
