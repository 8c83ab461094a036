"""The one shape every importer produces, whatever the export format."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DOI_PREFIX = re.compile(r"^(?:https?://)?(?:dx\.)?(?:doi\.org/)|^doi:\s*", re.IGNORECASE)


def normalise_doi(value: str | None) -> str | None:
    """Lower-case a DOI and strip URL / ``doi:`` prefixes so the same work compares equal."""
    if value is None:
        return None
    doi = _DOI_PREFIX.sub("", value.strip()).strip().lower()
    return doi or None


@dataclass
class RecordIn:
    """One bibliographic record as read from an export file, before it is stored."""

    source_file: str
    source_position: int  # 1-based position of the record within its file
    title: str | None = None
    abstract: str | None = None
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    journal: str | None = None
    doi: str | None = None
    pmid: str | None = None
    keywords: list[str] = field(default_factory=list)
    source_id: str | None = None  # the source's own id (record_id/id column, RIS ID, PMID)
    label_included: int | None = None  # 1 / 0 when the file carries a label column
    source_line: int | None = None  # line (or spreadsheet row) where the record starts, for error messages

    def __post_init__(self) -> None:
        self.doi = normalise_doi(self.doi)
        self.title = (self.title or "").strip() or None
        self.abstract = (self.abstract or "").strip() or None

    @property
    def missing_title(self) -> bool:
        return self.title is None

    @property
    def missing_abstract(self) -> bool:
        return self.abstract is None
