"""CLI: `screening embed DIR [--ray ADDRESS|auto]` fills the embedding caches ahead of ranking."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import open_project, reported_errors


def embed_command(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    encoder: Annotated[str, typer.Option(
        help="Encoder as `screening rank` takes it (auto, minilm, static); its zero-shot encoder too.")] = "auto",
    ray: Annotated[str | None, typer.Option(
        "--ray", help="Run on this Ray cluster: ADDRESS (ray://host:10001 or host:6379), 'auto' (the cluster "
                      "this machine joined) or 'local' (start one here). Needs pip install \"screening[ray]\".",
    )] = None,
    workers: Annotated[int | None, typer.Option(help="Ray workers (default: the cluster's CPUs).")] = None,
) -> None:
    """Embed every distinct sentence of the project's records into the cache `screening rank` reads."""
    from screening.embed.ray_runner import RayNotInstalled
    from screening.embed.service import embed_project
    from screening.rank.model_cards import ModelCardError

    project = open_project(directory)
    with reported_errors(ModelCardError, RayNotInstalled, ConnectionError):
        reports = embed_project(project, encoder, ray_address=ray, workers=workers)
    for report in reports:
        typer.echo(report.line())


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `screening` CLI."""
    app.command("embed")(embed_command)
