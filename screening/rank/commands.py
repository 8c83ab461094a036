"""CLI: `screening rank DIR` writes the project's current ranking as CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import open_project, reported_errors


def rank_command(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    encoder: Annotated[str, typer.Option(
        help="Encoder model card (minilm, static, tfidf) or auto: MiniLM up to 2,000 records, else static.")] = "auto",
    out: Annotated[Path, typer.Option(help="CSV file to write.")] = Path("ranking.csv"),
) -> None:
    """Rank the project's records (protocol + current title/abstract decisions); best first."""
    from screening.protocol.errors import ProtocolError
    from screening.rank.api import encoder_for, rank_project
    from screening.rank.model_cards import ModelCardError

    project = open_project(directory)
    with reported_errors(ModelCardError, ProtocolError):
        ranking = rank_project(project, encoder=encoder)
    ranking.drop(columns=["record_id"]).to_csv(out, index=False)
    typer.echo(f"{out}: {len(ranking)} records ranked with {encoder_for(encoder, len(ranking))}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `screening` CLI."""
    app.command("rank")(rank_command)
