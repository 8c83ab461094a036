"""CLI: `screening rank DIR` writes the current ranking as CSV; `screening queue` prints a reviewer's queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from screening.cli_support import open_project, reported_errors

AS_HELP = "Rank as this reviewer sees it (in blind mode: their own decisions and resolved records only)."


def rank_command(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    encoder: Annotated[str, typer.Option(
        help="Encoder model card (minilm, static, tfidf) or auto: MiniLM up to 2,000 records, else static.")] = "auto",
    out: Annotated[Path, typer.Option(help="CSV file to write (its folder must exist).")] = Path("ranking.csv"),
    viewer: Annotated[str | None, typer.Option("--as", help=AS_HELP)] = None,
) -> None:
    """Rank the project's records (protocol + current title/abstract decisions); best first."""
    from screening.decisions.reviewers import ReviewerError
    from screening.output_files import OutputPathError, check_output_path, write_atomically
    from screening.protocol.errors import ProtocolError
    from screening.rank.api import encoder_for, rank_project
    from screening.rank.model_cards import ModelCardError
    from screening.spreadsheet import csv_bytes

    project = open_project(directory)
    with reported_errors(OutputPathError):
        check_output_path(out)  # before ranking, which can take minutes
    with reported_errors(ModelCardError, ProtocolError, ReviewerError):
        ranking = rank_project(project, encoder=encoder, viewer=viewer)
    with reported_errors(OutputPathError):
        write_atomically(out, csv_bytes(ranking.drop(columns=["record_id"])))
    typer.echo(f"{out}: {len(ranking)} records ranked with {encoder_for(encoder, len(ranking))}")


def queue_command(
    directory: Annotated[Path, typer.Argument(help="Project folder.")],
    reviewer: Annotated[str, typer.Option(help="Whose queue.")],
    stage: Annotated[str, typer.Option(help="title_abstract or full_text.")] = "title_abstract",
    limit: Annotated[int | None, typer.Option(min=1, help="Show only the first N records.")] = None,
    encoder: Annotated[str | None, typer.Option(
        help="Encoder model card; default: the one the app ranks with once ready "
             "($SCREENING_APP_ENCODER, else auto).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON: rank, source_id, title, score.")] = False,
) -> None:
    """A reviewer's next records in exactly the order the app shows them once its ranking is ready."""
    from screening.decisions.reviewers import ReviewerError
    from screening.protocol.errors import ProtocolError
    from screening.rank.model_cards import ModelCardError
    from screening.rank.project_data import load_records
    from screening.rank.queue import best_encoder, build_project_ranker, label_scope, reviewer_queue
    from screening.store.schema import STAGES

    if stage not in STAGES:
        typer.echo(f"error: --stage must be one of {', '.join(STAGES)}, got '{stage}'", err=True)
        raise typer.Exit(2)
    project = open_project(directory)
    with reported_errors(ModelCardError, ProtocolError, ReviewerError):
        label_scope(project, reviewer)  # an unknown reviewer fails here, before any model is built
        records = load_records(project)
        ranker = build_project_ranker(project, project.load_protocol(), encoder or best_encoder(len(records)),
                                      records=records)
        order = reviewer_queue(project, reviewer, stage, ranker)
    shown = order[:limit] if limit else order
    learner = ranker.learner(label_scope(project, reviewer))
    scores = learner.scores()
    by_id = records.set_index("record_id")
    rows = [{"rank": i, "source_id": str(by_id.at[rid, "source_id"]), "title": by_id.at[rid, "title"] or "",
             "score": round(float(scores.get(rid, float("nan"))), 6)} for i, rid in enumerate(shown, start=1)]
    if as_json:
        typer.echo(json.dumps(rows, indent=1, ensure_ascii=False))
        return
    typer.echo(f"{reviewer}: {len(order)} records to screen at {stage}, ranked with {ranker.encoder} "
               f"on {len(learner.labels)} labels")
    for row in rows:
        typer.echo(f"{row['rank']:>5}  {row['score']:>9.4f}  {row['source_id']}  {row['title'][:90]}")
def build_models_command() -> None:
    """Build the local model files (make setup runs this): MiniLM's ONNX int8 graph from the checked
    weights, and the static (model2vec) embeddings distilled from them."""
    from screening.rank.encoders import ensure_static_model
    from screening.rank.model_cards import ModelCardError, available_cards, load_card
    from screening.rank.onnx_build import build_onnx

    with reported_errors(ModelCardError):
        for name in available_cards():
            card = load_card(name)
            if card.onnx is not None:
                path = build_onnx(card)
                typer.echo(f"{name}: ONNX int8 build verified (sha256 {card.onnx.sha256[:12]}...) at {path}")
            if card.weights.get("kind") == "distilled":
                typer.echo(f"{name}: static embeddings distilled at {ensure_static_model(card)}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `screening` CLI."""
    app.command("rank")(rank_command)
    app.command("queue")(queue_command)
    app.command("build-models")(build_models_command)
