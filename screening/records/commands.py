"""CLI: import search exports into a project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import EXIT_BAD_INPUT, open_project
from screening.sources.kinds import SourceType


def import_command(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    files: Annotated[list[Path], typer.Argument(help="RIS, CSV/TSV/XLSX, BibTeX or MEDLINE export files.")],
    source_type: Annotated[SourceType, typer.Option(help="How the records were found (PRISMA identification).")
                           ] = SourceType.database,
    source: Annotated[str | None, typer.Option(help="Database or source name (default: the file's name).")] = None,
) -> None:
    """Import export files; each file is all-or-nothing, reported on its own line, and re-importing the same
    file adds nothing. Exits non-zero when any file was refused (the others are still imported)."""
    from screening.records.service import import_outcome

    project = open_project(directory)
    failed = False
    for file in files:
        outcome = import_outcome(project, file, source_type=source_type.value, source=source)
        typer.echo(outcome.message, err=not outcome.ok)
        failed = failed or not outcome.ok
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


def register(app: typer.Typer) -> None:
    app.command("import")(import_command)
