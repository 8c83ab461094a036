"""CLI: ``screening protocol FILE`` - check a protocol file and show what the tool will use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import reported_errors


def protocol(
    file: Annotated[Path, typer.Argument(help="Protocol YAML or criteria markdown.")],
    to_yaml: Annotated[bool, typer.Option("--yaml", help="Print the protocol as YAML (e.g. to edit one "
                                                         "read from markdown).")] = False,
) -> None:
    """Validate a protocol; prints its question, concepts and criterion codes, or each problem found."""
    from screening.protocol.errors import ProtocolError
    from screening.protocol.export import protocol_to_yaml
    from screening.protocol.load import load_protocol

    with reported_errors(ProtocolError):
        loaded = load_protocol(file)
    if to_yaml:
        typer.echo(protocol_to_yaml(loaded), nl=False)
        return
    typer.echo(f"{file}: valid protocol")
    typer.echo(f"title: {loaded.title}")
    typer.echo(f"question ({loaded.question.framework}): {loaded.question.text}")
    for name, text in loaded.question.elements.items():
        typer.echo(f"  {name}: {text}")
    for concept in loaded.concepts:
        flag = "required" if concept.required else "optional"
        typer.echo(f"concept {concept.name} ({flag}, {len(concept.synonyms)} synonyms)")
    for criterion in loaded.inclusion + loaded.exclusion:
        typer.echo(f"  {criterion.code}: {criterion.text}")
    if loaded.years:
        typer.echo(f"years: {loaded.years[0]}-{loaded.years[1]}")


def register(app: typer.Typer) -> None:
    """Add ``protocol`` to the ``screening`` CLI."""
    app.command("protocol")(protocol)
