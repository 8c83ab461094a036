"""Attaching a folder (or a batch of uploads) of PDFs: each file matched to a record by its name or DOI.

A file matches a record when its name (without .pdf) is the record's source id, its PubMed id
('12345678', 'PMID12345678') or its DOI with '/' written as any punctuation ('10.1000_xyz123'); failing
that, when the first DOI printed on its first two pages is the record's DOI. Only records that go on to
full text are matched. Each file is attached in its own transaction, so one damaged file stops nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from screening.fulltext.pdf_text import PdfError, read_pdf
from screening.fulltext.reports import ReportError, attach_pdf
from screening.fulltext.storage import StorageError, read_file_no_follow
from screening.store.project import Project
from screening.store.schema import Record

_DOI_IN_TEXT = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)", re.IGNORECASE)
_PMID_NAME = re.compile(r"^(?:pmid[\s_-]*)?(\d{1,9})$", re.IGNORECASE)


@dataclass
class BulkResult:
    attached: list[str] = field(default_factory=list)  # one message per attached file
    unmatched: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        return self.attached + [f"not matched: {m}" for m in self.unmatched] + [f"error: {m}" for m in self.failed]


def _squash(value: str) -> str:
    return re.sub(r"[^a-z0-9]", "", value.lower())


@dataclass(frozen=True)
class _Keys:
    by_source_id: dict[str, int]
    by_pmid: dict[str, int]
    by_doi: dict[str, int]


def _keys(project: Project, record_ids: set[int]) -> _Keys:
    with project.session() as session:
        rows = session.execute(select(Record.id, Record.source_id, Record.pmid, Record.doi)
                               .where(Record.id.in_(record_ids))).all()
    return _Keys(by_source_id={r.source_id.lower(): r.id for r in rows},
                 by_pmid={r.pmid: r.id for r in rows if r.pmid},
                 by_doi={_squash(r.doi): r.id for r in rows if r.doi})


def match_by_name(name: str, keys: _Keys) -> int | None:
    stem = Path(name).stem.strip()
    if stem.lower() in keys.by_source_id:
        return keys.by_source_id[stem.lower()]
    pmid = _PMID_NAME.match(stem)
    if pmid and pmid.group(1) in keys.by_pmid:
        return keys.by_pmid[pmid.group(1)]
    return keys.by_doi.get(_squash(stem))


def doi_in_text(text: str) -> str | None:
    found = _DOI_IN_TEXT.search(text or "")
    return found.group(1).rstrip(".,;)]") if found else None


def attach_matching(project: Project, files: Iterable[tuple[str, bytes]], candidates: set[int],
                    actor: str) -> BulkResult:
    """Match and attach each (file name, bytes) to one of the candidate records."""
    keys = _keys(project, candidates)
    result = BulkResult()
    for name, data in files:
        try:
            record_id = match_by_name(name, keys)
            if record_id is None:
                doi = doi_in_text(read_pdf(data, name).text[:20_000])
                record_id = keys.by_doi.get(_squash(doi)) if doi else None
                if record_id is None:
                    why = f"DOI {doi} printed in it" if doi else "no DOI printed in it"
                    result.unmatched.append(f"{name}: its name names no full-text record, and {why} matches none")
                    continue
            result.attached.append(attach_pdf(project, record_id, data, name, actor).describe(name))
        except (PdfError, ReportError, StorageError) as error:
            result.failed.append(str(error) if name in str(error) else f"{name}: {error}")
    return result


def pdf_files_in(folder: str | Path, skipped: list[str]) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every *.pdf directly in the folder; links and unreadable files go to `skipped`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise StorageError(f"{folder}: not a folder")
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() != ".pdf":
            continue
        if path.is_symlink():
            skipped.append(f"{path.name}: a symbolic link, not followed")
            continue
        try:
            yield path.name, read_file_no_follow(path)
        except (StorageError, PdfError) as error:
            skipped.append(str(error))
