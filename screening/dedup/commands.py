"""CLI: deduplicate a project's records, list the groups, undo a wrong group."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import open_project, reported_errors


def dedup(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    undo: Annotated[int | None, typer.Option(
        "--undo", metavar="GROUP", help="Split this group (id from --list) instead of running dedup.")] = None,
    show: Annotated[bool, typer.Option(
        "--list", help="Show the stored groups (kept record, duplicates) without running dedup.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    actor: Annotated[str, typer.Option(help="Who undoes a group (audit log).")] = "lead",
) -> None:
    """Find duplicate records (DOI, PMID, fuzzy title + year + authors + abstract) and print the PRISMA counts.

    Decisions already made on a duplicate move to its kept record; --undo gives them back.
    """
    from screening.dedup.service import DedupError, current_report, last_run, list_groups, run_dedup, undo_group

    project = open_project(directory)
    payload: dict = {}
    if undo is not None:
        with reported_errors(DedupError):
            members = undo_group(project, undo, actor=actor)
        payload["undone_group"] = {"group": undo, "records": members}
        report = current_report(project)
    elif show:
        report = current_report(project)
    else:
        report = run_dedup(project)
    ran = last_run(project)
    payload["last_run"] = ran.isoformat(timespec="seconds") if ran else None
    payload["counts"] = report.as_dict()
    payload["decisions_carried"], payload["needs_lead"] = report.decisions_carried, report.needs_lead
    groups = list_groups(project) if show else []
    if show:
        payload["groups"] = [
            {"group": g.group_id, "kept": {"id": g.kept_id, "source_id": g.kept_source_id, "title": g.kept_title},
             "duplicates": [source_id for _, source_id in g.duplicates]} for g in groups]
    if as_json:
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if undo is not None:
        typer.echo(f"group {undo} split: records {', '.join(map(str, payload['undone_group']['records']))} "
                   "will not be grouped together again")
    if show and ran is None:
        typer.echo(f"dedup has never run on this project ({report.identified} records identified): "
                   "run `screening dedup DIR` to find duplicates")
        return
    if show:
        typer.echo(f"last dedup run: {payload['last_run']} UTC; {len(groups)} duplicate "
                   f"{'group' if len(groups) == 1 else 'groups'}")
    for group in groups:
        title = (group.kept_title or "(no title)")[:90]
        duplicates = ", ".join(source_id for _, source_id in group.duplicates)
        typer.echo(f"group {group.group_id}: keep {group.kept_source_id} {title!r}; duplicates: {duplicates}")
    typer.echo(f"records identified: {report.identified}")
    typer.echo(f"duplicates removed: {report.duplicates_removed}")
    typer.echo(f"unique records:     {report.unique}")
    typer.echo(f"duplicate groups:   {report.groups}")
    if report.decisions_carried:
        typer.echo(f"decision rows carried to kept records: {report.decisions_carried}")
    for line in report.needs_lead:
        typer.echo(f"needs the lead: {line}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `screening` CLI."""
    app.command("dedup")(dedup)
