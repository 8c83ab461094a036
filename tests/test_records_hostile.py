"""Hostile and broken files: each finding of the import probe, refused (or read) the way the fuzz test demands.

Every refusal names the file and, where the format has them, the line or record and the field; nothing of a
refused file is written. The crafted files come from `screening.records.fuzz.bombs`, which the fuzz test
(`test_records_fuzz.py`) also imports under a time and memory limit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from screening.cli import app
from screening.records.errors import ImportFormatError
from screening.records.fuzz import bombs
from screening.records.limits import MAX_FILE_BYTES, check_row
from screening.records.read import read_records
from screening.records.service import import_file, import_outcome
from screening.store.project import Project
from screening.store.schema import ImportBatch, Record
from tests.conftest import FIXTURES

IMPORTS = FIXTURES / "imports"


def _write(folder: Path, bomb) -> Path:  # type: ignore[no-untyped-def]
    name, data = bomb()
    path = folder / name
    path.write_bytes(data)
    return path


def _refusal(path: Path) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        read_records(path)
    assert caught.value.file == path.name and str(caught.value).startswith(path.name)
    return caught.value


def _counts(project: Project) -> tuple[int, int]:
    with project.session() as session:
        return session.scalar(select(func.count(Record.id))), session.scalar(select(func.count(ImportBatch.id)))


# --- XLSX: errors while rows are read, and amplification ------------------------------------------------------

@pytest.mark.parametrize("bomb, words", [
    (bombs.xlsx_broken_sheet_xml, ["is not a readable .xlsx workbook", "unclosed token"]),
    (bombs.xlsx_bad_cell_value, ["worksheet 'Sheet' is damaged after row 1", "could not convert"]),
])
def test_xlsx_damage_found_while_rows_are_read_is_a_refusal(tmp_path, bomb, words):
    error = _refusal(_write(tmp_path, bomb))
    for word in words:
        assert word in str(error)


def test_xlsx_zip_bombs_are_refused_before_openpyxl_reads_them(tmp_path):
    assert "more than 100 times its size" in str(_refusal(_write(tmp_path, bombs.xlsx_zip_bomb)))
    assert "unpacks to 4,096 MB" in str(_refusal(_write(tmp_path, bombs.xlsx_declared_huge)))
    assert "Bad CRC-32" in str(_refusal(_write(tmp_path, bombs.xlsx_understated_size)))
    assert "not a readable .xlsx workbook" in str(_refusal(_write(tmp_path, bombs.xlsx_truncated)))


def test_xlsx_declared_dimension_does_not_pad_every_row(tmp_path):
    error = _refusal(_write(tmp_path, bombs.xlsx_dimension_bomb))
    assert "has more than 30,000,000 cells" in str(error) and error.line is not None
    sparse = read_records(_write(tmp_path, bombs.xlsx_sparse_rows))  # a cell in row 1,048,576 is read
    assert [record.title for record in sparse.records] == ["last"]


# --- BibTeX ---------------------------------------------------------------------------------------------------

def test_bibtex_string_chain_is_refused_where_it_outgrows_the_file(tmp_path):
    error = _refusal(_write(tmp_path, bombs.bib_string_chain))
    assert "string-expansion bomb" in str(error)
    assert (error.line, error.field) == (17, "s16")  # s16 is the first to outgrow 1 Mi characters


def test_bibtex_one_string_used_by_many_entries_is_bounded_too(tmp_path):
    error = _refusal(_write(tmp_path, bombs.bib_string_fanout))
    assert "string-expansion bomb" in str(error) and error.field == "title" and error.record is not None


def test_bibtex_deep_braces_import_without_recursion(tmp_path):
    assert read_records(_write(tmp_path, bombs.bib_deep_braces_100)).records[0].title == "x"
    assert read_records(_write(tmp_path, bombs.bib_deep_braces_100k)).records[0].title == "x"


def test_bibtex_broken_large_entry_is_named_by_line_and_field(tmp_path):
    error = _refusal(_write(tmp_path, bombs.bib_broken_1mb_entry))
    assert (error.line, error.record, error.field) == (1001, 201, "abstract")
    assert "entry 'bad' could not be parsed: expected ',' or '}' after the value of field 'abstract'" in str(error)


def test_bibtex_entries_on_one_line_and_long_whitespace_are_read(tmp_path):
    assert len(read_records(_write(tmp_path, bombs.bib_one_line_10k_entries)).records) == 10_000
    assert read_records(_write(tmp_path, bombs.bib_whitespace_authors)).records[0].authors == ["Ann Bob"]


def _bib(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "refs.bib"
    path.write_text(text, encoding="utf-8")
    return path


def test_bibtex_strings_concatenation_months_and_parentheses(tmp_path):
    records = read_records(_bib(tmp_path, """
% JabRef writes comments like this, @-signs (ann@example.org) and @comment blocks between entries.
@comment{jabref-meta: {nested} braces;}
@String{JBR = "Behavioural Brain Research"}
@preamble{"\\newcommand{\\noop}[1]{}"}
@ARTICLE(paren_2020, Title = {Part one} # " and " # {part two}, Journal = jbr, month = mar, year = 2020,)
@article{no_fields}
@article{quoted, title = "M\\"uller {"quoted"} title", author = {Tam, S. and {Barnes and Noble}}}
""")).records
    assert [r.source_id for r in records] == ["paren_2020", "no_fields", "quoted"]
    assert records[0].title == "Part one and part two" and records[0].journal == "Behavioural Brain Research"
    assert records[0].year == 2020 and records[1].missing_title
    later = read_records(_bib(tmp_path, "@article{a, title = later}\n@string{later = {Defined after use}}"))
    assert later.records[0].title == "Defined after use"  # entries see every @string of the file
    assert records[2].title == 'Müller "quoted" title' and records[2].authors == ["Tam, S.", "Barnes and Noble"]


@pytest.mark.parametrize("text, line, field, words", [
    ("@article{a, title = Memory}", 1, "title", ["'memory' is not defined by any @string"]),
    ("@string{a = b}\n@string{b = {x}}", 1, "a", ["'b' is not defined by any @string before it"]),
    ("@article{a, title = {A},\n title = {B}}", 2, "title", ["field 'title' is given twice"]),
    ("@article{a b, title = {A}}", 1, None, ["expected a ',' after the entry key, found 'b, title"]),
    ("@article{a, title = {A}}}\n@article{b, title = {x}} }", None, None, []),  # text between entries
    ("@article{a,\n title = {A} year = 2020}", 2, "title", ["after the value of field 'title', found 'year"]),
    ('@article{a, title = "A}"}', 1, "title", ["closes more braces than were opened"]),
])
def test_bibtex_syntax_errors_name_line_and_field(tmp_path, text, line, field, words):
    if not words:
        assert [r.title for r in read_records(_bib(tmp_path, text)).records] == ["A", "x"]
        return
    error = _refusal(_bib(tmp_path, text))
    assert (error.line, error.field) == (line, field)
    for word in words:
        assert word in str(error)


# --- RIS and MEDLINE ------------------------------------------------------------------------------------------

def test_ris_repeated_tag_with_continuation_reads_the_first_value(tmp_path):
    path = tmp_path / "export.ris"
    path.write_text("TY  - JOUR\nTI  - First title\nTI  - Second\n  wrapped\nKW  - one\ntwo\nER  - \n",
                    encoding="utf-8")
    record = read_records(path).records[0]  # rispy alone raised TypeError here
    assert record.title == "First title" and record.keywords == ["one", "two"]


def test_wrapped_fields_over_many_lines_are_joined_once(tmp_path):
    for bomb in (bombs.ris_many_continuations, bombs.medline_many_continuations):
        project = Project.init(tmp_path / bomb.__name__)
        with pytest.raises(ImportFormatError, match=r"record 1, field 'abstract': has 3,000,005 characters"):
            import_file(project, _write(tmp_path, bomb))  # 300,000 lines: was quadratic, > 30 s
    path = tmp_path / "short.nbib"
    path.write_text("PMID- 1\nTI  - A title\n      wrapped once\n      and twice.\n", encoding="utf-8")
    assert read_records(path).records[0].title == "A title wrapped once and twice."


# --- NUL bytes, file and field sizes --------------------------------------------------------------------------

@pytest.mark.parametrize("bomb", [bombs.nul_after_8k_ris, bombs.nul_after_8k_csv, bombs.nul_after_8k_bib,
                                  bombs.nul_after_8k_medline, bombs.nul_after_8k_tsv])
def test_nul_after_the_first_8k_is_refused_with_its_line(tmp_path, bomb):
    path = _write(tmp_path, bomb)
    error = _refusal(path)
    assert "contains a NUL character" in str(error)
    assert error.line == path.read_bytes()[: path.read_bytes().index(b"\0")].count(b"\n") + 1


def test_file_over_the_size_limit_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.ris"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no 200 MB written
    assert "files over 200 MB are not imported" in str(_refusal(path))


@pytest.mark.parametrize("bomb, line, field, limit", [
    (bombs.long_doi_csv, 2, "doi", 256), (bombs.long_pmid_medline, 1, "pmid", 32),
    (bombs.long_source_id_ris, 1, "source_id", 256), (bombs.xlsx_long_doi, 2, "doi", 256),
    (bombs.ris_huge_field, 1, "abstract", 131_072), (bombs.bib_huge_field, 51, "abstract", 131_072),
])
def test_values_longer_than_their_column_are_refused_before_writing(tmp_path, bomb, line, field, limit):
    project = Project.init(tmp_path / "p")
    with pytest.raises(ImportFormatError) as caught:
        import_file(project, _write(tmp_path, bomb))
    error = caught.value
    assert (error.line, error.field) == (line, field) and error.record is not None
    assert f"at most {limit:,} can be stored" in str(error)
    assert _counts(project) == (0, 0)


def test_the_stored_value_check_names_record_line_and_field():
    """The last guard before writing, for any format: openpyxl cannot hand over a NUL (XML has none), but a
    NUL or an over-long value must never reach PostgreSQL, whichever importer produced it."""
    with pytest.raises(ImportFormatError, match=r"^f.xlsx, line 3, record 2, field 'journal': contains a NUL"):
        check_row(Record.__table__, {"title": "A", "journal": "J\x00"}, "f.xlsx", line=3, record=2)
    with pytest.raises(ImportFormatError, match=r"field 'source_file': has 513 characters; at most 512"):
        check_row(Record.__table__, {"source_file": "x" * 513}, "f.csv")
    check_row(Record.__table__, {"title": "x" * 131_072, "year": 2020, "doi": "y" * 256}, "f.csv")


def test_position_id_of_a_long_file_name_fits_its_column(tmp_path):
    project = Project.init(tmp_path / "p")
    path = tmp_path / ("n" * 251 + ".csv")  # 255 bytes, the most a Linux file name has
    path.write_text("title\nA\nB\n", encoding="utf-8")
    assert import_file(project, path).added == 2
    with project.session() as session:
        ids = session.scalars(select(Record.source_id).order_by(Record.id)).all()
    assert [len(i) for i in ids] == [256, 256] and ids[1].endswith(":2")


# --- one file per transaction, one message per file ----------------------------------------------------------

def test_cli_imports_the_good_file_after_a_broken_workbook(tmp_path):
    project = Project.init(tmp_path / "p")
    bad = _write(tmp_path, bombs.xlsx_bad_cell_value)
    result = CliRunner().invoke(app, ["import", str(project.path), str(bad), str(IMPORTS / "scopus_export.csv")])
    assert result.exit_code == 2, result.output
    assert "error: xlsx_bad_cell_value.xlsx, line 2: worksheet 'Sheet' is damaged" in result.output
    assert "scopus_export.csv: 8 records imported as csv" in result.output
    assert _counts(project) == (8, 1)


def test_import_outcome_turns_an_unexpected_error_into_a_message(tmp_path, monkeypatch):
    project = Project.init(tmp_path / "p")

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("screening.records.service.read_records", broken)
    outcome = import_outcome(project, IMPORTS / "scopus_export.csv")
    assert not outcome.ok and outcome.message == (
        "error: scopus_export.csv: could not be imported because of an unexpected RuntimeError (a bug); "
        "nothing of it was written")
