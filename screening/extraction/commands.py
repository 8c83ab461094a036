"""CLI: `screening extraction set|export` - the extraction form and the table of included studies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import open_project, record_id_of, reported_errors

extraction_app = typer.Typer(no_args_is_help=True, help="Data extraction and the included-studies table.")


@extraction_app.command("set")
def set_values(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    source_id: Annotated[str, typer.Argument(help="The included study's source id.")],
    extractor: Annotated[str, typer.Option(help="Who extracts.")],
    value: Annotated[list[str], typer.Option("--value", help="FIELD=VALUE (repeatable; ';' separates choices).")],
) -> None:
    """Store extracted values; every value is checked against the form before anything is written."""
    from screening.decisions.lookup import UnknownRecordError
    from screening.decisions.reviewers import ReviewerError
    from screening.extraction.form import ExtractionError, extraction_form
    from screening.extraction.store import current_values, save_extraction

    project = open_project(directory)
    with reported_errors(ExtractionError, UnknownRecordError, ReviewerError):
        form = extraction_form(project.load_protocol())
        given: dict[str, str] = {}
        for pair in value:
            name, sep, text = pair.partition("=")
            if not sep:
                raise ExtractionError(f"--value {pair!r}: write FIELD=VALUE, e.g. --value country=England")
            given[name.strip()] = text
        record_id = record_id_of(project, source_id)
        merged = {**current_values(project, record_id), **given}
        save_extraction(project, form, extractor=extractor, record_id=record_id, values=merged)
    typer.echo(f"{source_id}: {len(given)} field(s) saved")


@extraction_app.command("export")
def export(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    out: Annotated[Path, typer.Option(help="The .csv or .xlsx file to write.")],
    sort: Annotated[str, typer.Option(help="total_score, appraisal_total, year or source_id.")] = "total_score",
) -> None:
    """Included studies with appraisal totals, extracted fields and scores, highest total first."""
    from screening.extraction.export import export_included, included_studies
    from screening.extraction.form import ExtractionError

    project = open_project(directory)
    with reported_errors(ExtractionError, ValueError):
        table = included_studies(project, project.load_protocol(), sort_by=sort)
        n = export_included(table, out.suffix.lower().lstrip("."), out)
    typer.echo(f"wrote {n} included studies to {out}")


def register(app: typer.Typer) -> None:
    app.add_typer(extraction_app, name="extraction")
