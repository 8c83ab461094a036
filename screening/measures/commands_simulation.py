"""CLI: `screening simulate` (replay one labelled file) and `screening benchmark` (all datasets vs ASReview)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer

if TYPE_CHECKING:
    from screening.protocol.schema import Protocol


def read_labelled_dataset(path: Path) -> pd.DataFrame:
    """Records with record_id, title, abstract, label_included from any import format or a (gzip) CSV."""
    from screening.measures.datasets import read_labelled_csv

    if path.name.lower().endswith(".gz"):
        return read_labelled_csv(path)
    from screening.records.read import read_records

    result = read_records(path)
    return pd.DataFrame(
        {
            "record_id": [r.source_id or str(r.source_position) for r in result.records],
            "title": [r.title or "" for r in result.records],
            "abstract": [r.abstract or "" for r in result.records],
            "label_included": ["" if r.label_included is None else r.label_included for r in result.records],
        }
    )


def load_criteria(criteria: Path | None, protocol: Path | None) -> Protocol | None:
    if criteria and protocol:
        raise typer.BadParameter("give --criteria or --protocol, not both")
    path = criteria or protocol
    if path is None:
        return None
    from screening.protocol.load import load_protocol

    return load_protocol(path)


def parse_priors(text: str) -> tuple[int, int]:
    try:
        included, excluded = (int(part) for part in text.split(","))
    except ValueError:
        raise typer.BadParameter(f"--priors must be INC,EXC (two whole numbers), got {text!r}") from None
    if included < 0 or excluded < 0:
        raise typer.BadParameter("--priors counts cannot be negative")
    return included, excluded


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def _json_safe(value: object) -> object:
    """Plain JSON: numpy scalars become Python numbers, NaN becomes null."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def simulate_command(
    dataset: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Labelled records (any import "
                                            "format, or .csv.gz with label_included).")],
    criteria: Annotated[Path | None, typer.Option("--criteria", exists=True, dir_okay=False,
                                                  help="Eligibility criteria as markdown (criteria.md).")] = None,
    protocol: Annotated[Path | None, typer.Option("--protocol", exists=True, dir_okay=False,
                                                  help="Review protocol YAML.")] = None,
    priors: Annotated[str, typer.Option(help="Prior included,excluded records; 0,0 = criteria only.")] = "1,1",
    seed: Annotated[int, typer.Option(help="Seed for the prior records and the ranker.")] = 0,
    ranker: Annotated[str, typer.Option(help="default, random, minilm, static or tfidf.")] = "default",
    stop: Annotated[str, typer.Option(help="last-relevant or all.")] = "last-relevant",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the full result (with order) as JSON.")]
    = None,
) -> None:
    """Replay a labelled dataset with a ranker: recall metrics, stopping rules and the reading order."""
    from screening.measures.simulate import simulate

    if stop not in ("last-relevant", "all"):
        raise typer.BadParameter(f"--stop must be last-relevant or all, got {stop!r}")
    records = read_labelled_dataset(dataset)
    try:
        result = simulate(records, protocol=load_criteria(criteria, protocol), priors=parse_priors(priors),
                          seed=seed, ranker=ranker, stop=stop)  # type: ignore[arg-type]
    except ValueError as exc:
        raise typer.BadParameter(f"{dataset}: {exc}") from exc
    summary = {"dataset": str(dataset), **result.summary()}
    for key in ("n_records", "n_included", "wss95", "wss100", "recall_at_10", "rrf10", "atd", "loss",
                "n_screened_95", "seconds"):
        typer.echo(f"{key:>14}: {_fmt(summary[key])}")
    for name, outcome in result.stopping.items():
        typer.echo(f"{'stop/' + name:>14}: screened {outcome.n_screened}, recall {outcome.recall:.3f}, "
                   f"work saved {outcome.work_saved:.3f}")
    if json_out:
        json_out.write_text(json.dumps(_json_safe(summary), indent=1), encoding="utf-8")
        typer.echo(f"wrote {json_out}")


def benchmark_command(
    datasets: Annotated[Path | None, typer.Option(file_okay=False, help="Folder of dataset folders "
                                                  "(default ../shared/datasets).")] = None,
    seeds: Annotated[int, typer.Option(help="Seeds per dataset.")] = 5,
    quick: Annotated[bool, typer.Option(help="2 small datasets, 1 seed, cached ASReview orders only.")] = False,
    out: Annotated[Path | None, typer.Option(help="Results folder (default evaluation/results).")] = None,
    ranker: Annotated[str, typer.Option(
        help="Our ranker: default (MiniLM up to 2,000 records, else static) or an encoder name.")] = "default",
    peer_run: Annotated[bool, typer.Option(help="Run ASReview when an order is not cached.")] = True,
    budget_minutes: Annotated[float, typer.Option(help="Start no new dataset/seed after this long.")] = 55.0,
    resume: Annotated[bool, typer.Option(help="Keep the dataset/seed runs already in the results folder; "
                                               "run only the missing ones.")] = False,
) -> None:
    """Benchmark our ranker (priors 1,1 and 0,0) against ASReview elas_u4 and random on every dataset."""
    from screening.measures.benchmark import run_benchmark

    run_benchmark(datasets=datasets, n_seeds=seeds, quick=quick, out=out, ranker=ranker, run_peer=peer_run,
                  budget_minutes=budget_minutes, resume=resume)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `screening` CLI."""
    app.command("simulate")(simulate_command)
    app.command("benchmark")(benchmark_command)
