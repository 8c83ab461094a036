"""CLI: `screening stopping DIR` — the recommended stopping method's verdict, a sample draw, the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import open_project, reported_errors


def stopping_command(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    draw: Annotated[bool, typer.Option("--draw", help="Draw the random sample the method asks for now "
                                                      "(its records come first in every queue).")] = False,
    force: Annotated[bool, typer.Option(help="With --draw: draw even while the method says continue.")] = False,
    seed: Annotated[int | None, typer.Option(help="Seed of the draw (default: a random one, stored).")] = None,
    actor: Annotated[str, typer.Option("--actor", help="Name recorded in the audit trail for a draw.")] = "cli",
    viewer: Annotated[str | None, typer.Option("--as", help="As this reviewer sees it (blind: own decisions "
                                                            "and resolved records only).")] = None,
    report: Annotated[Path | None, typer.Option(help="Write the stopping report (.md or .html).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the state as JSON.")] = False,
) -> None:
    """Where title/abstract screening stands against 95 % recall at 95 % confidence, and what to do next."""
    from screening.decisions.reviewers import ReviewerError
    from screening.decisions.stopping_samples import SampleError
    from screening.measures.live_stopping import draw_recommended_sample, stopping_state
    from screening.measures.stopping_report import stopping_report_html, stopping_report_markdown
    from screening.output_files import OutputPathError, check_output_path, write_atomically

    project = open_project(directory)
    if report is not None:
        if report.suffix.lower() not in (".md", ".html"):
            typer.echo(f"error: --report must end in .md or .html, got '{report.name}'", err=True)
            raise typer.Exit(2)
        with reported_errors(OutputPathError):
            check_output_path(report)
    if draw and viewer is not None:
        typer.echo("error: a sample is drawn for the team; leave out --as", err=True)
        raise typer.Exit(2)
    with reported_errors(SampleError, ValueError, ReviewerError):
        if draw:
            sample = draw_recommended_sample(project, actor, seed=seed, force=force)
            typer.echo(f"drew sample {sample.attempt}: {sample.size} of {sample.population} unscreened records "
                       f"(seed {sample.seed}); they come first in every reviewer's queue")
        state = stopping_state(project, viewer, actor=actor)
    if state is None:
        typer.echo("nothing screened yet at title/abstract")
        return
    if report is not None:
        title = project.path.name
        text = stopping_report_html(state, title) if report.suffix.lower() == ".html" \
            else stopping_report_markdown(state, title)
        with reported_errors(OutputPathError):
            write_atomically(report, text.encode("utf-8"))
    if as_json:
        est, low, high = state.recall
        typer.echo(json.dumps({
            "verdict": state.verdict, "n_records": state.n_records, "n_screened": state.n_screened,
            "found": state.found, "remaining": state.remaining.as_dict(),
            "recall": {"estimate": est, "lower": low, "upper": high}, "cost_to_certify": state.cost_to_certify,
            "plan": None if state.plan is None else state.plan.as_dict(),
            "samples": [{k: v for k, v in vars(s).items() if k != "record_ids"} for s in state.samples]
            if viewer is None else len(state.samples),
        }, indent=1))
        return
    typer.echo(state.headline())
    typer.echo(f"screened {state.n_screened} of {state.n_records}; includes found {state.found}; "
               f"records to screen before the method can say stop: "
               f"{'all unread' if state.cost_to_certify is None else state.cost_to_certify}")
    if report is not None:
        typer.echo(f"wrote {report}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `screening` CLI."""
    app.command("stopping")(stopping_command)
