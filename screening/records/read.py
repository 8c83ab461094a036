"""The importers' front door: pick the format of an export file and read its records."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from screening.records.bibtex import parse_bibtex
from screening.records.encoding import decode_text
from screening.records.errors import ImportFormatError
from screening.records.fields import check_unique_source_ids
from screening.records.limits import check_file_size
from screening.records.medline import parse_medline
from screening.records.model import RecordIn
from screening.records.ris import parse_ris
from screening.records.tabular import parse_delimited
from screening.records.xlsx import parse_xlsx

FORMATS = ("ris", "csv", "tsv", "xlsx", "bibtex", "medline")

_BY_EXTENSION = {
    ".ris": "ris",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".bib": "bibtex",
    ".bibtex": "bibtex",
    ".nbib": "medline",
    ".medline": "medline",
}
_SNIFFED_EXTENSIONS = {".txt", ""}  # PubMed "Save as MEDLINE", WoS tab-delimited, Ovid/EBSCO RIS

_TEXT_PARSERS: dict[str, Callable[[str, str], list[RecordIn]]] = {
    "ris": parse_ris,
    "csv": parse_delimited,
    "tsv": lambda text, file: parse_delimited(text, file, delimiter="\t"),
    "bibtex": parse_bibtex,
    "medline": parse_medline,
}

_RIS_START = re.compile(r"^[A-Z][A-Z0-9]  -(?: |$)")
_MEDLINE_START = re.compile(r"^(?:PMID|[A-Z]{2,4} *)- ")


@dataclass(frozen=True)
class ImportResult:
    """What one export file held: its format, its records (in file order) and its content hash."""

    format: str
    records: list[RecordIn]
    sha256: str


def read_records(path: str | Path, *, format: str | None = None) -> ImportResult:
    """Read every record of the export file at ``path``.

    The format comes from the extension (.ris .csv .tsv/.tab .xlsx .bib .nbib/.medline), or from the
    content for .txt; pass ``format`` (one of FORMATS) to override. Raises ImportFormatError naming the
    file, line/record and field for anything malformed, including duplicate source ids.
    """
    path = Path(path)
    file = path.name
    try:
        check_file_size(path.stat().st_size, file)
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFormatError(file, f"cannot be read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise ImportFormatError(file, "the file is empty")
    if format is not None and format not in FORMATS:
        raise ImportFormatError(file, f"unknown format {format!r} (supported: {', '.join(FORMATS)})")
    kind = format or _format_from_extension(path, file)
    if kind == "xlsx":
        records = parse_xlsx(path, file)
    else:
        text = decode_text(data, file)
        if kind == "sniff":
            kind = sniff_format(text, file)
        records = _TEXT_PARSERS[kind](text, file)
    if not records:
        raise ImportFormatError(file, "contains no records")
    check_unique_source_ids(file, records)
    return ImportResult(format=kind, records=records, sha256=hashlib.sha256(data).hexdigest())


def sniff_format(text: str, file: str) -> str:
    """Tell RIS, MEDLINE, BibTeX and tab-delimited text apart by their first non-blank line."""
    first = next((line for line in text.split("\n") if line.strip()), "")
    if _RIS_START.match(first):
        return "ris"
    if _MEDLINE_START.match(first):
        return "medline"
    if first.lstrip().startswith("@"):
        return "bibtex"
    if first.startswith("FN ") and "Web of Science" in first:
        raise ImportFormatError(file, "Web of Science 'plain text' exports are not supported; "
                                      "export as 'Tab delimited file' or 'RIS' instead", line=1)
    if "\t" in first:
        return "tsv"
    raise ImportFormatError(file, "cannot tell the format of this text file: expected RIS ('TY  - '), "
                                  "MEDLINE ('PMID- '), BibTeX ('@article{') or a tab-delimited header",
                            line=1)


def _format_from_extension(path: Path, file: str) -> str:
    suffix = path.suffix.lower()
    if suffix in _BY_EXTENSION:
        return _BY_EXTENSION[suffix]
    if suffix in _SNIFFED_EXTENSIONS:
        return "sniff"
    known = ", ".join(sorted([*_BY_EXTENSION, ".txt"]))
    raise ImportFormatError(file, f"unsupported file extension '{suffix}' (supported: {known})")
