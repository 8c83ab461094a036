"""PubMed MEDLINE / .nbib exports ("PMID- 123", four-character tags, 6-space continuation lines).

A small parser of our own rather than Biopython: Bio.Medline pulls in all of Biopython for forty lines
of work and does not say on which line a file is broken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from screening.records.errors import ImportFormatError
from screening.records.fields import Where, clean_text, excerpt, parse_pmid, parse_year, unique_in_order
from screening.records.model import RecordIn

# Tag left-aligned in 4 columns, then "- ": "PMID- ", "TI  - ", "FAU - ".
_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]{0,3}) *- ?(.*)$")
_DOI = re.compile(r"^(\S+)\s+\[doi\]$", re.IGNORECASE)


@dataclass
class _Tagged:
    """One record: tag -> values, each value with its continuation lines joined (once, by `finish`).

    Continuation parts are collected in a list: joining each onto the value so far would be quadratic in
    the number of lines of a wrapped field.
    """

    start_line: int
    values: dict[str, list[str]] = field(default_factory=dict)
    last_tag: str | None = None
    _parts: list[str] = field(default_factory=list)

    def add(self, tag: str, value: str) -> None:
        self._join_parts()
        self.values.setdefault(tag, []).append(value.strip())
        self.last_tag = tag

    def extend(self, value: str) -> None:
        self._parts.append(value.strip())

    def finish(self) -> _Tagged:
        self._join_parts()
        return self

    def _join_parts(self) -> None:
        if self._parts and self.last_tag is not None:
            values = self.values[self.last_tag]
            values[-1] = " ".join([values[-1], *self._parts]).strip()
        self._parts.clear()

    def first(self, *tags: str) -> str | None:
        for tag in tags:
            for value in self.values.get(tag, []):
                if (text := clean_text(value)) is not None:
                    return text
        return None


def parse_medline(text: str, file: str) -> list[RecordIn]:
    """Read every record of MEDLINE-format ``text``; errors name ``file`` and the line."""
    records = []
    for position, tagged in enumerate(_split_records(text, file), start=1):
        records.append(_record(tagged, file, position, Where(file, line=tagged.start_line, record=position)))
    return records


def _split_records(text: str, file: str) -> list[_Tagged]:
    records: list[_Tagged] = []
    current: _Tagged | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            if current is not None:
                records.append(current.finish())
                current = None
            continue
        if line[0].isspace():
            if current is None or current.last_tag is None:
                raise ImportFormatError(file, f"continuation line before any tag: {excerpt(line)}",
                                        line=number, record=len(records) + 1)
            current.extend(line)
            continue
        match = _TAG_LINE.match(line)
        if match is None or len(line) < 5 or line[4] != "-":
            raise ImportFormatError(file, f"not a MEDLINE tag line: {excerpt(line)} (expected e.g. "
                                          "'PMID- 12345678' or 'TI  - Title')",
                                    line=number, record=len(records) + 1)
        if current is None:
            current = _Tagged(number)
        current.add(match.group(1), match.group(2))
    if current is not None:
        records.append(current.finish())
    if not records:
        raise ImportFormatError(file, "contains no MEDLINE records")
    return records


def _record(tagged: _Tagged, file: str, position: int, where: Where) -> RecordIn:
    pmid = parse_pmid(tagged.first("PMID"), where, "PMID")
    return RecordIn(
        source_file=file,
        source_position=position,
        source_line=where.line,
        title=tagged.first("TI", "BTI"),
        abstract=tagged.first("AB"),
        authors=[name for name in map(clean_text, tagged.values.get("FAU") or tagged.values.get("AU", []))
                 if name is not None],
        year=parse_year(tagged.first("DP"), where, "DP"),
        journal=tagged.first("JT", "TA"),
        doi=_doi(tagged),
        pmid=pmid,
        keywords=unique_in_order([*tagged.values.get("OT", []),
                                  *(_heading(value) for value in tagged.values.get("MH", []))]),
        source_id=pmid,
    )


def _doi(tagged: _Tagged) -> str | None:
    """The DOI is the AID (or LID) value marked "[doi]"; the others are publisher ids ("[pii]")."""
    for tag in ("AID", "LID"):
        for value in tagged.values.get(tag, []):
            if match := _DOI.match(value.strip()):
                return match.group(1)
    return None


def _heading(mesh: str) -> str:
    """"Recognition, Psychology/*physiology" -> "Recognition, Psychology" (qualifiers and stars dropped)."""
    return mesh.split("/", 1)[0].replace("*", "").strip()
