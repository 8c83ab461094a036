"""The source type and name of each import batch (batches imported before sources existed are databases)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.sources.kinds import DEFAULT_SOURCE_TYPE, check_source_type
from screening.store.review_schema import ImportSource
from screening.store.schema import ImportBatch


@dataclass(frozen=True)
class BatchSource:
    source_type: str
    source_name: str


def record_source(session: Session, import_id: int, source_type: str, source_name: str) -> None:
    """Store how an import batch was found, inside the caller's (import) transaction."""
    name = (source_name or "").strip()
    if not name:
        raise ValueError("the source name must not be empty")
    session.add(ImportSource(import_id=import_id, source_type=check_source_type(source_type), source_name=name))


def batch_sources(session: Session) -> dict[int, BatchSource]:
    """import id -> source type and name, for every batch of the project."""
    stored = {row.import_id: BatchSource(row.source_type, row.source_name)
              for row in session.scalars(select(ImportSource))}
    return {batch_id: stored.get(batch_id, BatchSource(DEFAULT_SOURCE_TYPE, file_name))
            for batch_id, file_name in session.execute(select(ImportBatch.id, ImportBatch.file_name))}
