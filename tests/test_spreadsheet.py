"""One neutralisation for every table a spreadsheet may open: cells, header, index, CR and TAB cases."""

from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd
import pytest

from screening.spreadsheet import XLSX_CELL_LIMIT, csv_bytes, neutralise_cell, neutralise_frame, xlsx_bytes
from tests.conftest import REPO


@pytest.mark.parametrize(("value", "safe"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\n=1"), ("＝1+1", "'＝1+1"), ("a\r=1+1", "a\n=1+1"), ("a\r\nb", "a\nb"),
    ("plain", "plain"), ("", ""), ("a=b", "a=b"), (3, 3), (-3.5, -3.5), (None, None),
])
def test_cells(value, safe):
    assert neutralise_cell(value) == safe


def test_header_index_and_text_columns_are_neutralised_numbers_kept():
    frame = pd.DataFrame({"=evil_title_abstract": ["=1", "ok"], "count": [-1, 2]}, index=["@a", "b"])
    safe = neutralise_frame(frame)
    assert list(safe.columns) == ["'=evil_title_abstract", "count"] and list(safe.index) == ["'@a", "b"]
    assert safe["count"].tolist() == [-1, 2] and safe["count"].dtype == frame["count"].dtype
    assert frame.iloc[0, 0] == "=1"  # the caller's frame is not changed


def test_a_bare_cr_stays_inside_its_quoted_cell():
    data = csv_bytes(pd.DataFrame({"note": ["first\r=HYPERLINK(\"x\")", "second"], "n": [1, 2]}))
    assert b"\r" not in data
    assert pd.read_csv(io.BytesIO(data))["n"].tolist() == [1, 2]  # still two rows


def test_xlsx_replaces_characters_xml_cannot_hold_and_marks_cut_text():
    frame = pd.DataFrame({"title": ["bell\x07 and nul\x00", "x" * (XLSX_CELL_LIMIT + 10), "=1+1"]})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame))).active
    values = [row[0].value for row in sheet.iter_rows(min_row=2)]
    assert values[0] == "bell\ufffd and nul\ufffd"
    assert len(values[1]) == XLSX_CELL_LIMIT and values[1].endswith(f"{XLSX_CELL_LIMIT + 10} characters in all; "
                                                                     "the CSV export has the full text]")
    assert values[2] == "'=1+1" and sheet["A4"].data_type == "s"


def test_every_table_writer_goes_through_the_one_neutralisation():
    """New writers of spreadsheets or app tables must use screening.spreadsheet / screening.app.tables."""
    machine_read = {"screening/measures/benchmark.py", "screening/measures/peers.py"}  # numbers and ids for
    # evaluation/results, read back by code (no text from files or people)
    offenders = []
    for path in sorted((REPO / "screening").rglob("*.py")):
        name = path.relative_to(REPO).as_posix()
        text = path.read_text(encoding="utf-8")
        if name not in {"screening/spreadsheet.py", *machine_read} and re.search(r"\.to_(csv|excel)\(", text):
            offenders.append(name)
        if name != "screening/app/tables.py" and re.search(r"st\.(dataframe|table|data_editor)\(", text):
            offenders.append(name)
    assert offenders == []
