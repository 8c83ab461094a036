"""CLI: `screening fulltext attach|folder|not-retrieved|list` - the reports behind the included records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import EXIT_BAD_INPUT, open_project, record_id_of, reported_errors

fulltext_app = typer.Typer(no_args_is_help=True, help="Full-text reports: attach PDFs, mark reports not retrieved.")


def _candidates(project):  # type: ignore[no-untyped-def]
    from screening.decisions.queries import record_status
    from screening.fulltext.candidates import passed_title_abstract

    return passed_title_abstract(record_status(project, "title_abstract"))


@fulltext_app.command("attach")
def attach(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    source_id: Annotated[str, typer.Argument(help="The record's source id.")],
    file: Annotated[Path, typer.Argument(help="The report's PDF.")],
    actor: Annotated[str, typer.Option(help="Who attaches it (audit log).")] = "cli",
) -> None:
    """Attach a PDF to one record (checked and its text extracted first; nothing is stored if it is broken)."""
    from screening.decisions.lookup import UnknownRecordError
    from screening.fulltext.pdf_text import PdfError
    from screening.fulltext.reports import ReportError, attach_pdf_file
    from screening.fulltext.storage import StorageError

    project = open_project(directory)
    with reported_errors(UnknownRecordError, PdfError, ReportError, StorageError):
        attached = attach_pdf_file(project, record_id_of(project, source_id), file, actor=actor)
    typer.echo(attached.describe(file.name))


@fulltext_app.command("folder")
def attach_folder(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    folder: Annotated[Path, typer.Argument(help="Folder of PDFs named by source id, PMID or DOI.")],
    actor: Annotated[str, typer.Option(help="Who attaches them (audit log).")] = "cli",
) -> None:
    """Attach every PDF of a folder to the full-text record its name (or the DOI printed in it) matches."""
    from screening.fulltext.matching import attach_matching, pdf_files_in
    from screening.fulltext.storage import StorageError

    project = open_project(directory)
    skipped: list[str] = []
    with reported_errors(StorageError):
        result = attach_matching(project, pdf_files_in(folder, skipped), _candidates(project), actor=actor)
    result.failed += skipped
    for line in result.lines():
        typer.echo(line)
    typer.echo(f"{len(result.attached)} attached, {len(result.unmatched)} not matched, {len(result.failed)} failed")
    if result.failed or result.unmatched:
        raise typer.Exit(EXIT_BAD_INPUT)


@fulltext_app.command("not-retrieved")
def not_retrieved(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    source_id: Annotated[str, typer.Argument(help="The record's source id.")],
    reason: Annotated[str, typer.Option(help="Why the report could not be obtained.")],
    actor: Annotated[str, typer.Option(help="Who records it (audit log).")] = "cli",
) -> None:
    """Mark a record's report as not retrieved (PRISMA 'reports not retrieved'); attaching a PDF undoes it."""
    from screening.decisions.lookup import UnknownRecordError
    from screening.fulltext.reports import ReportError, mark_not_retrieved

    project = open_project(directory)
    with reported_errors(UnknownRecordError, ReportError):
        mark_not_retrieved(project, record_id_of(project, source_id), reason, actor=actor)
    typer.echo(f"{source_id}: report not retrieved ({reason})")


@fulltext_app.command("list")
def list_reports(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every record at full text with its report: attached (pages), not retrieved (reason) or missing."""
    from screening.fulltext.status import full_text_overview

    overview = full_text_overview(open_project(directory))
    if as_json:
        typer.echo(overview.to_json(orient="records", date_format="iso", indent=2))
        return
    for row in overview.itertuples():
        detail = {"attached": f"{row.n_pages} pages", "not_retrieved": row.reason}.get(row.status, "")
        typer.echo(f"{row.source_id:<24} {row.status:<14} {detail or ''}")
    typer.echo(json.dumps(overview["status"].value_counts().to_dict()))


def register(app: typer.Typer) -> None:
    app.add_typer(fulltext_app, name="fulltext")
