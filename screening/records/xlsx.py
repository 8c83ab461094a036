"""Excel workbooks (.xlsx): the first worksheet whose header row names a title or abstract column.

A workbook is a ZIP of XML that openpyxl parses lazily, row by row, so a damaged file fails while its
rows are read, not only when it is opened; and it can amplify (a ZIP bomb, or a declared dimension of
16,384 columns that pads every row). So the container is checked before openpyxl sees it, every openpyxl
call is guarded, the declared dimensions are ignored, and the cells read are counted.
"""

from __future__ import annotations

import datetime as dt
import itertools
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from screening.records.errors import ImportFormatError
from screening.records.limits import (
    MAX_SHEET_CELLS,
    MAX_XLSX_RATIO,
    MAX_XLSX_UNPACKED_BYTES,
    XLSX_RATIO_FROM_BYTES,
)
from screening.records.model import RecordIn
from screening.records.tabular import Row, has_required_columns, records_from_rows

if TYPE_CHECKING:
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet as Worksheet

_MB = 1 << 20
# openpyxl warns (with its own file paths) about parts of a workbook it skips; the import's message says
# what matters, and `screening import` must not print library internals.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")


def parse_xlsx(path: Path, file: str) -> list[RecordIn]:
    """Read the first worksheet of ``path`` whose first non-empty row has recognisable column names."""
    _check_container(path, file)
    import openpyxl  # imported here: only spreadsheets need it, and it is slow to import

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl parses untrusted XML: any error means the workbook is damaged
        raise _unreadable(file, exc) from exc
    try:
        checked: list[str] = []
        for sheet in workbook.worksheets:
            rows = _sheet_rows(sheet, file)
            header = next(rows, None)
            if header is not None and has_required_columns(header[1]):
                return records_from_rows(file, itertools.chain([header], rows), what="row")
            checked.append(sheet.title)
        raise ImportFormatError(
            file, f"no worksheet has a header row with a title or abstract column (checked sheets: "
                  f"{', '.join(repr(name) for name in checked)}); the first row of the sheet must hold "
                  f"column names such as 'Title' and 'Abstract'")
    finally:
        workbook.close()


def _check_container(path: Path, file: str) -> None:
    """Refuse a ZIP that is not one, or whose members unpack to more than any real export (a ZIP bomb).

    The sizes are those the ZIP's headers declare; Python's zipfile never inflates a member past its
    declared size (it fails the CRC check instead), so they bound what openpyxl can be made to read.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception as exc:  # zipfile parses untrusted headers (BadZipFile, EOFError, ValueError, ...)
        raise _unreadable(file, exc) from exc
    packed = max(path.stat().st_size, 1)
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ImportFormatError(file, f"unpacks to {unpacked / _MB:,.0f} MB of XML; workbooks over "
                                      f"{MAX_XLSX_UNPACKED_BYTES // _MB} MB unpacked are not read (save the "
                                      "sheet as CSV, or split it)")
    if unpacked > XLSX_RATIO_FROM_BYTES and unpacked > MAX_XLSX_RATIO * packed:
        raise ImportFormatError(file, f"unpacks to {unpacked / _MB:,.0f} MB from {packed / _MB:,.1f} MB, more "
                                      f"than {MAX_XLSX_RATIO} times its size as no real workbook does "
                                      "(a ZIP bomb?)")


def _sheet_rows(sheet: Worksheet, file: str) -> Iterator[Row]:
    """Yield non-empty rows with their spreadsheet row numbers, cells as text; damage names the row."""
    sheet.reset_dimensions()  # the declared size may claim 16,384 columns; read the cells that are there
    rows = sheet.iter_rows(values_only=True)
    number = cells = 0
    while True:
        try:
            values = next(rows, None)
        except Exception as exc:  # openpyxl parses the sheet's XML while rows are read
            raise ImportFormatError(file, f"worksheet {sheet.title!r} is damaged after row {number} "
                                          f"({_reason(exc)})", line=number + 1) from exc
        if values is None:
            return
        number += 1
        cells += max(len(values), 1)
        if cells > MAX_SHEET_CELLS:
            raise ImportFormatError(file, f"worksheet {sheet.title!r} has more than {MAX_SHEET_CELLS:,} cells "
                                          "(rows x columns, empty ones included); save it as CSV",
                                    line=number)
        row = [_cell_text(value) for value in values]
        while row and row[-1] is None:
            row.pop()
        if row:
            yield number, row


def _cell_text(value: object) -> str | None:
    """Excel stores years and ids as numbers (2016.0) and dates as datetimes; read them as text."""
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _unreadable(file: str, exc: BaseException) -> ImportFormatError:
    return ImportFormatError(file, f"is not a readable .xlsx workbook ({_reason(exc)})")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."
