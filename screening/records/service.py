"""Storing imported records: one transaction per file, so a broken file leaves the project untouched."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select

from screening.records.model import RecordIn
from screening.records.read import read_records
from screening.sources.batches import record_source
from screening.sources.kinds import check_source_type
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.schema import ImportBatch, Record


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


def _row(record: RecordIn, import_id: int, file_name: str) -> dict:
    return {
        "import_id": import_id,
        "source_id": record.source_id or f"{file_name}:{record.source_position}",
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


def import_file(project: Project, path: str | Path, actor: str = "import", *, source_type: str = "database",
                source: str | None = None) -> ImportSummary:
    """Parse and store one export file; the same file (by content hash) is never imported twice.

    ``source_type`` (database, register, website, organisation, citation) and ``source`` (default: the
    file's name) say how its records were found, for PRISMA's identification boxes.
    """
    path = Path(path)
    source_type = check_source_type(source_type)
    result = read_records(path)  # raises ImportFormatError before anything is written
    records = result.records
    summary = ImportSummary(
        file=path.name, format=result.format, added=0, already_imported=False,
        missing_title=sum(r.missing_title for r in records),
        missing_abstract=sum(r.missing_abstract for r in records),
        labelled=sum(r.label_included is not None for r in records),
    )
    with project.session() as session:
        if session.scalars(select(ImportBatch.id).where(ImportBatch.sha256 == result.sha256)).first():
            return ImportSummary(**{**summary.__dict__, "already_imported": True})
        batch = ImportBatch(file_name=path.name, sha256=result.sha256, format=result.format,
                            n_records=len(records))
        session.add(batch)
        session.flush()
        if records:
            session.execute(insert(Record), [_row(r, batch.id, path.name) for r in records])
        record_source(session, batch.id, source_type, source or path.name)
        audit(session, actor, "import", "imports", batch.id, None,
              {"file": path.name, "format": result.format, "records": len(records)})
    return ImportSummary(**{**summary.__dict__, "added": len(records)})
