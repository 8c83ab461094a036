"""Every malformed fixture is refused with an error that names the file, the line/record and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.records.errors import ImportFormatError
from screening.records.read import read_records

MALFORMED = Path(__file__).parent / "fixtures" / "imports" / "malformed"

# file -> (line, record, field, words the message must contain)
CASES: dict[str, tuple[int | None, int | None, str | None, list[str]]] = {
    "ris_missing_er.ris": (18, 1, None, ["record starting at line 1", "no 'ER  - ' end line"]),
    "ris_unclosed_last.ris": (36, 3, None, ["record starting at line 36", "not closed"]),
    "ris_tag_before_ty.ris": (1, 1, "TI", ["tag 'TI'", "before the record's 'TY  - ' line"]),
    "ris_garbage_line.ris": (36, None, None, ["unexpected text outside a RIS record", "<html>"]),
    "ris_malformed_tag.ris": (27, 2, None, ["malformed tag line", "'PY - 2015'"]),
    "csv_no_title_column.csv": (1, None, None, ["no title or abstract column", "'Database'", "'Hits'"]),
    "csv_wrong_field_count.csv": (4, None, None, ["has 20 fields but the header has 9"]),
    "csv_bad_year.csv": (4, 3, "year", ["year 'in press' is not a 4-digit year"]),
    "csv_bad_label.csv": (5, 4, "included", ["label 'maybe' is not 1, 0 or empty"]),
    "csv_duplicate_ids.csv": (None, 4, "source_id", ["duplicate source id '1'", "already used by record 2"]),
    "csv_header_only.csv": (None, None, None, ["contains no records"]),
    "bib_unbalanced_braces.bib": (12, 2, None, ["entry 'tam_relative_2015' has unbalanced braces",
                                                "before the next entry at line 22"]),
    "bib_unparseable_entry.bib": (18, 2, "year", ["entry 'tam_relative_2015' could not be parsed",
                                                  "after the value of field 'year', found 'in press,'"]),
    "medline_continuation_first.nbib": (1, 1, None, ["continuation line before any tag"]),
    "medline_garbage_line.nbib": (36, 1, None, ["not a MEDLINE tag line", "'See also: PubMed Help'"]),
    "empty.ris": (None, None, None, ["the file is empty"]),
    "blank.csv": (None, None, None, ["the file is empty"]),
    "gzipped.ris": (None, None, None, ["looks like a binary file"]),
    "xlsx_no_header.xlsx": (None, None, None, ["no worksheet has a header row", "'Sheet'"]),
    "xlsx_wrong_sheet.xlsx": (None, None, None, ["no worksheet has a header row", "'Search summary'"]),
}


def test_every_malformed_fixture_has_a_case() -> None:
    assert sorted(path.name for path in MALFORMED.iterdir()) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_fixture_is_refused_with_its_location(name: str) -> None:
    line, record, field, words = CASES[name]
    with pytest.raises(ImportFormatError) as caught:
        read_records(MALFORMED / name)
    error = caught.value
    assert error.file == name
    assert (error.line, error.record, error.field) == (line, record, field)
    message = str(error)
    assert message.startswith(name)
    for word in words:
        assert word in message


def test_non_numeric_ris_year_names_the_tag(tmp_path: Path) -> None:
    path = tmp_path / "export.ris"
    path.write_text("TY  - JOUR\nTI  - A\nPY  - n.d.\nER  - \n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"export.ris, line 1, record 1, field 'PY': year 'n.d.'"):
        read_records(path)


def test_non_numeric_medline_pmid_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.nbib"
    path.write_text("PMID- abc\nTI  - A title.\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"record 1, field 'PMID': PubMed id 'abc' is not a number"):
        read_records(path)


def test_xlsx_renamed_to_csv_is_recognised_as_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes((MALFORMED.parent / "scopus_export.xlsx").read_bytes())
    with pytest.raises(ImportFormatError, match="ZIP archive"):
        read_records(path)


def test_text_file_with_xlsx_extension(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text("Title,Abstract\nA,B\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="not a readable .xlsx workbook"):
        read_records(path)


def test_unknown_extension_and_unknown_txt_content(tmp_path: Path) -> None:
    pdf = tmp_path / "paper.pdf"
    pdf.write_text("x", encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"unsupported file extension '.pdf'"):
        read_records(pdf)
    notes = tmp_path / "notes.txt"
    notes.write_text("These are my search notes.\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="cannot tell the format"):
        read_records(notes)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportFormatError, match="nothing.ris: cannot be read"):
        read_records(tmp_path / "nothing.ris")


def test_unknown_forced_format(tmp_path: Path) -> None:
    path = tmp_path / "export.ris"
    path.write_text("TY  - JOUR\nER  - \n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="unknown format 'endnote'"):
        read_records(path, format="endnote")


def test_unterminated_quote_names_the_row_where_it_opened(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text('title,abstract\nA,B\n"Broken,C\nD,E\n', encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"line 3: is not valid delimited text"):
        read_records(path)
