"""Turn an export file's bytes into text.

Reference managers and databases write UTF-8 (often with a BOM), UTF-16 (older Web of Science
tab-delimited exports) or Windows-1252 (Excel "CSV" on Windows), with CRLF line ends. Every
importer works on the decoded, LF-only text this module returns, so none of them has to care.
"""

from __future__ import annotations

import codecs

from screening.records.errors import ImportFormatError
from screening.records.limits import NUL_MESSAGE

# Control characters that never occur in a text export (tab, LF, CR and form feed do).
_BINARY_CONTROL = {b for b in range(32) if b not in (9, 10, 12, 13)}
_SNIFF_BYTES = 8192


def decode_text(data: bytes, file: str) -> str:
    """Decode ``data`` (UTF-8 / UTF-8-BOM / UTF-16-BOM, else cp1252) and normalise line ends to LF.

    Raises ImportFormatError for empty or binary content, naming ``file``, and for a NUL character
    anywhere (the binary sniff only reads the first 8 KiB; no database should store a NUL).
    """
    if not data.strip():
        raise ImportFormatError(file, "the file is empty")
    text = _decode(data, file)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ImportFormatError(file, "the file is empty")
    if (nul := text.find("\x00")) >= 0:
        raise ImportFormatError(file, NUL_MESSAGE, line=text.count("\n", 0, nul) + 1)
    return text


def _decode(data: bytes, file: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportFormatError(file, f"starts with a UTF-16 mark but is not valid UTF-16 ({exc.reason})",
                                    line=_line_of(data, exc.start)) from exc
    _reject_binary(data, file)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            file, f"is neither UTF-8 nor Windows-1252 text (byte 0x{data[exc.start]:02x}); "
                  "save it again as UTF-8", line=_line_of(data, exc.start)) from exc


def _reject_binary(data: bytes, file: str) -> None:
    """Refuse archives, spreadsheets and other binary files before they turn into nonsense records."""
    head = data[:_SNIFF_BYTES]
    if head.startswith(b"PK\x03\x04"):
        raise ImportFormatError(file, "is a ZIP archive (an .xlsx workbook?), not a text export; "
                                      "give it the .xlsx extension or export it as CSV")
    controls = sum(1 for b in head if b in _BINARY_CONTROL)
    if b"\x00" in head or controls > len(head) // 100:
        raise ImportFormatError(file, "looks like a binary file, not a text export "
                                      "(RIS, CSV, TSV, BibTeX or MEDLINE)")


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
