"""BibTeX / BibLaTeX exports (Zotero, Mendeley, JabRef, Google Scholar): entries to records.

The syntax (entries, fields, @string abbreviations) is read by `bibtex_syntax`, which says where a file is
broken; here field values become record fields, their LaTeX turned into plain text.
"""

from __future__ import annotations

import re

from screening.records.bibtex_syntax import BibEntry, read_entries
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

_TOKENS = re.compile(r"[{}]| and ")


def parse_bibtex(text: str, file: str) -> list[RecordIn]:
    """Read every reference entry of BibTeX ``text``; errors name ``file``, the entry key and line."""
    entries = read_entries(text, file)
    if not entries:
        raise ImportFormatError(file, "contains no BibTeX entries (expected e.g. '@article{key, ...}')")
    return [_record(entry, file, Where(file, line=entry.line, record=entry.position)) for entry in entries]


def _record(entry: BibEntry, file: str, where: Where) -> RecordIn:
    lower = entry.fields

    def text(*names: str) -> str | None:
        for name in names:
            if (value := clean_text(latex_to_text(lower.get(name, "")))) is not None:
                return value
        return None

    year_field = "year" if clean_text(lower.get("year")) else "date"
    keywords = text("keywords", "keyword")
    return RecordIn(
        source_file=file,
        source_position=entry.position,
        source_line=where.line,
        title=text("title"),
        abstract=text("abstract"),
        authors=[name for part in _split_names(lower.get("author", ""))
                 if (name := clean_text(latex_to_text(part))) is not None],
        year=parse_year(text(year_field), where, year_field),
        journal=text("journal", "journaltitle", "booktitle"),
        doi=text("doi"),
        pmid=parse_pmid(text("pmid"), where, "pmid"),
        keywords=split_keywords(keywords.replace(",", ";") if keywords else None),  # BibTeX uses commas
        source_id=clean_text(entry.key),
    )


def _split_names(value: str) -> list[str]:
    """Split "A and B" on ' and ' outside braces, so "{Barnes and Noble}" stays one (corporate) author.

    Whitespace is collapsed first: a separator is then exactly " and ", found by one scan of the text.
    """
    value = clean_text(value) or ""
    names, depth, start = [], 0, 0
    for token in _TOKENS.finditer(value):
        if token.group() == "{":
            depth += 1
        elif token.group() == "}":
            depth -= 1
        elif depth == 0:
            names.append(value[start:token.start()])
            start = token.end()
    names.append(value[start:])
    return [name for name in names if name.strip()]
