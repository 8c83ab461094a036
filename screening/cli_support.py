"""Shared CLI plumbing: open a project and turn library errors into a clear message and exit code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from screening.store.project import Project

EXIT_BAD_INPUT = 2


@contextmanager
def reported_errors(*errors: type[Exception]) -> Iterator[None]:
    """Print the message of an expected error (bad file, unknown record, ...) and exit non-zero."""
    try:
        yield
    except errors as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from error


def open_project(directory: Path) -> Project:
    from screening.store.project import ProjectError

    with reported_errors(ProjectError):
        return Project.open(directory)


def record_id_of(project: Project, source_id: str) -> int:
    """The kept record a source id names; UnknownRecordError (a LookupError) when it names none."""
    from screening.decisions.lookup import resolve_source_id

    with project.session() as session:
        return resolve_source_id(session, source_id)
