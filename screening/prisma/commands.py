"""CLI: `screening prisma DIR` - the PRISMA 2020 counts (--json, R package field names) and diagram (--out)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import EXIT_BAD_INPUT, open_project, reported_errors


def prisma(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON (PRISMA2020 field names).")
                       ] = False,
    out: Annotated[Path | None, typer.Option(help="Draw the diagram to this .svg, .png or .pdf file.")] = None,
    draft: Annotated[bool, typer.Option("--draft", help="Draw even when the counts do not add up yet.")] = False,
) -> None:
    """PRISMA 2020 flow counts from the database, checked for consistency, and the flow diagram."""
    from screening.prisma.checks import check_flow
    from screening.prisma.counts import prisma_flow
    from screening.prisma.diagram import FORMATS, render_flow
    from screening.protocol.errors import ProtocolError

    project = open_project(directory)
    with reported_errors(ProtocolError):
        flow = prisma_flow(project, project.load_protocol())
    checks = check_flow(flow)
    fields = flow.fields()
    if as_json:
        typer.echo(json.dumps({"fields": fields, "problems": checks.problems, "notes": checks.notes}, indent=2,
                              ensure_ascii=False))
    else:
        for name, value in fields.items():
            typer.echo(f"{name:>28}: {value}")
        for line in checks.problems:
            typer.echo(f"problem: {line}", err=True)
        for line in checks.notes:
            typer.echo(f"note: {line}", err=True)
    if out is not None:
        fmt = out.suffix.lower().lstrip(".")
        if fmt not in FORMATS:
            typer.echo(f"error: --out must end in {', '.join('.' + f for f in FORMATS)}, got '{out.name}'", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)
        if not checks.consistent and not draft:
            typer.echo(f"error: the counts do not add up ({len(checks.problems)} problem(s) above), so no "
                       "diagram was drawn; finish those steps, or pass --draft", err=True)
            raise typer.Exit(EXIT_BAD_INPUT)
        title = None if checks.consistent else "DRAFT - the counts do not add up yet"
        out.write_bytes(render_flow(flow, fmt, title))
        typer.echo(f"wrote {out}", err=as_json)


def register(app: typer.Typer) -> None:
    app.command("prisma")(prisma)
