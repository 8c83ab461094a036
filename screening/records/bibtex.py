"""BibTeX / BibLaTeX exports (Zotero, Mendeley, JabRef, Google Scholar) read with bibtexparser 1.4.

bibtexparser skips an entry it cannot parse, and an unbalanced brace swallows every entry after it,
without a word. So entries are first located here with their line numbers and brace balance checked;
an entry that bibtexparser then fails to return is reported by key and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import bibtexparser
from bibtexparser.bparser import BibTexParser

from screening.records.errors import ImportFormatError
from screening.records.fields import (
    Where,
    clean_text,
    parse_pmid,
    parse_year,
    split_keywords,
)
from screening.records.latex import latex_to_text
from screening.records.model import RecordIn

_ENTRY_START = re.compile(r"@\s*([A-Za-z]+)\s*([{(])")
_LINE_START_ENTRY = re.compile(r"\n[ \t]*@\s*[A-Za-z]+\s*[{(]")
_SPECIAL = {"comment", "string", "preamble"}
_BATCH = 100
_BRACE_OR_ESCAPE = re.compile(r"\\.|[{}()]", re.DOTALL)
_KEY = re.compile(r"\s*([^,\s{}()]*)")
_AND = re.compile(r"\s+and\s+")


@dataclass(frozen=True)
class _Entry:
    kind: str
    key: str
    line: int
    text: str


def parse_bibtex(text: str, file: str) -> list[RecordIn]:
    """Read every reference entry of BibTeX ``text``; errors name ``file``, the entry key and line."""
    located = _locate_entries(text, file)
    entries = [entry for entry in located if entry.kind not in _SPECIAL]
    if not entries:
        raise ImportFormatError(file, "contains no BibTeX entries (expected e.g. '@article{key, ...}')")
    parsed = _parse_entries(located, file)
    records = []
    for position, (entry, fields) in enumerate(zip(entries, parsed, strict=True), start=1):
        records.append(_record(fields, file, position, Where(file, line=entry.line, record=position)))
    return records


def _locate_entries(text: str, file: str) -> list[_Entry]:
    """Find each '@type{' at brace depth 0 and its matching close, or report where balance is lost."""
    entries: list[_Entry] = []
    position, line, counted_to = 0, 1, 0
    while (match := _ENTRY_START.search(text, position)) is not None:
        start, kind, opener = match.start(), match.group(1).lower(), match.group(2)
        line += text.count("\n", counted_to, start)
        counted_to = start
        key = _key(text, match.end()) if kind not in _SPECIAL else kind
        end = _entry_end(text, match.end(), opener)
        next_entry = _LINE_START_ENTRY.search(text, match.end())
        if end is None or (next_entry is not None and next_entry.start() < end and kind != "comment"):
            where = (f"before the next entry at line {text.count(chr(10), 0, next_entry.start()) + 2}"
                     if next_entry is not None else "before the end of the file")
            raise ImportFormatError(file, f"entry '{key}' has unbalanced braces: it is not closed {where}",
                                    line=line, record=sum(e.kind not in _SPECIAL for e in entries) + 1)
        entries.append(_Entry(kind, key, line, text[start:end]))
        position = end
    return entries


def _entry_end(text: str, index: int, opener: str) -> int | None:
    """Index just past the entry's closing delimiter, honouring nested and escaped braces."""
    closer = "}" if opener == "{" else ")"
    depth = 0
    for token in _BRACE_OR_ESCAPE.finditer(text, index):
        char = token.group()
        if char == "{":
            depth += 1
        elif char == "}":
            if depth == 0 and closer == "}":
                return token.end()
            depth -= 1
        elif char == ")" and closer == ")" and depth == 0:
            return token.end()
    return None


def _key(text: str, index: int) -> str:
    match = _KEY.match(text, index)
    return match.group(1) if match and match.group(1) else "(no key)"


def _parser() -> BibTexParser:
    return BibTexParser(common_strings=True, ignore_nonstandard_types=False, interpolate_strings=True)


def _parse(text: str) -> list[dict[str, str]]:
    return bibtexparser.loads(text, parser=_parser()).entries


def _parse_entries(located: list[_Entry], file: str) -> list[dict[str, str]]:
    """Parse the entries in batches (bibtexparser slows down on long inputs), each after the @strings."""
    strings = "\n".join(entry.text for entry in located if entry.kind == "string")
    entries = [entry for entry in located if entry.kind not in _SPECIAL]
    parsed: list[dict[str, str]] = []
    for offset in range(0, len(entries), _BATCH):
        parsed += _parse_batch(entries[offset:offset + _BATCH], offset, strings, file)
    return parsed


def _parse_batch(batch: list[_Entry], offset: int, strings: str, file: str) -> list[dict[str, str]]:
    """bibtexparser silently drops an entry it cannot parse: halve the batch until that entry is found."""
    result = _parse("\n".join([strings, *(entry.text for entry in batch)]))
    if len(result) == len(batch):
        return result
    if len(batch) == 1:
        raise ImportFormatError(
            file, f"entry '{batch[0].key}' could not be parsed: check that every field is written "
                  "name = {value} or name = \"value\", separated by commas",
            line=batch[0].line, record=offset + 1)
    half = len(batch) // 2
    return (_parse_batch(batch[:half], offset, strings, file)
            + _parse_batch(batch[half:], offset + half, strings, file))


def _record(fields: dict[str, str], file: str, position: int, where: Where) -> RecordIn:
    lower = {name.lower(): value for name, value in fields.items()}

    def text(*names: str) -> str | None:
        for name in names:
            if (value := clean_text(latex_to_text(lower.get(name, "")))) is not None:
                return value
        return None

    year_field = "year" if clean_text(lower.get("year")) else "date"
    keywords = text("keywords", "keyword")
    return RecordIn(
        source_file=file,
        source_position=position,
        title=text("title"),
        abstract=text("abstract"),
        authors=[name for part in _split_names(lower.get("author", ""))
                 if (name := clean_text(latex_to_text(part))) is not None],
        year=parse_year(text(year_field), where, year_field),
        journal=text("journal", "journaltitle", "booktitle"),
        doi=text("doi"),
        pmid=parse_pmid(text("pmid"), where, "pmid"),
        keywords=split_keywords(keywords.replace(",", ";") if keywords else None),  # BibTeX uses commas
        source_id=clean_text(fields.get("ID")),
    )


def _split_names(value: str) -> list[str]:
    """Split "A and B" on ' and ' outside braces, so "{Barnes and Noble}" stays one (corporate) author."""
    names, depth, start = [], 0, 0
    for i, char in enumerate(value):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and (match := _AND.match(value, i)) is not None and (i == 0 or value[i - 1] != " "):
            names.append(value[start:i])
            start = match.end()
    names.append(value[start:])
    return [name for name in names if name.strip()]
