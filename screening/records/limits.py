"""What an import may hold, in one place: file size, text per field, what a format may amplify to, and the
column lengths of the schema, so every format refuses the same things with the same message.

Column lengths are read from the tables themselves: PostgreSQL enforces them (and refuses NUL characters)
while SQLite stores anything, so checking them here, before writing, gives one error on both backends.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import String, Table, Text

from screening.records.errors import ImportFormatError

# Largest export file read at all (Streamlit's upload limit is 200 MB too); larger exports can be split.
MAX_FILE_BYTES = 200 << 20
# Longest text of one field (title, abstract, author list, ...): 10x the longest real abstracts, and the
# limit Python's csv module applies to a cell.
MAX_TEXT_CHARS = 131_072
# BibTeX @string abbreviations may add at most as many characters as the file holds (or 1 Mi, if more).
MIN_EXPANSION_BUDGET = 1 << 20
# An .xlsx is a ZIP of XML: what its members unpack to, in all and relative to the file's size.
MAX_XLSX_UNPACKED_BYTES = 512 << 20
MAX_XLSX_RATIO = 100  # applies once the members unpack to more than XLSX_RATIO_FROM_BYTES
XLSX_RATIO_FROM_BYTES = 32 << 20
# Cells of one worksheet, empty ones inside rows included (a 50,000-record export with 40 columns has 2 M).
MAX_SHEET_CELLS = 30_000_000

NUL_MESSAGE = "contains a NUL character: the file is damaged or not a text export"


def check_file_size(size: int, file: str) -> None:
    if size > MAX_FILE_BYTES:
        raise ImportFormatError(file, f"is {_mb(size)} MB; files over {_mb(MAX_FILE_BYTES)} MB are not imported "
                                      "(split the export into smaller files)")


def check_row(table: Table, values: dict[str, object], file: str, *, line: int | None = None,
              record: int | None = None) -> None:
    """Refuse a value the column cannot hold: longer than its length, or text with a NUL character."""
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            raise ImportFormatError(file, NUL_MESSAGE, line=line, record=record, field=name)
        limit = column_limit(table, name)
        if limit is not None and len(value) > limit:
            raise ImportFormatError(file, f"has {len(value):,} characters; at most {limit:,} can be stored",
                                    line=line, record=record, field=name)


@cache
def column_limit(table: Table, name: str) -> int | None:
    """A String(n) column holds n characters; free text (Text) holds MAX_TEXT_CHARS."""
    column_type = table.columns[name].type
    if isinstance(column_type, Text):
        return MAX_TEXT_CHARS
    if isinstance(column_type, String):
        return column_type.length
    return None


def _mb(size: int) -> str:
    return f"{size / (1 << 20):,.0f}" if size >= 10 << 20 else f"{size / (1 << 20):,.1f}"
