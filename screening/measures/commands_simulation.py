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


# What each printed key means (the JSON keeps the same keys; metrics.py computes them).
METRIC_MEANINGS = {
    "n_records": "records in the dataset",
    "n_included": "of them labelled included",
    "wss95": "work saved over sampling at 95 % recall (share of records left unread, minus 5 %)",
    "wss100": "work saved over sampling at 100 % recall",
    "recall_at_10": "share of the includes found in the first 10 % of the records",
    "rrf10": "relevant records found after 10 % (ASReview-insights: priors removed)",
    "atd": "average time to discovery: mean position (priors removed) at which an include was read",
    "loss": "ASReview's normalised loss: 0 = every include first, 1 = every include last (random ~0.5)",
    "n_screened_95": "records read to reach 95 % recall",
    "seconds": "wall time of the replay",
}


def _quiet_model_loading() -> None:
    """No download or weight-loading progress bars in the terminal (the ranker itself runs with
    progress=False): Hugging Face Hub, transformers and tqdm read these before the models load."""
    import os

    for variable in ("HF_HUB_DISABLE_PROGRESS_BARS", "TQDM_DISABLE", "TRANSFORMERS_NO_ADVISORY_WARNINGS"):
        os.environ.setdefault(variable, "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _ranker_line(ranker: str, n_records: int) -> str:
    if ranker == "random":
        return "random order"
    from screening.rank.api import DEFAULT_ENCODER, encoder_for

    if ranker != "default":
        return f"{ranker} encoder"
    encoder = encoder_for(DEFAULT_ENCODER, n_records)
    return (f"default: the {encoder} encoder for {n_records:,} records (MiniLM up to 2,000, static above), "
            "zero-shot prior from the criteria, then active learning")


def print_summary(summary: dict, stopping: dict, stop: str, priors: tuple[int, int]) -> None:  # type: ignore[type-arg]
    """The replay's figures, each key with its meaning, and the stopping rules on the padded order."""
    typer.echo(f"{'ranker':>14}: {summary['ranker_resolved']}")
    chosen = summary["prior_ids"]
    typer.echo(f"{'prior records':>14}: {', '.join(map(str, chosen)) if chosen else 'none (criteria only)'}"
               f" ({priors[0]} included, then {priors[1]} excluded, drawn with seed {summary['seed']})")
    for key, meaning in METRIC_MEANINGS.items():
        typer.echo(f"{key:>14}: {_fmt(summary[key]):<10} {meaning}")
    read = len(summary["order"])
    if stop == "last-relevant" and read < summary["n_records"]:
        typer.echo(f"The replay stopped at the last include, after {read} of {summary['n_records']} records; for "
                   "the stopping rules the unread records are appended (in file order, all irrelevant by then), "
                   f"so a rule that had not fired by record {read} reads on into them.")
    for name, outcome in stopping.items():
        fired = "stops" if outcome.stopped else "never fires: everything read"
        typer.echo(f"{'stop/' + name:>14}: {fired}, screened {outcome.n_screened}, recall {outcome.recall:.3f}, "
                   f"work saved {outcome.work_saved:.3f}")


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
    _quiet_model_loading()
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
    print_summary({**summary, "ranker_resolved": _ranker_line(ranker, len(records))}, result.stopping, stop,
                  parse_priors(priors))
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
