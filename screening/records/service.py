"""Storing imported records: one transaction per file, so a broken file leaves the project untouched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError

from screening.records.errors import ImportFormatError
from screening.records.limits import check_row, column_limit
from screening.records.model import RecordIn
from screening.records.read import read_records
from screening.sources.batches import record_source
from screening.sources.kinds import SourceTypeError, check_source_type
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.review_schema import ImportSource
from screening.store.schema import ImportBatch, Record
from screening.store.upsert import insert_unless_present

_SOURCE_ID_CHARS = column_limit(Record.__table__, "source_id") or 256


@dataclass(frozen=True)
class ImportSummary:
    file: str
    format: str
    added: int
    already_imported: bool
    missing_title: int
    missing_abstract: int
    labelled: int

    def describe(self) -> str:
        """The one line the CLI and the app both show for an imported file."""
        if self.already_imported:
            return f"{self.file}: already imported, nothing added"
        flags = [f"{self.missing_title} without title"] if self.missing_title else []
        flags += [f"{self.missing_abstract} without abstract"] if self.missing_abstract else []
        extra = f" ({', '.join(flags)})" if flags else ""
        return f"{self.file}: {self.added} records imported as {self.format}{extra}"


@dataclass(frozen=True)
class FileOutcome:
    """One file's result as `screening import` and the app's Project page both report it."""

    ok: bool
    message: str
    summary: ImportSummary | None = None


def _row(record: RecordIn, file_name: str) -> dict:
    return {
        "source_id": record.source_id or _position_id(file_name, record.source_position),
        "source_file": file_name,
        "source_position": record.source_position,
        "title": record.title,
        "abstract": record.abstract,
        "authors": "; ".join(record.authors) or None,
        "year": record.year,
        "journal": record.journal,
        "doi": record.doi,
        "pmid": record.pmid,
        "keywords": "; ".join(record.keywords) or None,
        "label_included": record.label_included,
        "missing_title": record.missing_title,
        "missing_abstract": record.missing_abstract,
    }


def _position_id(file_name: str, position: int) -> str:
    """The id of a record whose file gives none: "file:position", the name shortened to fit the column."""
    suffix = f":{position}"
    return file_name[: _SOURCE_ID_CHARS - len(suffix)] + suffix


def import_file(project: Project, path: str | Path, actor: str = "import", *, source_type: str = "database",
                source: str | None = None) -> ImportSummary:
    """Parse and store one export file; the same file (by content hash) is never imported twice.

    ``source_type`` (database, register, website, organisation, citation) and ``source`` (default: the
    file's name) say how its records were found, for PRISMA's identification boxes. Everything is checked
    before the transaction starts (format, then every value against its column), so a refused file writes
    nothing, with the same message on SQLite and PostgreSQL.
    """
    path = Path(path)
    source_type = check_source_type(source_type)
    result = read_records(path)  # raises ImportFormatError before anything is written
    records = result.records
    batch = {"file_name": path.name, "sha256": result.sha256, "format": result.format, "n_records": len(records)}
    check_row(ImportBatch.__table__, batch, path.name)
    source_name = (source or path.name).strip()
    check_row(ImportSource.__table__, {"source_name": source_name}, path.name)
    rows = [_row(record, path.name) for record in records]
    for record, row in zip(records, rows, strict=True):
        check_row(Record.__table__, row, path.name, line=record.source_line, record=record.source_position)
    summary = ImportSummary(
        file=path.name, format=result.format, added=0, already_imported=False,
        missing_title=sum(r.missing_title for r in records),
        missing_abstract=sum(r.missing_abstract for r in records),
        labelled=sum(r.label_included is not None for r in records),
    )
    with project.session() as session:
        batch_id = insert_unless_present(session, ImportBatch, batch, unique=["sha256"])
        if batch_id is None:
            return ImportSummary(**{**summary.__dict__, "already_imported": True})
        if rows:
            session.execute(insert(Record), [{**row, "import_id": batch_id} for row in rows])
        record_source(session, batch_id, source_type, source_name)
        audit(session, actor, "import", "imports", batch_id, None,
              {"file": path.name, "format": result.format, "records": len(records)})
    return ImportSummary(**{**summary.__dict__, "added": len(records)})


def import_outcome(project: Project, path: str | Path, actor: str = "import", *, source_type: str = "database",
                   source: str | None = None) -> FileOutcome:
    """Import one file and say what happened, never raising: each file of a batch is its own transaction,
    so one bad file neither stops the others nor loses their messages."""
    name = Path(path).name
    try:
        summary = import_file(project, path, actor=actor, source_type=source_type, source=source)
    except ImportFormatError as error:
        return FileOutcome(False, f"error: {error}")
    except SourceTypeError as error:
        return FileOutcome(False, f"error: {name}: {error}")
    except SQLAlchemyError as error:
        return FileOutcome(False, f"error: {name}: could not be stored, nothing of it was written "
                                  f"(database error: {type(error).__name__})")
    except Exception as error:  # noqa: BLE001 - last line of defence: a bug must not end a batch in a traceback
        return FileOutcome(False, f"error: {name}: could not be imported because of an unexpected "
                                  f"{type(error).__name__} ({str(error)[:200]}); nothing of it was written")
    return FileOutcome(True, summary.describe(), summary)
