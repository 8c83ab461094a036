"""CLI: add one record found by other methods (citation searching, a website, an organisation) by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import open_project, reported_errors
from screening.sources.kinds import SourceType


def add_record(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    title: Annotated[str, typer.Option(help="The record's title.")],
    source: Annotated[str, typer.Option(help="Where it was found, e.g. 'reference list of Smith 2020'.")],
    source_type: Annotated[SourceType, typer.Option(help="How it was found.")] = SourceType.citation,
    authors: Annotated[str | None, typer.Option(help="Authors separated by ';'.")] = None,
    year: Annotated[int | None, typer.Option()] = None,
    abstract: Annotated[str | None, typer.Option()] = None,
    journal: Annotated[str | None, typer.Option()] = None,
    doi: Annotated[str | None, typer.Option()] = None,
    pmid: Annotated[str | None, typer.Option()] = None,
    source_id: Annotated[str | None, typer.Option(help="Its id (default: hand-N).")] = None,
    actor: Annotated[str, typer.Option(help="Who adds it (audit log).")] = "cli",
) -> None:
    """Add one record by hand; it is screened like imported records and counted under 'other methods'."""
    from screening.records.model import RecordIn
    from screening.sources.kinds import SourceTypeError
    from screening.sources.manual import ManualRecordError, add_manual_record

    project = open_project(directory)
    record = RecordIn(source_file="hand", source_position=1, title=title, abstract=abstract,
                      authors=(authors or "").split(";"), year=year, journal=journal, doi=doi, pmid=pmid)
    with reported_errors(ManualRecordError, SourceTypeError):
        record_id = add_manual_record(project, record, source=source, source_type=source_type.value, actor=actor,
                                      source_id=source_id)
    typer.echo(f"added record {record_id} ({source_type.value}: {source})")


def register(app: typer.Typer) -> None:
    app.command("add-record")(add_record)
