"""CLI: `screening team DIR` shows and changes how records are screened (decisions per record, blind mode)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import EXIT_BAD_INPUT, open_project

BLIND_CHOICES = {"on": "true", "off": "false"}


def team_command(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    decisions_per_record: Annotated[int | None, typer.Option(
        "--decisions-per-record", help="Independent decisions each record needs: 1 or 2.")] = None,
    blind: Annotated[str | None, typer.Option(
        help="on: reviewers see only their own decisions and resolved records; off: everything.")] = None,
    actor: Annotated[str, typer.Option(help="Who changes the settings (for the audit log).")] = "cli",
) -> None:
    """Print the team settings; with options, change them first (each change is audited)."""
    from screening.decisions.reviewers import list_reviewers
    from screening.store.settings import blind_mode, required_reviewers, set_setting

    if decisions_per_record is not None and decisions_per_record not in (1, 2):
        typer.echo(f"error: --decisions-per-record must be 1 or 2, got {decisions_per_record}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    if blind is not None and blind.lower() not in BLIND_CHOICES:
        typer.echo(f"error: --blind must be on or off, got '{blind}'", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    project = open_project(directory)
    with project.session() as session:
        if decisions_per_record is not None and decisions_per_record != required_reviewers(session):
            set_setting(session, "required_reviewers", str(decisions_per_record), actor=actor)
        if blind is not None and BLIND_CHOICES[blind.lower()] != ("true" if blind_mode(session) else "false"):
            set_setting(session, "blind", BLIND_CHOICES[blind.lower()], actor=actor)
    with project.session() as session:
        required, is_blind = required_reviewers(session), blind_mode(session)
        reviewers = [(r.name, r.role) for r in list_reviewers(session)]
    typer.echo(f"decisions per record: {required}")
    typer.echo(f"blind mode: {'on' if is_blind else 'off'}"
               + (" (independent: each reviewer's queue learns only from their own decisions and resolved "
                  "records)" if is_blind and required >= 2 else ""))
    typer.echo("reviewers: " + (", ".join(f"{name} ({role})" for name, role in reviewers) or "-"))


def register(app: typer.Typer) -> None:
    app.command("team")(team_command)
