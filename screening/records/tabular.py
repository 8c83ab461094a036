"""Spreadsheet exports (CSV, tab-delimited; XLSX through `xlsx.py`) from Scopus, Web of Science, Covidence,
ASReview, OpenAlex and PubMed: one header row, one record per row, columns matched through `columns.py`."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from screening.records.columns import REQUIRED_ANY, match_columns
from screening.records.errors import ImportFormatError
from screening.records.fields import (
    Where,
    clean_text,
    parse_label,
    parse_pmid,
    parse_year,
    split_authors,
    split_keywords,
)
from screening.records.limits import MAX_TEXT_CHARS
from screening.records.model import RecordIn

T = TypeVar("T")
Row = tuple[int, list[str | None]]  # (line or spreadsheet row number, cells)


def parse_delimited(text: str, file: str, delimiter: str | None = None) -> list[RecordIn]:
    """Read CSV/TSV text; ``delimiter`` None means guess it from the header line (',' ';' or tab)."""
    first_line = text.split("\n", 1)[0]
    delimiter = delimiter or _guess_delimiter(first_line)
    try:
        return records_from_rows(file, _delimited_rows(text, file, delimiter, quoted=True), what="line")
    except ImportFormatError as quoted_error:
        if delimiter != "\t":
            raise
        # Web of Science writes tab-delimited files without quoting, so a title that starts with '"'
        # derails a quote-aware reader; read such files literally before giving up.
        try:
            return records_from_rows(file, _delimited_rows(text, file, delimiter, quoted=False), what="line")
        except ImportFormatError:
            raise quoted_error from None


def records_from_rows(file: str, rows: Iterable[Row], what: str) -> list[RecordIn]:
    """Turn (number, cells) rows, header first, into records; ``what`` says 'line' or 'row' in errors."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        raise ImportFormatError(file, "the file is empty")
    header_line, header = first
    names = [clean_text(cell) or "" for cell in header]
    columns = match_columns(names)
    if not any(field in columns for field in REQUIRED_ANY):
        shown = ", ".join(repr(name) for name in names if name) or "(none)"
        raise ImportFormatError(
            file, f"no title or abstract column in the header {what} (found {shown}; expected column names "
                  "such as 'Title' or 'Abstract')", line=header_line)
    records: list[RecordIn] = []
    for number, cells in rows:
        if all(clean_text(cell) is None for cell in cells):
            continue
        _check_width(file, number, what, cells, len(names))
        position = len(records) + 1
        where = Where(file, line=number, record=position)
        records.append(_record(file, position, where, {field: (names[i], _cell(cells, i))
                                                       for field, i in columns.items()}))
    return records


def _record(file: str, position: int, where: Where, values: dict[str, tuple[str, str | None]]) -> RecordIn:
    def text(field: str) -> str | None:
        return clean_text(values[field][1]) if field in values else None

    def parsed(field: str, parse: Callable[[object, Where, str], T]) -> T | None:
        return parse(values[field][1], where, values[field][0]) if field in values else None

    pmid = parsed("pmid", parse_pmid)
    return RecordIn(
        source_file=file,
        source_position=position,
        source_line=where.line,
        title=text("title"),
        abstract=text("abstract"),
        authors=split_authors(text("authors")),
        year=parsed("year", parse_year),
        journal=text("journal"),
        doi=text("doi"),
        pmid=pmid,
        keywords=split_keywords(text("keywords")),
        source_id=text("source_id") or pmid,
        label_included=parsed("label_included", parse_label),
    )


def _delimited_rows(text: str, file: str, delimiter: str, quoted: bool) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True,
                        quoting=csv.QUOTE_MINIMAL if quoted else csv.QUOTE_NONE)
    start = 1
    try:
        for cells in reader:
            yield start, list(cells)
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise ImportFormatError(file, f"has a field longer than {MAX_TEXT_CHARS:,} characters, the most one "
                                          "field may hold (or a quote that is never closed)", line=start) from exc
        raise ImportFormatError(file, f"is not valid delimited text ({exc})", line=start) from exc


def _check_width(file: str, number: int, what: str, cells: list[str | None], width: int) -> None:
    """A row with a different field count means a broken quote or delimiter: its values would shift."""
    extra = cells[width:]
    if len(cells) < width and what == "row":
        return  # spreadsheets simply omit trailing empty cells
    if len(cells) < width or any(clean_text(cell) for cell in extra):
        raise ImportFormatError(
            file, f"{what} has {len(cells)} fields but the header has {width} "
                  "(an unquoted delimiter or a broken quote?)", line=number)


def _cell(cells: list[str | None], index: int) -> str | None:
    return cells[index] if index < len(cells) else None


def has_required_columns(header: list[str | None]) -> bool:
    """Whether a header row names a title or an abstract column (else it is not a list of references)."""
    columns = match_columns([clean_text(cell) or "" for cell in header])
    return any(field in columns for field in REQUIRED_ANY)


def _guess_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in ("\t", ";", ",")}
    return max(counts, key=lambda d: (counts[d], d == ","))
