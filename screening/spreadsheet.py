"""Tables that a spreadsheet may open (CSV, XLSX, the app's tables): neutralised, then written.

Why one module: every writer of a table goes through ``neutralise_frame``, so no path can forget the
header row, a line break inside a cell or a new writer (OWASP "CSV injection"). A cell that starts with
a character Excel, LibreOffice or Google Sheets read as the start of a formula (= + - @, TAB, CR, and
their full-width forms, which some locales accept) gets a leading apostrophe, so the spreadsheet shows
the text instead of running it. A bare CR inside a cell is written as LF: CSV writers quote a cell with
LF, but not one with only CR, and a spreadsheet would then split the row there and read the rest of the
cell as a new, un-neutralised row.
"""

from __future__ import annotations

import io

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
XLSX_CELL_LIMIT = 32_767  # characters Excel keeps in one cell
_TRUNCATED = " [... truncated: {n} characters in all; the CSV export has the full text]"


def neutralise_cell(value: object) -> object:
    """Text made safe to open in a spreadsheet; anything that is not text is returned as it is."""
    if not isinstance(value, str):
        return value
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + text if value.startswith(FORMULA_STARTS) else text


def _is_text(values: pd.Series | pd.Index) -> bool:
    return pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)


def _map_text_cells(frame: pd.DataFrame, function) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """A copy with ``function`` applied to every cell of the text columns (by position: names may repeat)."""
    mapped = frame.copy()
    for position in range(mapped.shape[1]):
        column = mapped.iloc[:, position]
        if _is_text(column):
            mapped.isetitem(position, column.map(function, na_action="ignore"))
    return mapped


def _neutralise_labels(labels: pd.Index) -> pd.Index:
    if isinstance(labels, pd.MultiIndex):
        return pd.MultiIndex.from_tuples([tuple(neutralise_cell(part) for part in label) for label in labels],
                                         names=labels.names)
    if not _is_text(labels):
        return labels
    return pd.Index([neutralise_cell(label) for label in labels], name=labels.name)


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell, column name and index label neutralised (numbers stay numbers)."""
    safe = _map_text_cells(frame, neutralise_cell)
    safe.columns = _neutralise_labels(safe.columns)
    safe.index = _neutralise_labels(safe.index)
    return safe


def csv_bytes(frame: pd.DataFrame, index: bool = False) -> bytes:
    """The table as UTF-8 CSV, neutralised."""
    return neutralise_frame(frame).to_csv(index=index).encode("utf-8")


def _xlsx_cell(value: object) -> object:
    """Characters XML cannot hold replaced (openpyxl refuses them); text beyond Excel's cell limit cut, marked."""
    if not isinstance(value, str):
        return value
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if len(text) > XLSX_CELL_LIMIT:
        marker = _TRUNCATED.format(n=len(text))
        text = text[: XLSX_CELL_LIMIT - len(marker)] + marker
    return text


def xlsx_bytes(frame: pd.DataFrame, sheet_name: str = "records") -> bytes:
    """The table as an .xlsx workbook (one sheet), neutralised; every text cell is stored as text."""
    safe = _map_text_cells(neutralise_frame(frame), _xlsx_cell)
    safe.columns = [_xlsx_cell(str(c)) for c in safe.columns]
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        safe.to_excel(writer, sheet_name=sheet_name, index=False)
    return buffer.getvalue()
