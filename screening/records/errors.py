"""Import errors that say exactly where a file is broken."""

from __future__ import annotations


class ImportFormatError(ValueError):
    """A file could not be read; names the file and, where known, the line/record and field."""

    def __init__(self, file: str, message: str, *, line: int | None = None, record: int | None = None,
                 field: str | None = None) -> None:
        self.file = file
        self.line = line
        self.record = record
        self.field = field
        self.reason = message
        where = [file]
        if line is not None:
            where.append(f"line {line}")
        if record is not None:
            where.append(f"record {record}")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(f"{', '.join(where)}: {message}")
