"""CLI: `screening appraisal score|consensus|results` - quality appraisal with the protocol's checklist."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import open_project, record_id_of, reported_errors

appraisal_app = typer.Typer(no_args_is_help=True, help="Quality appraisal (e.g. TAPUPAS) of included studies.")
ScoreOption = Annotated[list[str], typer.Option("--score", help="ITEM=SCORE, one per checklist item (repeatable).")]


def _parse_scores(pairs: list[str]) -> dict[str, str]:
    from screening.appraisal.checklist import AppraisalError

    scores: dict[str, str] = {}
    for pair in pairs:
        item, sep, value = pair.partition("=")
        if not sep or not item.strip():
            raise AppraisalError(f"--score {pair!r}: write ITEM=SCORE, e.g. --score T=2")
        scores[item.strip()] = value.strip()
    return scores


@appraisal_app.command("score")
def score(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    source_id: Annotated[str, typer.Argument(help="The included study's source id.")],
    appraiser: Annotated[str, typer.Option(help="Who appraises (with --consensus: the lead or advisor).")],
    scores: ScoreOption,
    consensus: Annotated[bool, typer.Option("--consensus", help="Record the agreed scores of disputed items.")
                         ] = False,
    note: Annotated[str | None, typer.Option()] = None,
) -> None:
    """An appraiser's scores for every item (checked before anything is stored), or with --consensus the
    agreed scores of the items the appraisers disagreed on."""
    from screening.appraisal.checklist import AppraisalError, active_checklist
    from screening.appraisal.scores import record_appraisal_consensus, submit_appraisal
    from screening.decisions.lookup import UnknownRecordError
    from screening.decisions.reviewers import ReviewerError

    project = open_project(directory)
    with reported_errors(AppraisalError, UnknownRecordError, ReviewerError):
        checklist = active_checklist(project.load_protocol())
        write = record_appraisal_consensus if consensus else submit_appraisal
        checked = write(project, checklist, appraiser, record_id=record_id_of(project, source_id),
                        scores=_parse_scores(scores), note=note)
    what = "consensus" if consensus else "total"
    typer.echo(f"{appraiser}: {source_id} {what} {', '.join(f'{k}={v}' for k, v in checked.items())} "
               f"(sum {sum(checked.values())})")


@appraisal_app.command("results")
def results(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Each study's total and status, and the appraisers' agreement (weighted kappa)."""
    from screening.appraisal.agreement import appraisal_agreement
    from screening.appraisal.checklist import AppraisalError, active_checklist
    from screening.appraisal.results import appraisal_results

    project = open_project(directory)
    with reported_errors(AppraisalError):
        checklist = active_checklist(project.load_protocol())
    table = appraisal_results(project, checklist)
    pairs = appraisal_agreement(project, checklist)
    if as_json:
        typer.echo(json.dumps({"checklist": checklist.name, "exclude_below": checklist.exclude_below,
                               "studies": json.loads(table.to_json(orient="records")), "agreement": pairs}, indent=2))
        return
    typer.echo(f"{checklist.name}: exclude below {checklist.exclude_below} of {checklist.max_total}")
    typer.echo(table.to_string(index=False))
    for pair in pairs:
        kappa = pair["weighted_kappa_linear"]
        typer.echo(f"{' x '.join(pair['appraisers'])}: {pair['n']} scores, {pair['percent_agreement']:.0%} agree, "
                   f"weighted kappa (linear) {'-' if kappa is None else f'{kappa:.2f}'}")


def register(app: typer.Typer) -> None:
    app.add_typer(appraisal_app, name="appraisal")
