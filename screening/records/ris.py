"""RIS exports (EndNote, Zotero, Scopus, Ovid, EBSCO, Web of Science "RIS" option).

rispy does the tag mapping, but it silently drops a record that lacks its ``ER`` line and any text
outside records; a reviewer would lose references without noticing. So the file is first split into
records here, with line numbers, and every structural problem is reported; rispy then reads each record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import rispy
from rispy.config import LIST_TYPE_TAGS

from screening.records.errors import ImportFormatError
from screening.records.fields import Where, clean_text, excerpt, parse_pmid, parse_year, unique_in_order
from screening.records.model import RecordIn

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: |$)")
_ALMOST_TAG_LINE = re.compile(r"^[A-Z][A-Z0-9] ?-+(?: |$)|^[A-Z][A-Z0-9] {3,}-(?: |$)")
_DOI_URL = re.compile(r"doi\.org/(10\.\S+)", re.IGNORECASE)
_PMID_DATABASES = ("medline", "pubmed")

# rispy key -> the RIS tag it came from (to name the field in errors), in order of preference.
_YEAR_KEYS = (("year", "PY"), ("publication_year", "Y1"), ("date", "DA"))
_TITLE_KEYS = ("title", "primary_title")
_ABSTRACT_KEYS = ("abstract", "notes_abstract")  # Ovid and EndNote write the abstract as N2
_JOURNAL_KEYS = ("secondary_title", "alternate_title3", "journal_name", "alternate_title2")


@dataclass
class _RawRecord:
    """One record's tag lines, each with its continuation lines, joined once when the record is read.

    rispy would join a wrapped value onto the text so far for every continuation line, which is quadratic
    in the number of lines, and fails with a TypeError when the tag was repeated; so continuations are
    gathered here: joined for single-value tags, one value each for list tags (AU, KW), as rispy does.
    """

    start_line: int
    values: list[list[str]] = field(default_factory=list)
    last_tag: str = "TY"

    def add(self, tag: str, line: str) -> None:
        self.values.append([line])
        self.last_tag = tag

    def add_continuation(self, line: str) -> None:
        if self.last_tag in LIST_TYPE_TAGS:
            self.values.append([f"{self.last_tag}  - {line.strip()}"])
        else:
            self.values[-1].append(line.strip())

    def text(self) -> str:
        return "\n".join([*(" ".join(parts) for parts in self.values), "ER  - "])


def parse_ris(text: str, file: str) -> list[RecordIn]:
    """Read every record of RIS ``text``; errors name ``file`` and the line."""
    records = []
    for position, raw in enumerate(_split_records(text, file), start=1):
        entry = rispy.loads(raw.text())[0]
        records.append(_record(entry, file, position, Where(file, line=raw.start_line, record=position)))
    return records


def _split_records(text: str, file: str) -> list[_RawRecord]:
    records: list[_RawRecord] = []
    current: _RawRecord | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        match = _TAG_LINE.match(line)
        tag = match.group(1) if match else None
        if current is None:
            if tag == "TY":
                current = _RawRecord(number, [[line]])
            elif tag is not None:
                raise ImportFormatError(file, f"tag '{tag}' appears before the record's 'TY  - ' line "
                                              "(every RIS record starts with TY and ends with ER)",
                                        line=number, record=len(records) + 1, field=tag)
            else:
                raise ImportFormatError(file, f"unexpected text outside a RIS record: {excerpt(line)}",
                                        line=number)
        elif tag == "TY":
            raise ImportFormatError(file, f"record starting at line {current.start_line} has no 'ER  - ' "
                                          "end line before the next 'TY  - '",
                                    line=number, record=len(records) + 1)
        elif tag == "ER":
            records.append(current)
            current = None
        elif tag is None and _ALMOST_TAG_LINE.match(line):
            raise ImportFormatError(file, f"malformed tag line {excerpt(line)}: RIS tags are written "
                                          "'XX  - value' (two spaces, hyphen, space)",
                                    line=number, record=len(records) + 1)
        elif tag is None:
            current.add_continuation(line)
        else:
            current.add(tag, line)
    if current is not None:
        raise ImportFormatError(file, f"record starting at line {current.start_line} is not closed by an "
                                      "'ER  - ' line", line=current.start_line, record=len(records) + 1)
    if not records:
        raise ImportFormatError(file, "contains no RIS records")
    return records


def _record(entry: dict, file: str, position: int, where: Where) -> RecordIn:
    pmid = _pmid(entry, where)
    return RecordIn(
        source_file=file,
        source_position=position,
        source_line=where.line,
        title=_first(entry, _TITLE_KEYS),
        abstract=_first(entry, _ABSTRACT_KEYS),
        authors=_authors(entry),
        year=_year(entry, where),
        journal=_first(entry, _JOURNAL_KEYS),
        doi=_doi(entry),
        pmid=pmid,
        keywords=unique_in_order(entry.get("keywords", [])),
        source_id=_single(entry.get("id")) or _single(entry.get("accession_number")),
    )


def _first(entry: dict, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if (value := _single(entry.get(key))) is not None:
            return value
    return None


def _single(value: object) -> str | None:
    """rispy gives a repeated single-value tag (two TI lines) as a list: the first non-empty value counts."""
    if isinstance(value, list):
        return next((text for item in value if (text := clean_text(item)) is not None), None)
    return clean_text(value)


def _authors(entry: dict) -> list[str]:
    """AU, or A1 (Ovid, older EndNote) when there is no AU; some exports repeat the names under both."""
    names = [name for value in entry.get("authors", []) if (name := clean_text(value)) is not None]
    return names or [name for value in entry.get("first_authors", []) if (name := clean_text(value)) is not None]


def _year(entry: dict, where: Where) -> int | None:
    for key, tag in _YEAR_KEYS:
        if (value := _single(entry.get(key))) is not None:
            return parse_year(value, where, tag)
    return None


def _doi(entry: dict) -> str | None:
    if (doi := _single(entry.get("doi"))) is not None:
        return doi
    for url in entry.get("urls", []):
        if match := _DOI_URL.search(url):
            return match.group(1)
    return None


def _pmid(entry: dict, where: Where) -> str | None:
    """AN is the PubMed id only in MEDLINE/PubMed-sourced exports (Ovid Embase uses it for its own id)."""
    accession = _single(entry.get("accession_number"))
    database = " ".join(filter(None, (_single(entry.get("name_of_database")),
                                      _single(entry.get("database_provider")))))
    if accession and any(name in database.lower() for name in _PMID_DATABASES):
        return parse_pmid(accession, where, "AN")
    return None
