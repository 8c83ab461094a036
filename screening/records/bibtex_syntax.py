"""BibTeX syntax: the entries of a .bib file, their fields, and @string abbreviations expanded.

Our own scanner instead of bibtexparser. bibtexparser 1.4 (pyparsing) reads ~100 entries/s, drops an entry
it cannot parse without a word, recurses once per nested brace (RecursionError at ~100 levels) and expands
`@string` chains without bound (a 1 KB file took 2.2 GB). bibtexparser 2.1 is fast but accepts broken
entries silently (`year = 2020 2021`; a missing comma merges two fields into one value) and cannot join
`a # b`. The grammar is small (`@type{key, name = value # value, ...}`), so one linear pass over the text
can check all of it and say exactly where it breaks, with a budget on what abbreviations may expand to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from screening.records.errors import ImportFormatError
from screening.records.limits import MIN_EXPANSION_BUDGET

_ENTRY_START = re.compile(r"@[ \t]*([A-Za-z][\w-]*)[ \t]*([{(])")
_LINE_START_ENTRY = r"\n[ \t]*@[ \t]*[A-Za-z][\w-]*[ \t]*[{(]"
_BRACED = re.compile(r"\\.|[{}]|" + _LINE_START_ENTRY, re.DOTALL)
_QUOTED = re.compile(r'\\.|[{}"]|' + _LINE_START_ENTRY, re.DOTALL)
_BALANCE = re.compile(r"\\.|[{}()]", re.DOTALL)
_SPACE = re.compile(r"\s*")
_KEY = re.compile(r"[^,\s{}()]+")
_NAME = re.compile(r"[^\s\"#%'(),={}]+")
_NUMBER = re.compile(r"\d+")
_MONTHS = {name[:3].lower(): name for name in (
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December")}


@dataclass
class BibEntry:
    """One reference entry: its type, key, first line, position among the file's entries, and its fields
    (lower-case name -> value with abbreviations expanded and the outer braces or quotes removed)."""

    kind: str
    key: str | None
    line: int
    position: int
    fields: dict[str, str] = field(default_factory=dict)


# A value before expansion: literal text, or (abbreviation name, line it was used on).
_Piece = str | tuple[str, int]


def read_entries(text: str, file: str) -> list[BibEntry]:
    """Every reference entry of ``text`` in file order; ImportFormatError names the line, entry and field."""
    return _Scanner(text, file).entries()


class _Scanner:
    def __init__(self, text: str, file: str) -> None:
        self.text, self.file = text, file
        self.pos = 0
        self._counted, self._line = 0, 1
        self.strings: dict[str, str] = dict(_MONTHS)
        self.budget = max(len(text), MIN_EXPANSION_BUDGET)
        self.entry: BibEntry | None = None  # the entry being read, for error messages
        self.closer = "}"

    def entries(self) -> list[BibEntry]:
        found: list[tuple[BibEntry, dict[str, list[_Piece]]]] = []
        while (at := self.text.find("@", self.pos)) >= 0:
            match = _ENTRY_START.match(self.text, at)
            if match is None:
                self.pos = at + 1  # an '@' in the text between entries (a comment, an e-mail address)
                continue
            kind, self.closer = match.group(1).lower(), "}" if match.group(2) == "{" else ")"
            self.entry = BibEntry(kind, None, self.line_at(at), len(found) + 1)
            self.pos = match.end()
            if kind in ("comment", "preamble"):
                self._skip_balanced()
            elif kind == "string":
                self._string_definition()
            else:
                found.append((self.entry, self._entry_body()))
        self.entry = None
        return [self._expanded(entry, raw) for entry, raw in found]

    # --- structure ------------------------------------------------------------------------------------------

    def _entry_body(self) -> dict[str, list[_Piece]]:
        assert self.entry is not None
        self._skip_space()
        if (key := _KEY.match(self.text, self.pos)) is not None:
            self.entry.key = key.group()
            self.pos = key.end()
            self._skip_space()
        raw: dict[str, list[_Piece]] = {}
        if self._take(self.closer):
            return raw
        if not self._take(","):
            raise self._unexpected("a ',' after the entry key")
        while True:
            self._skip_space()
            if self._take(self.closer):
                return raw
            name, pieces = self._field()
            if name in raw and raw[name] != pieces:
                raise self.error(f"field '{name}' is given twice with different values", field=name)
            raw.setdefault(name, pieces)
            self._skip_space()
            if self._take(self.closer):
                return raw
            if not self._take(","):
                raise self._unexpected(f"',' or '{self.closer}' after the value of field '{name}'", name)

    def _string_definition(self) -> None:
        self._skip_space()
        name, pieces = self._field()
        self.strings[name] = self._join(pieces, name)
        self._skip_space()
        if not self._take(self.closer):
            raise self._unexpected(f"'{self.closer}' after the @string definition of '{name}'", name)

    def _field(self) -> tuple[str, list[_Piece]]:
        name = _NAME.match(self.text, self.pos)
        if name is None:
            raise self._unexpected("a field name")
        self.pos = name.end()
        self._skip_space()
        if not self._take("="):
            raise self._unexpected(f"'=' after the field name '{name.group()}'", name.group().lower())
        return name.group().lower(), self._value(name.group().lower())

    def _value(self, name: str) -> list[_Piece]:
        """value (# value)*, each a {braced} or "quoted" text, a number or an @string name."""
        pieces: list[_Piece] = []
        while True:
            self._skip_space()
            char = self.text[self.pos:self.pos + 1]
            if char == "{":
                pieces.append(self._delimited(_BRACED, name))
            elif char == '"':
                pieces.append(self._delimited(_QUOTED, name))
            elif (number := _NUMBER.match(self.text, self.pos)) is not None:
                pieces.append(number.group())
                self.pos = number.end()
            elif (word := _NAME.match(self.text, self.pos)) is not None:
                pieces.append((word.group().lower(), self.line_at(self.pos)))
                self.pos = word.end()
            else:
                raise self._unexpected(f"a value for field '{name}' ({{...}}, \"...\", a number or an @string name)",
                                       name)
            self._skip_space()
            if not self._take("#"):
                return pieces

    def _delimited(self, tokens: re.Pattern[str], name: str) -> str:
        """The text inside the braces or quotes that open at ``self.pos``, nested braces balanced."""
        start, depth = self.pos, 0
        quoted = self.text[start] == '"'
        for token in tokens.finditer(self.text, start + 1 if quoted else start):
            char = token.group()
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0 and not quoted:
                    self.pos = token.end()
                    return self.text[start + 1:token.start()]
                if depth < 0:
                    raise self.error("a '}' closes more braces than were opened",
                                     line=self.line_at(token.start()), field=name)
            elif char == '"' and depth == 0:
                self.pos = token.end()
                return self.text[start + 1:token.start()]
            elif char[0] == "\n":
                raise self._unclosed(f"before the next entry at line {self.line_at(token.start()) + 1}")
        raise self._unclosed("before the end of the file")

    def _skip_balanced(self) -> None:
        """@comment{...} and @preamble{...}: skip to the closing delimiter."""
        depth = 0
        for token in _BALANCE.finditer(self.text, self.pos):
            char = token.group()
            if char == "{":
                depth += 1
            elif char == "}":
                if depth == 0 and self.closer == "}":
                    self.pos = token.end()
                    return
                depth -= 1
            elif char == ")" and self.closer == ")" and depth == 0:
                self.pos = token.end()
                return
        raise self._unclosed("before the end of the file")

    # --- expansion ------------------------------------------------------------------------------------------

    def _expanded(self, entry: BibEntry, raw: dict[str, list[_Piece]]) -> BibEntry:
        self.entry = entry
        entry.fields = {name: self._join(pieces, name) for name, pieces in raw.items()}
        return entry

    def _join(self, pieces: list[_Piece], name: str) -> str:
        if len(pieces) == 1 and isinstance(pieces[0], str):
            return pieces[0]
        parts = []
        for piece in pieces:
            if isinstance(piece, str):
                parts.append(piece)
                continue
            abbreviation, line = piece
            if abbreviation not in self.strings:
                raise self.error(f"'{abbreviation}' is not defined by any @string before it (text belongs in "
                                 "braces: {...})", line=line, field=name)
            value = self.strings[abbreviation]
            self.budget -= len(value)
            if self.budget < 0:
                raise self.error(f"@string abbreviations expand to more text than the file itself holds "
                                 f"({len(self.text):,} characters); refusing a string-expansion bomb",
                                 line=line, field=name)
            parts.append(value)
        return "".join(parts)

    # --- positions and errors -------------------------------------------------------------------------------

    def line_at(self, pos: int) -> int:
        if pos >= self._counted:
            self._line += self.text.count("\n", self._counted, pos)
        else:
            self._line -= self.text.count("\n", pos, self._counted)
        self._counted = pos
        return self._line

    def _skip_space(self) -> None:
        self.pos = _SPACE.match(self.text, self.pos).end()  # type: ignore[union-attr]

    def _take(self, token: str) -> bool:
        if self.text.startswith(token, self.pos):
            self.pos += len(token)
            return True
        return False

    def _where(self) -> tuple[str, int | None]:
        entry = self.entry
        if entry is None or entry.kind in ("string", "comment", "preamble"):
            return f"@{entry.kind if entry else 'entry'}", None
        return f"entry '{entry.key or '(no key)'}'", entry.position

    def error(self, message: str, line: int | None = None, field: str | None = None,
              separator: str = ": ") -> ImportFormatError:
        what, record = self._where()
        return ImportFormatError(self.file, f"{what}{separator}{message}", line=line or self.line_at(self.pos),
                                 record=record, field=field)

    def _unclosed(self, where: str) -> ImportFormatError:
        assert self.entry is not None
        what, record = self._where()
        return ImportFormatError(self.file, f"{what} has unbalanced braces: it is not closed {where}",
                                 line=self.entry.line, record=record)

    def _unexpected(self, expected: str, field: str | None = None) -> ImportFormatError:
        if self.pos >= len(self.text):
            return self._unclosed("before the end of the file")
        line_start = self.text.rfind("\n", 0, self.pos) + 1
        if _ENTRY_START.match(self.text, self.pos) and not self.text[line_start:self.pos].strip():
            return self._unclosed(f"before the next entry at line {self.line_at(self.pos)}")
        found = self.text[self.pos:self.pos + 30].split("\n", 1)[0]
        return self.error(f"could not be parsed: expected {expected}, found {found!r}", field=field,
                          separator=" ")
