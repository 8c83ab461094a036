"""CLI: create a project folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import reported_errors
from screening.store.project import Project, ProjectError


def init(
    directory: Annotated[Path, typer.Argument(help="Project folder to create.")],
    protocol: Annotated[Path | None, typer.Option(help="Protocol YAML or criteria markdown.")] = None,
    db: Annotated[str | None, typer.Option(help="SQLAlchemy URL (default: SQLite in the folder).")] = None,
) -> None:
    """Create a screening project folder with its database and a copy of the protocol."""
    from screening.protocol.load import ProtocolError

    with reported_errors(ProjectError, ProtocolError, FileNotFoundError):
        project = Project.init(directory, protocol=protocol, db_url=db)
    typer.echo(f"created project {project.path} ({project.db_url.split('://')[0]})")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
