"""Every export fixture reads to the records it was rendered from (8 CC0 Sep_2021 records)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from screening.records.read import read_records

FIXTURES = Path(__file__).parent / "fixtures" / "imports"

# The source records, in fixture order: (doi, year, title, number of authors, included label).
SOURCE = [
    ("10.1002/dev.21432", 2016,
     "Determinants of object-in-context and object-place-context recognition in the developing rat", 3, 1),
    ("10.1016/j.bbr.2014.12.024", 2015, "Relative recency influences object-in-context memory", 3, 1),
    ("10.1002/hipo.22328", 2014, "Retroactive interference of object-in-context long-term memory: Role of "
     "dorsal hippocampus and medial prefrontal cortex", 4, 1),
    ("10.1002/hipo.22430", 2015, "The importance of the context in the hippocampus and brain related areas "
     "throughout the performance of a fear conditioning task", 3, 0),
    ("10.1142/s021963521250001x", 2012, "Episodic-like memory: New perspectives from a behavioral test in rats",
     3, 0),
    ("10.1073/pnas.0911331106", 2009,
     "Theta\u2013gamma coupling increases during the learning of item\u2013context associations", 5, 0),
    ("10.1007/s00213-007-0816-x", 2007,
     "NMDA receptor modulation by d-cycloserine promotes episodic-like memory in mice", 4, 0),
    ("10.1016/j.pbb.2013.08.008", 2013,
     "The histamine H1 receptor and recollection-based discrimination in a temporal order memory task in the mouse",
     3, 0),
]


@dataclass(frozen=True)
class Case:
    file: str
    format: str
    first: int  # index into SOURCE of the file's first record
    count: int
    first_authors: list[str]
    source_ids: list[str]  # of the first two records
    journal: str | None
    pmid: str | None  # of the first record
    abstracts: int  # records with an abstract
    keywords: list[str]  # of the first record


KW = ["object-in-context", "recognition memory", "ontogeny", "NMDA receptor"]
FULL = ["Ramsaran, Adam I.", "Sanders, Hollie R.", "Stanton, Mark E."]
CASES = [
    Case("endnote_export.ris", "ris", 0, 8, FULL, ["101", "102"], "Developmental Psychobiology", None, 8, KW),
    Case("ovid_medline.ris", "ris", 0, 5, ["Ramsaran, Adam I", "Sanders, Hollie R", "Stanton, Mark E"],
         ["90000001", "90000002"], "Developmental Psychobiology", "90000001", 5, KW),
    Case("scopus_export.csv", "csv", 0, 8, ["Ramsaran A.I.", "Sanders H.R.", "Stanton M.E."],
         ["2-s2.0-99900000001", "2-s2.0-99900000002"], "Developmental Psychobiology", "90000001", 8, KW),
    Case("scopus_export.xlsx", "xlsx", 0, 8, ["Ramsaran A.I.", "Sanders H.R.", "Stanton M.E."],
         ["2-s2.0-99900000001", "2-s2.0-99900000002"], "Developmental Psychobiology", "90000001", 8, KW),
    Case("wos_savedrecs.txt", "tsv", 0, 8, ["Ramsaran, AI", "Sanders, HR", "Stanton, ME"],
         ["WOS:999000000000001", "WOS:999000000000002"], "DEVELOPMENTAL PSYCHOBIOLOGY", "90000001", 8, KW),
    Case("covidence_export.csv", "csv", 0, 8, ["Ramsaran, A. I.", "Sanders, H. R.", "Stanton, M. E."],
         ["#1001", "#1002"], "Developmental Psychobiology", None, 7, []),
    Case("covidence_excel_cp1252.csv", "csv", 0, 8, ["Ramsaran, A. I.", "Sanders, H. R.", "Stanton, M. E."],
         ["#1001", "#1002"], "Developmental Psychobiology", None, 7, []),
    Case("asreview_export.csv", "csv", 0, 8, ["Adam I. Ramsaran", "Hollie R. Sanders", "Mark E. Stanton"],
         ["0", "1"], None, None, 8, KW),
    Case("asreview_two_sheets.xlsx", "xlsx", 0, 8, ["Adam I. Ramsaran", "Hollie R. Sanders", "Mark E. Stanton"],
         ["0", "1"], None, None, 8, KW),
    Case("openalex_works.csv", "csv", 0, 8, ["Adam I. Ramsaran", "Hollie R. Sanders", "Mark E. Stanton"],
         ["https://openalex.org/W2538563026", "https://openalex.org/W2066759207"], "Developmental Psychobiology",
         "90000001", 8, []),
    Case("csv-objectincon-set.csv", "csv", 0, 8, ["Ramsaran AI", "Sanders HR", "Stanton ME"],
         ["90000001", "90000002"], "Dev Psychobiol", "90000001", 0, []),
    Case("zotero_export.bib", "bibtex", 0, 8, FULL, ["ramsaran_determinants_2016", "tam_relative_2015"],
         "Developmental Psychobiology", "90000001", 8, KW),
    Case("pubmed_export.nbib", "medline", 0, 8, ["Ramsaran, Adam I", "Sanders, Hollie R", "Stanton, Mark E"],
         ["90000001", "90000002"], "Developmental Psychobiology", "90000001", 8, KW),
    Case("pubmed-objectinco-set.txt", "medline", 5, 3,
         ["Tort, Adriano B L", "Komorowski, Robert W", "Manns, Joseph R", "Kopell, Nancy", "Eichenbaum, Howard"],
         ["90000006", "90000007"], "Proceedings of the National Academy of Sciences of the United States of America",
         "90000006", 3, ["theta-gamma coupling", "hippocampus", "item-context association"]),
]


@pytest.mark.parametrize("case", CASES, ids=[case.file for case in CASES])
def test_fixture_reads_to_its_source_records(case: Case) -> None:
    result = read_records(FIXTURES / case.file)

    assert result.format == case.format
    assert len(result.records) == case.count
    expected = SOURCE[case.first:case.first + case.count]
    for position, (record, (doi, year, title, n_authors, _)) in enumerate(zip(result.records, expected,
                                                                              strict=True), start=1):
        assert record.source_file == case.file
        assert record.source_position == position
        assert record.doi == doi  # lower case, no https://doi.org/ prefix
        assert record.year == year
        assert record.title is not None and record.title.rstrip(".") == title  # PubMed ends titles with "."
        assert len(record.authors) == n_authors
    first = result.records[0]
    assert first.authors == case.first_authors
    assert [r.source_id for r in result.records[:2]] == case.source_ids
    assert first.journal == case.journal
    assert first.pmid == case.pmid
    assert sum(r.abstract is not None for r in result.records) == case.abstracts
    assert sum(r.missing_abstract for r in result.records) == case.count - case.abstracts
    assert first.keywords == case.keywords


def test_sha256_is_of_the_file_bytes() -> None:
    path = FIXTURES / "endnote_export.ris"
    assert read_records(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", ["asreview_export.csv", "asreview_two_sheets.xlsx"])
def test_asreview_labels_become_label_included(name: str) -> None:
    records = read_records(FIXTURES / name).records
    # the last record was not screened yet: its label cell is empty
    assert [r.label_included for r in records] == [label for *_, label in SOURCE[:7]] + [None]


def test_exports_without_a_label_column_have_no_labels() -> None:
    assert {r.label_included for r in read_records(FIXTURES / "scopus_export.csv").records} == {None}


@pytest.mark.parametrize("name", ["pubmed_export.nbib", "ovid_medline.ris", "zotero_export.bib",
                                  "scopus_export.csv", "wos_savedrecs.txt"])
def test_wrapped_and_escaped_abstracts_are_rebuilt_exactly(name: str) -> None:
    by_format = read_records(FIXTURES / name).records
    reference = read_records(FIXTURES / "asreview_export.csv").records
    for record, original in zip(by_format, reference, strict=False):
        assert record.abstract == " ".join(original.abstract.split())


def test_cp1252_and_utf8_exports_read_the_same() -> None:
    utf8 = read_records(FIXTURES / "covidence_export.csv").records
    cp1252 = read_records(FIXTURES / "covidence_excel_cp1252.csv").records
    assert [r.authors for r in cp1252] == [r.authors for r in utf8]
    assert [r.abstract for r in cp1252] == [r.abstract for r in utf8]
    assert cp1252[2].authors[0] == "Mart\u00ednez, M. J."


def test_bibtex_latex_accents_and_dashes_become_unicode() -> None:
    records = read_records(FIXTURES / "zotero_export.bib").records
    assert records[2].authors[0] == "Mart\u00ednez, Mar\u00eda Jes\u00fas"
    assert records[6].authors[0] == "Margraf, J\u00fcrgen"
    assert "Ennaceur & Delacour" in records[0].abstract


def test_medline_keywords_come_from_ot_and_mh(tmp_path: Path) -> None:
    path = tmp_path / "pubmed.txt"
    path.write_text("PMID- 90000001\nDP  - 2016 Dec\nTI  - A title.\nMH  - Animals\n"
                    "MH  - Recognition, Psychology/*physiology\nOT  - animals\n"
                    "AID - S0166-4328(15)00245-9 [pii]\nAID - 10.1002/DEV.21432 [doi]\n", encoding="utf-8")
    record = read_records(path).records[0]
    assert record.keywords == ["animals", "Recognition, Psychology"]
    assert record.doi == "10.1002/dev.21432"
    assert record.year == 2016


def test_missing_title_is_allowed_and_flagged(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("Title,Abstract,Year\n,Only an abstract,2020\nOnly a title,,2021\n", encoding="utf-8")
    first, second = read_records(path).records
    assert first.missing_title and not first.missing_abstract
    assert second.missing_abstract and not second.missing_title
    assert first.source_id is None  # no id column: the store falls back to the position


def test_headers_match_case_insensitively_and_semicolon_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "excel_nl.csv"
    path.write_text("TITLE;ABSTRACT;PUBLICATION YEAR;Doi\nA title;An abstract;2019;DOI:10.1/ABC\n",
                    encoding="utf-8")
    record = read_records(path).records[0]
    assert (record.title, record.abstract, record.year, record.doi) == ("A title", "An abstract", 2019, "10.1/abc")


def test_unquoted_wos_tab_file_with_quote_at_field_start(tmp_path: Path) -> None:
    path = tmp_path / "savedrecs.txt"
    path.write_text('PT\tTI\tAB\tPY\tUT\nJ\t"Mind the gap": a title\tSays "hi"\t2019\tWOS:1\n', encoding="utf-8")
    record = read_records(path).records[0]
    assert record.title == '"Mind the gap": a title'
    assert record.source_id == "WOS:1"


def test_format_can_be_forced(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    path.write_bytes((FIXTURES / "endnote_export.ris").read_bytes())
    assert read_records(path, format="ris").format == "ris"
