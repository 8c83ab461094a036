"""Crafted hostile files: small inputs that amplify (string expansion, zip bombs, sheet dimensions), deep
nesting, huge fields and entries, NUL bytes past the first 8 KiB, and values longer than their columns.

Each bomb is a function returning (file name, bytes); sizes are chosen so that a guard that is missing shows
as a hang, a memory blow-up or a traceback, while the whole set still builds in a few seconds.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from xml.sax.saxutils import escape

Bomb = Callable[[], tuple[str, bytes]]

_MB = 1 << 20
_ENTRY = "@article{{k{i},\n  title = {{Title {i}}},\n  author = {{Smith, Ann and Jones, Bob}},\n  year = {{2020}}\n}}\n"
_RIS = "TY  - JOUR\nTI  - Title {i}\nAU  - Smith, Ann\nPY  - 2020\nER  - \n\n"
_MEDLINE = "PMID- {i}\nTI  - Title {i}.\nFAU - Smith, Ann\nDP  - 2020\n\n"


def _entries(n: int) -> str:
    return "".join(_ENTRY.format(i=i) for i in range(n))


def _csv_rows(n: int) -> str:
    return "title,abstract,doi\n" + "".join(f"Title {i},Abstract {i},10.1/{i}\n" for i in range(n))


# --- BibTeX -------------------------------------------------------------------------------------------------

def bib_string_chain() -> tuple[str, bytes]:
    """Each @string doubles the last: 1 KB of text that means 2^40 characters."""
    lines = ['@string{s0 = "xxxxxxxxxxxxxxxx"}'] + [f"@string{{s{i} = s{i - 1} # s{i - 1}}}" for i in range(1, 40)]
    return "bib_string_chain.bib", "\n".join([*lines, "@article{a, title = s39, year = 2020}\n"]).encode()


def bib_string_fanout() -> tuple[str, bytes]:
    """One 100 KB @string referenced by 20,000 entries: 2 GB of titles from a 1 MB file."""
    entries = "".join(f"@article{{k{i}, title = big}}\n" for i in range(20_000))
    return "bib_string_fanout.bib", ("@string{big = {" + "a" * 100_000 + "}}\n" + entries).encode()


def bib_deep_braces_100() -> tuple[str, bytes]:
    text = "@article{a, title = " + "{" * 100 + "x" + "}" * 100 + ", year = 2020}\n"
    return "bib_deep_braces_100.bib", text.encode()


def bib_deep_braces_100k() -> tuple[str, bytes]:
    return "bib_deep_braces_100k.bib", ("@article{a, title = " + "{" * 100_000 + "x" + "}" * 100_000 + "}\n").encode()


def bib_huge_field() -> tuple[str, bytes]:
    return "bib_huge_field.bib", (_entries(10) + "@article{big, title = {T}, abstract = {" + "word " * (4 * _MB)
                                  + "}}\n").encode()


def bib_broken_1mb_entry() -> tuple[str, bytes]:
    """A missing comma in a 1 MB entry after 200 good ones (a parser that bisects re-reads it each time)."""
    return "bib_broken_1mb_entry.bib", (_entries(200) + "@article{bad, abstract = {" + "a" * _MB
                                        + "} year = {2020}}\n" + _entries(10)).encode()


def bib_unclosed_1mb_entry() -> tuple[str, bytes]:
    return "bib_unclosed_1mb_entry.bib", (_entries(50) + "@article{open, abstract = {" + "a " * (_MB // 2)).encode()


def bib_one_line_10k_entries() -> tuple[str, bytes]:
    """10,000 entries on one line: a search for the next line-start '@' from every entry is quadratic."""
    return "bib_one_line_10k_entries.bib", _entries(10_000).replace("\n", " ").encode()


def bib_whitespace_authors() -> tuple[str, bytes]:
    return "bib_whitespace_authors.bib", ("@article{a, title = {T}, author = {Ann" + " " * _MB + "Bob}}\n").encode()


def bib_many_fields() -> tuple[str, bytes]:
    fields = "".join(f"  f{i} = {{v}},\n" for i in range(200_000))
    return "bib_many_fields.bib", ("@article{a,\n  title = {T},\n" + fields + "}\n").encode()


# --- RIS, MEDLINE, CSV ----------------------------------------------------------------------------------------

def ris_huge_field() -> tuple[str, bytes]:
    return "ris_huge_field.ris", ("TY  - JOUR\nTI  - T\nAB  - " + "word " * (4 * _MB) + "\nER  - \n").encode()


def ris_many_continuations() -> tuple[str, bytes]:
    """An abstract wrapped over 300,000 lines (joining each line onto the value so far is quadratic)."""
    return "ris_many_continuations.ris", ("TY  - JOUR\nTI  - T\nAB  - start\n" + "more text\n" * 300_000
                                          + "ER  - \n").encode()


def ris_many_keywords() -> tuple[str, bytes]:
    return "ris_many_keywords.ris", ("TY  - JOUR\nTI  - T\n" + "".join(f"KW  - k{i}\n" for i in range(200_000))
                                     + "ER  - \n").encode()


def medline_many_continuations() -> tuple[str, bytes]:
    return "medline_many_continuations.nbib", ("PMID- 1\nTI  - T.\nAB  - start\n" + "      more text\n" * 300_000
                                               ).encode()


def csv_huge_cell() -> tuple[str, bytes]:
    return "csv_huge_cell.csv", ('title,abstract\nT,"' + "word " * (4 * _MB) + '"\n').encode()


def csv_many_columns() -> tuple[str, bytes]:
    header = ",".join(["title", "abstract"] + [f"c{i}" for i in range(200_000)])
    return "csv_many_columns.csv", (header + "\nT,A" + "," * 200_000 + "\n").encode()


def csv_unclosed_quote() -> tuple[str, bytes]:
    return "csv_unclosed_quote.csv", (_csv_rows(10) + '"open,' + "a," * (2 * _MB)).encode()


# --- NUL bytes past the first 8 KiB, values longer than their columns -----------------------------------------

def nul_after_8k_ris() -> tuple[str, bytes]:
    return "nul_after_8k.ris", ("".join(_RIS.format(i=i) for i in range(300)) + _RIS.format(i="n\0ul")).encode()


def nul_after_8k_csv() -> tuple[str, bytes]:
    return "nul_after_8k.csv", (_csv_rows(600) + "Nul\0title,abstract,\n").encode()


def nul_after_8k_bib() -> tuple[str, bytes]:
    return "nul_after_8k.bib", (_entries(200) + "@article{nul, title = {N\0ul}}\n").encode()


def nul_after_8k_medline() -> tuple[str, bytes]:
    return "nul_after_8k.nbib", ("".join(_MEDLINE.format(i=i) for i in range(1, 300))
                                 + "PMID- 999\nTI  - N\0ul.\n").encode()


def nul_after_8k_tsv() -> tuple[str, bytes]:
    return "nul_after_8k.txt", _csv_rows(600).replace(",", "\t").encode() + b"Nul\0\tx\t\n"


def long_doi_csv() -> tuple[str, bytes]:
    return "long_doi.csv", ("title,doi\nT,10.1000/" + "x" * 300 + "\n").encode()


def long_pmid_medline() -> tuple[str, bytes]:
    return "long_pmid.nbib", ("PMID- " + "1" * 40 + "\nTI  - T.\n").encode()


def long_source_id_ris() -> tuple[str, bytes]:
    return "long_source_id.ris", ("TY  - JOUR\nTI  - T\nID  - " + "x" * 300 + "\nER  - \n").encode()


# --- XLSX ---------------------------------------------------------------------------------------------------

_SHEET_HEAD = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}'
               "<sheetData>")
_SHEET_TAIL = "</sheetData></worksheet>"


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def _workbook(replace: dict[str, bytes]) -> bytes:
    """A real one-sheet workbook written by openpyxl, with some members replaced."""
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["Title", "Abstract"])
    workbook.active.append(["A title", "An abstract"])
    saved = io.BytesIO()
    workbook.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(_fixed_time(info.filename), replace.get(info.filename, source.read(info)))
        for name, content in replace.items():
            if name not in source.namelist():
                target.writestr(_fixed_time(name), content)
    return out.getvalue()


def _fixed_time(name: str) -> zipfile.ZipInfo:
    """A member dated 2020-01-01, so a bomb is the same bytes on every run."""
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _sheet(rows: str, dimension: str = "") -> bytes:
    return (_SHEET_HEAD.format(dimension=dimension) + rows + _SHEET_TAIL).encode()


_SHEET = "xl/worksheets/sheet1.xml"


def xlsx_truncated() -> tuple[str, bytes]:
    data = _workbook({_SHEET: _sheet("".join(f'<row r="{r}">{_cell(f"A{r}", f"Title {r}")}</row>'
                                             for r in range(1, 2000)))})
    return "xlsx_truncated.xlsx", data[: len(data) // 2]


def xlsx_broken_sheet_xml() -> tuple[str, bytes]:
    """A valid container whose sheet XML breaks after the header row: the error comes while rows are read."""
    rows = f'<row r="1">{_cell("A1", "Title")}</row><row r="2">{_cell("A2", "T")}</row><row r="3"><c r="A3" t='
    return "xlsx_broken_sheet_xml.xlsx", _workbook({_SHEET: (_SHEET_HEAD.format(dimension="") + rows).encode()})


def xlsx_bad_cell_value() -> tuple[str, bytes]:
    """A numeric cell holding text and a date cell holding nonsense: openpyxl's converters raise on them."""
    rows = (f'<row r="1">{_cell("A1", "Title")}{_cell("B1", "Year")}</row>'
            '<row r="2"><c r="A2" t="n"><v>not a number</v></c><c r="B2" t="d"><v>yesterday</v></c></row>')
    return "xlsx_bad_cell_value.xlsx", _workbook({_SHEET: _sheet(rows)})


def xlsx_zip_bomb() -> tuple[str, bytes]:
    """A sheet that unpacks to 100 MB of rows from 300 KB."""
    row = "".join(f'<row>{_cell("A1", "x")}</row>' for _ in range(1000)).encode()
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = (_SHEET_HEAD.format(dimension="") + f'<row r="1">{_cell("A1", "Title")}</row>').encode()
    tail = _SHEET_TAIL.encode()
    repeats = 100 * _MB // len(row)
    chunks, crc = [compressor.compress(head)], zlib.crc32(head)
    for _ in range(repeats):
        chunks.append(compressor.compress(row))
        crc = zlib.crc32(row, crc)
    chunks.append(compressor.compress(tail) + compressor.flush())
    size = len(head) + repeats * len(row) + len(tail)
    return "xlsx_zip_bomb.xlsx", _with_raw_member(_workbook({}), _SHEET, b"".join(chunks), size,
                                                  crc=zlib.crc32(tail, crc))


def xlsx_understated_size() -> tuple[str, bytes]:
    """A member whose headers claim 1 KB but whose data inflates to 13 MB."""
    rows = "".join(f'<row r="{r}">{_cell(f"A{r}", "x" * 100)}</row>' for r in range(2, 100_000)).encode()
    data = _SHEET_HEAD.format(dimension="").encode() + f'<row r="1">{_cell("A1", "Title")}</row>'.encode() + rows \
        + _SHEET_TAIL.encode()
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = compressor.compress(data) + compressor.flush()
    return "xlsx_understated_size.xlsx", _with_raw_member(_workbook({}), _SHEET, bomb, 1024, crc=zlib.crc32(data))


def xlsx_declared_huge() -> tuple[str, bytes]:
    """Headers that declare a 4 GB sheet (the data is small): sizes are refused before anything is read."""
    data = _sheet(f'<row r="1">{_cell("A1", "Title")}</row>')
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return "xlsx_declared_huge.xlsx", _with_raw_member(_workbook({}), _SHEET, compressor.compress(data)
                                                       + compressor.flush(), 0xFFFF_FFFE, crc=zlib.crc32(data))


def xlsx_dimension_bomb() -> tuple[str, bytes]:
    """A declared dimension of A1:XFD1048576, a cell in column XFD and one in the last row: openpyxl pads
    every row, the million missing ones too, to 16,384 cells (17 billion in all) from a 20 KB file."""
    rows = f'<row r="1">{_cell("A1", "Title")}{_cell("XFD1", "x")}</row>' + "".join(
        f'<row r="{r}">{_cell(f"A{r}", "T")}{_cell(f"XFD{r}", "")}</row>' for r in range(2, 2000))
    rows += f'<row r="1048576">{_cell("A1048576", "last")}</row>'
    return "xlsx_dimension_bomb.xlsx", _workbook({_SHEET: _sheet(rows, '<dimension ref="A1:XFD1048576"/>')})


def xlsx_sparse_rows() -> tuple[str, bytes]:
    rows = f'<row r="1">{_cell("A1", "Title")}</row><row r="1048576">{_cell("A1048576", "last")}</row>'
    return "xlsx_sparse_rows.xlsx", _workbook({_SHEET: _sheet(rows)})


def xlsx_billion_laughs() -> tuple[str, bytes]:
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    sheet = (f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             f'<row r="1">{_cell("A1", "Title")}</row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>&a9;</t></is></c></row></sheetData></worksheet>')
    return "xlsx_billion_laughs.xlsx", _workbook({_SHEET: sheet.encode()})


def xlsx_nul_cell() -> tuple[str, bytes]:
    """Excel escapes control characters as _xHHHH_; openpyxl turns _x0000_ back into a NUL."""
    rows = f'<row r="1">{_cell("A1", "Title")}</row><row r="2">{_cell("A2", "N_x0000_ul")}</row>'
    return "xlsx_nul_cell.xlsx", _workbook({_SHEET: _sheet(rows)})


def xlsx_long_doi() -> tuple[str, bytes]:
    rows = (f'<row r="1">{_cell("A1", "Title")}{_cell("B1", "DOI")}</row>'
            f'<row r="2">{_cell("A2", "T")}{_cell("B2", "10.1/" + "x" * 300)}</row>')
    return "xlsx_long_doi.xlsx", _workbook({_SHEET: _sheet(rows)})


def _with_raw_member(archive: bytes, name: str, deflated: bytes, size: int, crc: int | None = None) -> bytes:
    """Rebuild ``archive`` with member ``name`` holding raw deflate data that headers say inflates to ``size``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != name:
                target.writestr(_fixed_time(info.filename), source.read(info))
    # Append the member by hand: local header, data, then a rebuilt central directory.
    entries = _central_entries(out.getvalue())
    body = out.getvalue()[: _central_offset(out.getvalue())]
    offset = len(body)
    encoded = name.encode()
    crc = 0 if crc is None else crc
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(deflated), size, len(encoded), 0)
    body += local + encoded + deflated
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(deflated), size,
                          len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    directory = b"".join(entries) + central
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries) + 1, len(entries) + 1, len(directory),
                      len(body), 0)
    return body + directory + end


def _central_offset(archive: bytes) -> int:
    end = archive.rindex(struct.pack("<I", 0x06054B50))
    return struct.unpack("<I", archive[end + 16:end + 20])[0]


def _central_entries(archive: bytes) -> list[bytes]:
    start = _central_offset(archive)
    end = archive.rindex(struct.pack("<I", 0x06054B50))
    entries, position = [], start
    while position < end:
        name_length, extra_length, comment_length = struct.unpack("<HHH", archive[position + 28:position + 34])
        length = 46 + name_length + extra_length + comment_length
        entries.append(archive[position:position + length])
        position += length
    return entries


BOMBS: tuple[Bomb, ...] = (
    bib_string_chain, bib_string_fanout, bib_deep_braces_100, bib_deep_braces_100k, bib_huge_field,
    bib_broken_1mb_entry, bib_unclosed_1mb_entry, bib_one_line_10k_entries, bib_whitespace_authors, bib_many_fields,
    ris_huge_field, ris_many_continuations, ris_many_keywords, medline_many_continuations,
    csv_huge_cell, csv_many_columns, csv_unclosed_quote,
    nul_after_8k_ris, nul_after_8k_csv, nul_after_8k_bib, nul_after_8k_medline, nul_after_8k_tsv,
    long_doi_csv, long_pmid_medline, long_source_id_ris,
    xlsx_truncated, xlsx_broken_sheet_xml, xlsx_bad_cell_value, xlsx_zip_bomb, xlsx_declared_huge,
    xlsx_understated_size, xlsx_dimension_bomb, xlsx_sparse_rows, xlsx_billion_laughs, xlsx_nul_cell, xlsx_long_doi,
)
