"""CLI: reviewers, decisions (one at a time or imported), project status and exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import open_project, reported_errors

VIEWER_HELP = "Show what this reviewer sees (in blind mode: their own decisions and resolved records only)."


def status(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    viewer: Annotated[str | None, typer.Option("--as", help=VIEWER_HELP)] = None,
) -> None:
    """Counts of records, duplicates, decisions, includes and conflicts per stage and reviewer."""
    from screening.decisions.reviewers import ReviewerError
    from screening.decisions.status import project_status

    project = open_project(directory)
    with reported_errors(ReviewerError):
        counts = project_status(project, viewer=viewer)
    if as_json:
        typer.echo(json.dumps(counts, indent=2))
        return
    for key in ("view", "records", "unique_records", "duplicates", "decisions", "included", "excluded", "conflicts"):
        typer.echo(f"{key:>15}: {'hidden (blind)' if counts[key] is None else counts[key]}")
    for stage, stage_counts in counts["stages"].items():
        reviewers = ", ".join(f"{k} {v}" for k, v in stage_counts["by_reviewer"].items()) or "-"
        conflicts = "hidden (blind)" if stage_counts["conflicts"] is None else stage_counts["conflicts"]
        typer.echo(f"{stage:>15}: screened {stage_counts['screened']}, included {stage_counts['included']}, "
                   f"conflicts {conflicts} (by reviewer: {reviewers})")


def decide(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    source_id: Annotated[str, typer.Argument(help="The record's source id.")],
    decision: Annotated[str, typer.Argument(help="include, exclude or maybe.")],
    reviewer: Annotated[str, typer.Option(help="Who decides (created as a reviewer if new).")],
    reason: Annotated[list[str] | None, typer.Option(help="Criterion code from the protocol (repeatable).")] = None,
    note: Annotated[str | None, typer.Option(help="Free-text note.")] = None,
    stage: Annotated[str, typer.Option(help="title_abstract or full_text.")] = "title_abstract",
) -> None:
    """Record one decision (a changed decision is a new, audited row)."""
    from screening.decisions.lookup import UnknownRecordError, resolve_source_id
    from screening.decisions.record import DecisionError, record_decision
    from screening.decisions.reviewers import ReviewerError, ensure_reviewer

    project = open_project(directory)
    protocol = project.load_protocol()
    with reported_errors(DecisionError, UnknownRecordError, ReviewerError), project.session() as session:
        reviewer = ensure_reviewer(session, reviewer, actor=reviewer).name  # "ann" decides as "Ann"
        record_id = resolve_source_id(session, source_id)
        record_decision(session, reviewer=reviewer, record_id=record_id, decision=decision, stage=stage,
                        reasons=reason or [], note=note,
                        allowed_reasons=protocol.reason_codes if protocol and protocol.reason_codes else None)
    typer.echo(f"{reviewer}: {decision} {source_id} ({stage})")


def import_decisions_command(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    file: Annotated[Path, typer.Argument(help="CSV with record_id, reviewer, decision[, stage, reason, note].")],
    replace: Annotated[bool, typer.Option(
        "--replace", help="Replace reviewers' current decisions that the file contradicts (audited).")] = False,
) -> None:
    """Import decisions made in another tool; the whole file or nothing.

    Reports rows added, unchanged, changed (other reasons or note) and conflicting (a different current
    decision); conflicting rows refuse the file unless --replace.
    """
    from screening.decisions.import_decisions import DecisionImportError, import_decisions

    project = open_project(directory)
    protocol = project.load_protocol()
    with reported_errors(DecisionImportError, FileNotFoundError):
        summary = import_decisions(project, file, replace=replace,
                                   allowed_reasons=protocol.reason_codes if protocol and protocol.reason_codes
                                   else None)
    typer.echo(summary.describe(file.name))


def export(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    out: Annotated[Path, typer.Option(help="File to write (its folder must exist).")],
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx, ris or asreview.")] = "csv",
    viewer: Annotated[str | None, typer.Option("--as", help=VIEWER_HELP)] = None,
) -> None:
    """Export records with each reviewer's and the final decision.

    csv and xlsx: every record, removed duplicates included (duplicate_of), with reviewers' decisions,
    reasons and notes and the consensus. ris and asreview: one entry per work, removed duplicates listed
    on the kept record.
    """
    from screening.decisions.export import export_project

    with reported_errors(ValueError):  # ReviewerError (unknown --as) is a ValueError
        summary = export_project(open_project(directory), fmt, out, viewer=viewer)
    listed = (f" ({summary.duplicates_listed} removed duplicates listed on their kept records)"
              if summary.duplicates_listed else "")
    typer.echo(f"wrote {summary.records} records to {out}{listed}")


def add_reviewer_command(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    name: Annotated[str, typer.Argument(help="Reviewer name.")],
    role: Annotated[str, typer.Option(help="reviewer, lead or advisor.")] = "reviewer",
    password: Annotated[bool, typer.Option("--password", help="Prompt for a password (hidden).")] = False,
) -> None:
    """Add a reviewer to the project (with --password, sign-in in the app needs it)."""
    from screening.decisions.password_policy import RULE
    from screening.decisions.reviewers import ReviewerError, add_reviewer

    secret = typer.prompt(f"Password ({RULE})", hide_input=True, confirmation_prompt=True) if password else None
    project = open_project(directory)
    with reported_errors(ReviewerError), project.session() as session:
        add_reviewer(session, name, role=role, password=secret, actor="cli")
    typer.echo(f"added {name} ({role})")


def set_password_command(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    name: Annotated[str, typer.Argument(help="Reviewer name.")],
) -> None:
    """Give an existing reviewer a password, or change it (prompted twice, hidden); a lead comes first."""
    from screening.decisions.password_policy import RULE
    from screening.decisions.reviewers import ReviewerError, set_password

    project = open_project(directory)
    secret = typer.prompt(f"New password for {name} ({RULE})", hide_input=True, confirmation_prompt=True)
    with reported_errors(ReviewerError), project.session() as session:
        set_password(session, name, secret, actor="cli")
    typer.echo(f"password set for {name}")


def remove_reviewer_command(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    name: Annotated[str, typer.Argument(help="Reviewer name.")],
    force: Annotated[bool, typer.Option("--force", help="Remove a reviewer who has decisions; the decisions "
                                                        "are kept and still count.")] = False,
    actor: Annotated[str, typer.Option(help="Who removes them (audit log).")] = "cli",
) -> None:
    """Take a reviewer off the team (never the last lead); their decisions stay."""
    from screening.decisions.reviewers import ReviewerError, remove_reviewer

    project = open_project(directory)
    with reported_errors(ReviewerError), project.session() as session:
        kept = remove_reviewer(session, name, actor=actor, force=force)
    typer.echo(f"removed {name}" + (f"; their {kept} decision rows are kept and still count" if kept else ""))


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.command("add-reviewer")(add_reviewer_command)
    app.command("set-password")(set_password_command)
    app.command("remove-reviewer")(remove_reviewer_command)
    app.command("decide")(decide)
    app.command("import-decisions")(import_decisions_command)
    app.command("export")(export)
