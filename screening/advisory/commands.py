"""CLI: `screening advisory assign|view|list` - the advisory group's full-text checks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import open_project, record_id_of, reported_errors

advisory_app = typer.Typer(no_args_is_help=True, help="Advisory-group full-text checks.")


@advisory_app.command("assign")
def assign(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    advisor: Annotated[list[str], typer.Option(help="Advisory-group member (repeatable).")],
    source_ids: Annotated[list[str] | None, typer.Argument(help="Records (default: all at full text).")] = None,
    per_record: Annotated[int, typer.Option(help="Advisors per full text.")] = 1,
    actor: Annotated[str, typer.Option(help="Who assigns (audit log).")] = "lead",
) -> None:
    """Deal full texts to advisory-group members round-robin (each full text to --per-record of them)."""
    from screening.advisory.assignments import AdvisoryError, assign_to_advisors, deal_records
    from screening.decisions.lookup import UnknownRecordError
    from screening.decisions.queries import record_status
    from screening.decisions.reviewers import ReviewerError
    from screening.fulltext.candidates import full_text_candidates

    project = open_project(directory)
    with reported_errors(AdvisoryError, UnknownRecordError, ReviewerError):
        if source_ids:
            record_ids = [record_id_of(project, s) for s in source_ids]
        else:
            record_ids = sorted(full_text_candidates(project, record_status(project, "title_abstract")))
        shares = deal_records(record_ids, advisor, per_record)
        added = assign_to_advisors(project, shares, actor=actor)
    for name, ids in shares.items():
        typer.echo(f"{name}: {len(ids)} full texts")
    typer.echo(f"{added} new assignments")


@advisory_app.command("view")
def view(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    source_id: Annotated[str, typer.Argument(help="The record's source id.")],
    opinion: Annotated[str, typer.Argument(metavar="VIEW", help="include, exclude or unsure.")],
    advisor: Annotated[str, typer.Option(help="The advisory-group member.")],
    reason: Annotated[str | None, typer.Option(help="Criterion code from the protocol.")] = None,
    note: Annotated[str | None, typer.Option(help="What the advisor noticed.")] = None,
) -> None:
    """Record an advisory-group member's view of a full text against the criteria."""
    from screening.advisory.assignments import AdvisoryError
    from screening.advisory.views import record_view
    from screening.decisions.lookup import UnknownRecordError
    from screening.decisions.reviewers import ReviewerError

    project = open_project(directory)
    protocol = project.load_protocol()
    with reported_errors(AdvisoryError, UnknownRecordError, ReviewerError):
        record_view(project, advisor=advisor, record_id=record_id_of(project, source_id), view=opinion,
                    reason=reason, note=note,
                    allowed_reasons=protocol.reason_codes if protocol and protocol.reason_codes else None)
    typer.echo(f"{advisor}: {opinion} {source_id}")


@advisory_app.command("list")
def list_views(directory: Annotated[Path, typer.Argument(help="Project folder.")]) -> None:
    """Every advisory view, per full text."""
    from screening.advisory.views import advisory_views

    for row in advisory_views(open_project(directory)).itertuples():
        typer.echo(f"{row.source_id:<24} {row.advisor:<16} {row.view:<8} {row.reason or '-':<16} {row.note or ''}")


def register(app: typer.Typer) -> None:
    app.add_typer(advisory_app, name="advisory")
