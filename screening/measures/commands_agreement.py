"""CLI: ``screening agreement DIR`` - agreement between the project's reviewers at one stage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from screening.cli_support import open_project, reported_errors

STAGE_CHOICES = ("title_abstract", "full_text")


def agreement(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    stage: Annotated[str, typer.Option(help="title_abstract or full_text.")] = "title_abstract",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (undefined statistics are null).")] = False,
    viewer: Annotated[str | None, typer.Option(
        "--as", help="As this reviewer sees it (in blind mode: their own decisions and resolved records).")] = None,
) -> None:
    """Inter-rater agreement on current decisions: kappa, PABAK, AC1 per pair; alpha and Fleiss overall."""
    from screening.decisions.queries import current_decisions
    from screening.decisions.reviewers import ReviewerError
    from screening.measures.agreement import agreement_report

    if stage not in STAGE_CHOICES:
        typer.echo(f"error: --stage must be one of {', '.join(STAGE_CHOICES)}, got '{stage}'", err=True)
        raise typer.Exit(2)
    project = open_project(directory)
    try:
        with reported_errors(ValueError, ReviewerError):
            report = agreement_report(current_decisions(project, stage, viewer=viewer), stage)
    finally:
        project.close()
    typer.echo(json.dumps(report, indent=2) if as_json else format_report(report))


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_report(report: dict[str, Any]) -> str:
    """A plain-text table of the agreement report, with a footnote for every undefined statistic."""
    lines = [f"Agreement at stage {report['stage']}"]
    notes: list[str] = []
    if not report["pairs"]:
        lines.append("no pair of reviewers has decided the same record yet")
    else:
        header = f"{'reviewers':<28}{'n':>6}{'agree':>8}{'kappa':>8}{'95% CI':>17}{'PABAK':>8}{'AC1':>8}"
        lines += [header, "-" * len(header)]
        for pair in report["pairs"]:
            ci = pair["cohen_kappa_ci"]
            ci_text = f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "-"
            agree = "-" if pair["percent_agreement"] is None else f"{pair['percent_agreement']:.2f}"
            name = " / ".join(pair["reviewers"])
            lines.append(f"{name:<28}{pair['n']:>6}{agree:>8}{_number(pair['cohen_kappa']):>8}{ci_text:>17}"
                         f"{_number(pair['pabak']):>8}{_number(pair['gwet_ac1']):>8}")
            notes += [f"{name}: {stat} undefined - {why}" for stat, why in pair["undefined"].items()]
    overall = report["overall"]
    lines.append("")
    lines.append(f"records decided by 2+ reviewers: {overall['n_records']}  (reviewers: {overall['n_reviewers']})")
    lines.append(f"Krippendorff's alpha (nominal): {_number(overall['krippendorff_alpha'])}")
    fleiss_basis = (f" (on {overall['fleiss_n_records']} records with {overall['fleiss_n_raters']} reviewers each)"
                    if overall["fleiss_n_raters"] else "")
    lines.append(f"Fleiss' kappa: {_number(overall['fleiss_kappa'])}{fleiss_basis}")
    notes += [f"overall: {stat} undefined - {why}" for stat, why in overall["undefined"].items()]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add ``agreement`` to the ``screening`` CLI."""
    app.command("agreement")(agreement)
