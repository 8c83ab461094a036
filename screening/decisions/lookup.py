"""Finding the record a source id (as shown in exports and other tools) refers to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.store.schema import Record


class UnknownRecordError(LookupError):
    """A source id that matches no record, or several unrelated ones."""


def resolve_source_id(session: Session, source_id: str) -> int:
    """The kept record for a source id: duplicates resolve to the record kept for their group."""
    matches = session.execute(
        select(Record.id, Record.duplicate_of, Record.source_file).where(Record.source_id == source_id)
    ).all()
    if not matches:
        raise UnknownRecordError(f"no record with source id '{source_id}'")
    kept = {duplicate_of or record_id for record_id, duplicate_of, _ in matches}
    if len(kept) > 1:
        files = ", ".join(sorted({f for *_, f in matches}))
        raise UnknownRecordError(f"source id '{source_id}' is ambiguous: it names different records in {files}")
    return kept.pop()
