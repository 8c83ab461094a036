"""Value rules shared by all importers: author lists, years, labels, PMIDs and text decoding."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from screening.records.encoding import decode_text
from screening.records.errors import ImportFormatError
from screening.records.fields import Where, parse_label, parse_pmid, parse_year, split_authors, split_keywords
from screening.records.read import read_records

HERE = Where("export.csv", line=7, record=6)


@pytest.mark.parametrize(("value", "authors"), [
    ("Ramsaran AI, Sanders HR, Stanton ME.", ["Ramsaran AI", "Sanders HR", "Stanton ME"]),  # PubMed
    ("Ramsaran A.I., Sanders H.R.", ["Ramsaran A.I.", "Sanders H.R."]),  # older Scopus
    ("Ramsaran, A. I.; Sanders, H. R.", ["Ramsaran, A. I.", "Sanders, H. R."]),  # Covidence
    ("Adam I. Ramsaran|Hollie R. Sanders", ["Adam I. Ramsaran", "Hollie R. Sanders"]),  # OpenAlex
    ("Ramsaran, Adam", ["Ramsaran, Adam"]),  # one author, surname first: not split on the comma
    ("de Souza Silva MA", ["de Souza Silva MA"]),
    ("", []),
    (None, []),
])
def test_split_authors(value: str | None, authors: list[str]) -> None:
    assert split_authors(value) == authors


def test_split_keywords() -> None:
    assert split_keywords("a; b ;; c") == ["a", "b", "c"]
    assert split_keywords("x|y") == ["x", "y"]


@pytest.mark.parametrize(("value", "year"), [
    ("2016", 2016), ("2016///", 2016), ("2016 May 12", 2016), ("2016.0", 2016), ("2016-05-01", 2016),
    ("", None), (None, None),
])
def test_parse_year(value: str | None, year: int | None) -> None:
    assert parse_year(value, HERE) == year


@pytest.mark.parametrize("value", ["in press", "16", "20160", "n.d."])
def test_parse_year_refuses_non_years(value: str) -> None:
    with pytest.raises(ImportFormatError) as caught:
        parse_year(value, HERE, "Publication Year")
    assert (caught.value.line, caught.value.record, caught.value.field) == (7, 6, "Publication Year")


@pytest.mark.parametrize(("value", "label"), [("1", 1), ("0", 0), ("1.0", 1), ("TRUE", 1), ("no", 0), ("", None)])
def test_parse_label(value: str, label: int | None) -> None:
    assert parse_label(value, HERE, "included") == label


@pytest.mark.parametrize("value", ["2", "-1", "maybe"])
def test_parse_label_refuses_other_values(value: str) -> None:
    with pytest.raises(ImportFormatError, match=r"line 7, record 6, field 'included': label"):
        parse_label(value, HERE, "included")


def test_parse_pmid_accepts_urls_and_prefixes() -> None:
    assert parse_pmid("https://pubmed.ncbi.nlm.nih.gov/26234567", HERE) == "26234567"
    assert parse_pmid("PMID: 26234567", HERE) == "26234567"
    assert parse_pmid(" ", HERE) is None


def test_decode_bom_crlf_and_cp1252() -> None:
    assert decode_text(codecs.BOM_UTF8 + "Titel\r\nMüller\r\n".encode(), "f.csv") == "Titel\nMüller\n"
    assert decode_text("Müller \u2013 Ríos\r".encode("cp1252"), "f.csv") == "Müller \u2013 Ríos\n"


def test_decode_utf16_web_of_science_export(tmp_path: Path) -> None:
    path = tmp_path / "savedrecs.txt"
    path.write_bytes("PT\tAU\tTI\tPY\tUT\r\nJ\tMéndez, M\tA title\t2015\tWOS:1\r\n".encode("utf-16"))
    result = read_records(path)
    assert result.format == "tsv"
    assert result.records[0].authors == ["Méndez, M"]


def test_decode_refuses_bytes_undefined_in_cp1252() -> None:
    with pytest.raises(ImportFormatError, match=r"f.csv, line 2: is neither UTF-8 nor Windows-1252"):
        decode_text(b"Title\n\x81\x8d\x90\n", "f.csv")
