"""Field-value parsing shared by every importer (year, label, author and keyword lists).

Each export format spells these values differently ("2016///", "2016 May 12", "2016.0";
"Smith AB, Jones C." vs "Smith, A.; Jones, C." vs "A Smith|C Jones"); keeping the rules here
means a record gets the same value whichever format it arrived in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from screening.records.errors import ImportFormatError
from screening.records.model import RecordIn

_YEAR = re.compile(r"^\s*(\d{4})(?!\d)")
_LABELS = {"1": 1, "1.0": 1, "true": 1, "yes": 1, "0": 0, "0.0": 0, "false": 0, "no": 0}
# "Ramsaran AI" (PubMed) or "Ramsaran A.I." (older Scopus): surname(s) followed by initials.
_SURNAME_INITIALS = re.compile(r"^\S.*\s(?:[A-Z]{1,4}|(?:[A-Z]\.-?){1,4})$")
_WHITESPACE = re.compile(r"\s+")
_PMID = re.compile(r"^(?:pmid:?\s*|https?://(?:www\.)?(?:pubmed\.)?ncbi\.nlm\.nih\.gov/(?:pubmed/)?)?(\d+)/?$",
                   re.IGNORECASE)


@dataclass(frozen=True)
class Where:
    """Where a value came from, so an error can point the user at it."""

    file: str
    line: int | None = None
    record: int | None = None

    def error(self, message: str, field: str | None = None) -> ImportFormatError:
        return ImportFormatError(self.file, message, line=self.line, record=self.record, field=field)


def clean_text(value: object) -> str | None:
    """Collapse runs of whitespace (exports wrap long abstracts); empty -> None."""
    if value is None:
        return None
    text = _WHITESPACE.sub(" ", str(value)).strip()
    return text or None


def excerpt(line: str, width: int = 60) -> str:
    """Quote the start of an offending line for an error message."""
    return repr(line if len(line) <= width else line[: width - 3] + "...")


def parse_year(value: object, where: Where, field: str = "year") -> int | None:
    """Read the 4-digit year at the start of a date ("2016", "2016///", "2016 May", "2016.0")."""
    text = clean_text(value)
    if text is None:
        return None
    match = _YEAR.match(text)
    if match is None:
        raise where.error(f"year {text!r} is not a 4-digit year", field)
    return int(match.group(1))


def parse_label(value: object, where: Where, field: str) -> int | None:
    """Read an inclusion label: 1/0 (also true/false, yes/no); empty means not labelled."""
    text = clean_text(value)
    if text is None:
        return None
    label = _LABELS.get(text.lower())
    if label is None:
        raise where.error(f"label {text!r} is not 1, 0 or empty", field)
    return label


def parse_pmid(value: object, where: Where, field: str = "pmid") -> str | None:
    """Read a PubMed id, also from "PMID: 123" or an OpenAlex "https://pubmed.ncbi.nlm.nih.gov/123"."""
    text = clean_text(value)
    if text is None:
        return None
    match = _PMID.match(text)
    if match is None:
        raise where.error(f"PubMed id {text!r} is not a number", field)
    return match.group(1)


def split_authors(value: str | None) -> list[str]:
    """Split an author list written as one string.

    ';' and '|' are unambiguous separators. A list with only commas is split on them only when every
    piece looks like "Surname Initials" (PubMed "Smith AB, Jones C.", old Scopus "Smith A.B., Jones C."),
    so a single "Smith, Anna" stays one author.
    """
    text = clean_text(value)
    if text is None:
        return []
    for separator in (";", "|"):
        if separator in text:
            return _nonempty(text.split(separator))
    pieces = [piece.strip() for piece in text.split(",")]
    if len(pieces) > 1:
        pieces[-1] = _drop_pubmed_full_stop(pieces[-1])
        if all(_SURNAME_INITIALS.match(piece) for piece in pieces):
            return _nonempty(pieces)
    return [_drop_pubmed_full_stop(text)]


def split_keywords(value: str | None) -> list[str]:
    """Split a keyword cell on ';' (Scopus, WoS, Covidence) or '|' (OpenAlex)."""
    text = clean_text(value)
    if text is None:
        return []
    separator = "|" if "|" in text and ";" not in text else ";"
    return _nonempty(text.split(separator))


def unique_in_order(values: Iterable[str | None]) -> list[str]:
    """Drop empties and repeats (a keyword listed as both OT and MH) while keeping order."""
    kept: list[str] = []
    seen: set[str] = set()
    for value in values:
        text = clean_text(value)
        if text is not None and text.casefold() not in seen:
            seen.add(text.casefold())
            kept.append(text)
    return kept


def check_unique_source_ids(file: str, records: list[RecordIn]) -> None:
    """Refuse a file in which two records claim the same source id: one of them would be lost later."""
    first_seen: dict[str, int] = {}
    for record in records:
        if record.source_id is None:
            continue
        earlier = first_seen.setdefault(record.source_id, record.source_position)
        if earlier != record.source_position:
            raise ImportFormatError(
                file, f"duplicate source id {record.source_id!r} (already used by record {earlier})",
                record=record.source_position, field="source_id")


def _drop_pubmed_full_stop(piece: str) -> str:
    """PubMed ends its author list with a full stop after bare initials: "Stanton ME." -> "Stanton ME"."""
    return piece[:-1] if re.search(r"\s[A-Z]{1,4}\.$", piece) else piece


def _nonempty(pieces: Iterable[str]) -> list[str]:
    return [text for piece in pieces if (text := clean_text(piece)) is not None]
