"""Benchmark: our ranker (1+1 priors shared with ASReview, and criteria only) vs ASReview elas_u4 vs random.

Why: one command that answers "how much reading does the toolkit save, compared with the open-source
reference, on the same records with the same starting knowledge, and is the stopping rule safe?".

For each dataset and seed:
- ``asreview``: ASReview LAB elas_u4, 1 included + 1 excluded prior (``--prior-seed``/``--seed`` = seed);
  its order is read from the cache (``evaluation/results/asreview_orders``), run when missing (not in
  quick mode, where a missing peer is skipped with a note);
- ``ours_1_1``: our ranker starting from *the same two prior records* ASReview used;
- ``ours_0_0``: our ranker from the eligibility criteria alone (topic line where none were published);
- ``random``: random reading order, the same priors (the floor).
All four orders are scored by ``screening.measures.metrics`` and replayed through the stopping rules.
"""

from __future__ import annotations

import gzip
import json
import re
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from screening.measures.curves import save_recall_grid
from screening.measures.datasets import DEFAULT_DATASETS, SAME_REVIEW, Dataset, dataset_folders, load_dataset
from screening.measures.metrics import evaluate, labels_in_order
from screening.measures.peers import PeerOrder, load_order, run_and_cache
from screening.measures.simulate import RankerLike, choose_priors, make_ranker, record_texts, simulate
from screening.measures.stopping import StopOutcome, evaluate_stopping_rules

if TYPE_CHECKING:
    from screening.protocol.schema import Protocol

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "evaluation" / "results"
ORDERS = RESULTS / "asreview_orders"
QUICK_DATASETS = ("Donners_2021", "Sep_2021")
ARMS = ("ours_1_1", "ours_0_0", "asreview", "random")
FLOOR_FLAG = 0.45  # a run this close to random reading's loss (about 0.5) is flagged in the report
METRICS = ("loss", "wss95", "wss100", "recall_at_10", "rrf10", "atd_fraction", "n_screened_95")
RULES = ("hypergeometric", "knee", "safe", "certified")


def _row(dataset: Dataset, seed: int, arm: str, metrics: dict[str, object], seconds: float,
         stopping: dict[str, StopOutcome]) -> dict[str, object]:
    row: dict[str, object] = {"dataset": dataset.name, "seed": seed, "arm": arm, **metrics,
                              "seconds": round(seconds, 2)}
    for name, outcome in stopping.items():
        row[f"{name}_n_screened"] = outcome.n_screened
        row[f"{name}_recall"] = outcome.recall
        row[f"{name}_work_saved"] = outcome.work_saved
        row[f"{name}_target_met"] = outcome.target_met
    return row


def _peer_order(data: Dataset, seed: int, orders: Path, allow_run: bool) -> PeerOrder | None:
    order = load_order(orders, data.name, seed, data.record_ids)
    if order is not None or not allow_run:
        return order
    return run_and_cache(orders, data.name, data.records, data.labels, seed, data.record_ids)


def _peer_seconds(orders: Path, dataset: str, seed: int) -> float:
    index = orders / "runs.csv"
    if not index.exists():
        return float("nan")
    runs = pd.read_csv(index)
    hit = runs[(runs["dataset"] == dataset) & (runs["seed"] == seed)]
    return float(hit["seconds"].iloc[0]) if len(hit) else float("nan")


ORDERS_FILE = "simulation_orders.jsonl.gz"


def save_orders(path: Path, orders: list[dict[str, object]]) -> None:
    """Every arm's reading order (row indices, priors first), one JSON line per run, so stopping methods
    can be replayed on the same orders without re-running the rankers."""
    tmp = path.with_suffix(".tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as handle:
        for entry in orders:
            handle.write(json.dumps(entry) + "\n")
    tmp.replace(path)


def load_orders(path: Path) -> list[dict[str, object]]:
    """The runs written by ``save_orders`` (empty when the file does not exist)."""
    if not path.exists():
        return []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def benchmark_seed(data: Dataset, seed: int, protocol: Protocol | None, *, ranker: str, orders: Path,
                   allow_peer_run: bool, notes: list[str], model: RankerLike | None = None,
                   saved_orders: list[dict[str, object]] | None = None,
                   ) -> tuple[list[dict[str, object]], dict[str, np.ndarray]]:
    """All arms for one dataset and seed; returns the rows and each arm's order (as labels) for the curves.

    ``saved_orders``: when given, each arm's reading order is appended to it (see ``save_orders``).

    ``model``: our ranker already built on this dataset, reset for each of our arms (built here if None).
    """
    rows: list[dict[str, object]] = []
    curves: dict[str, np.ndarray] = {}
    peer = _peer_order(data, seed, orders, allow_peer_run)
    if peer is None:
        notes.append(f"{data.name} seed {seed}: no cached ASReview order (not run: quick mode or "
                     f"--no-peer-run); ours_1_1 used random priors for this seed")
        priors = choose_priors(data.labels, 1, 1, seed)
    else:
        priors = peer.rows[: peer.n_priors]
        ordered = labels_in_order(peer.rows, data.labels)
        rows.append(_row(data, seed, "asreview", evaluate(peer.rows, data.labels, peer.n_priors).as_dict(),
                         _peer_seconds(orders, data.name, seed),
                         evaluate_stopping_rules(ordered, n_priors=peer.n_priors, seed=seed)))
        curves["asreview"] = ordered
        _keep_order(saved_orders, data, seed, "asreview", list(peer.rows), peer.n_priors)
    for arm, kwargs in (
        ("ours_1_1", {"prior_indices": priors, "ranker": ranker, "model": model}),
        ("ours_0_0", {"priors": (0, 0), "ranker": ranker, "model": model}),
        ("random", {"prior_indices": priors, "ranker": "random"}),
    ):
        result = simulate(data.records, data.labels, protocol, seed=seed, **kwargs)  # type: ignore[arg-type]
        rows.append(_row(data, seed, arm, result.metrics.as_dict(), result.seconds, result.stopping))
        curves[arm] = labels_in_order(result.order, data.labels)
        _keep_order(saved_orders, data, seed, arm, result.order, result.n_priors)
    return rows, curves


def _keep_order(saved: list[dict[str, object]] | None, data: Dataset, seed: int, arm: str,
                order: list[int], n_priors: int) -> None:
    if saved is not None:
        saved.append({"dataset": data.name, "seed": seed, "arm": arm, "n_records": len(data.labels),
                      "n_priors": n_priors, "order": [int(i) for i in order]})


def summarise(runs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per dataset x arm means over seeds; per arm means over datasets; stopping-rule table per arm."""
    by_dataset = runs.groupby(["dataset", "arm"], sort=True)[list(METRICS)].mean().reset_index()
    by_arm = by_dataset.groupby("arm")[list(METRICS)].mean().reindex([a for a in ARMS if a in set(runs["arm"])])
    stop_rows = []
    for arm, group in runs.groupby("arm"):
        for rule in RULES:
            if f"{rule}_target_met" not in group:
                continue
            stop_rows.append({
                "arm": arm, "rule": rule, "runs": len(group),
                "share_recall_ge_95": float(group[f"{rule}_target_met"].astype(bool).mean()),
                "mean_recall": float(group[f"{rule}_recall"].mean()),
                "mean_work_saved": float(group[f"{rule}_work_saved"].mean()),
            })
    return by_dataset, by_arm, pd.DataFrame(stop_rows)


def paired_loss_ratio(runs: pd.DataFrame, ours: str = "ours_1_1", peer: str = "asreview") -> float:
    """Mean loss of ``ours`` over mean loss of ``peer``, on the (dataset, seed) runs both have.

    Each dataset weighs once (mean over its paired seeds), so big datasets with more seeds do not dominate.
    """
    wide = runs.pivot_table(index=["dataset", "seed"], columns="arm", values="loss")
    if ours not in wide or peer not in wide:
        return float("nan")
    paired = wide[[ours, peer]].dropna().groupby(level="dataset").mean()
    return float(paired[ours].mean() / paired[peer].mean()) if len(paired) else float("nan")


def _markdown(frame: pd.DataFrame, floatfmt: str = ".3f") -> str:
    cols = list(frame.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, row in frame.iterrows():
        cells = [format(v, floatfmt) if isinstance(v, float) else str(v) for v in row.tolist()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _floor_flags(runs: pd.DataFrame) -> str:
    """Every run of a ranked arm whose loss comes near random reading's, or a line saying there is none."""
    flagged = runs[(runs["arm"] != "random") & (runs["loss"] > FLOOR_FLAG)]
    if flagged.empty:
        worst = runs[runs["arm"] != "random"].sort_values("loss").iloc[-1]
        return (f"None. The worst ranked run: {worst['arm']} on {worst['dataset']} seed {int(worst['seed'])}, "
                f"loss {worst['loss']:.3f}.")
    return _markdown(flagged[["dataset", "seed", "arm", "loss"]].sort_values("loss", ascending=False))


def write_report(out: Path, runs: pd.DataFrame, wall_seconds: float, notes: list[str], ranker: str) -> str:
    by_dataset, by_arm, stopping = summarise(runs)
    out.mkdir(parents=True, exist_ok=True)
    runs.to_csv(out / "simulation_runs.csv", index=False)
    by_dataset.to_csv(out / "simulation_by_dataset.csv", index=False)
    by_arm.to_csv(out / "simulation_means.csv")
    stopping.to_csv(out / "simulation_stopping.csv", index=False)
    loss_table = by_dataset.pivot(index="dataset", columns="arm", values="loss").reset_index()
    wss_table = by_dataset.pivot(index="dataset", columns="arm", values="wss95").reset_index()
    ratio = paired_loss_ratio(runs)
    seeds = sorted(int(s) for s in runs["seed"].unique())
    text = "\n\n".join([
        "# Screening simulation benchmark",
        f"Ranker `{ranker}`; {runs['dataset'].nunique()} datasets, seeds {seeds}; "
        f"wall time {wall_seconds / 60:.1f} min. Metrics are defined in `screening/measures/metrics.py` and "
        f"applied identically to every arm; ASReview = ASReview LAB elas_u4 with 1+1 priors, and `ours_1_1` "
        f"starts from the same two prior records; `ours_0_0` starts from the criteria alone.",
        f"**Mean loss ours_1_1 / ASReview: {ratio:.3f}** (paired on the dataset/seed runs both have; lower "
        f"is better, < 1 means we beat ASReview).",
        "## Means over datasets (each dataset = mean over its seeds)",
        _markdown(by_arm.reset_index()),
        "## Loss per dataset (mean over seeds)",
        _markdown(loss_table),
        "## WSS@95 per dataset (mean over seeds)",
        _markdown(wss_table),
        f"## Runs near random reading (loss > {FLOOR_FLAG})",
        _floor_flags(runs),
        "## Stopping rules (recall target 95 %, confidence 95 %)",
        "Share of runs in which the rule stopped with recall >= 95 %, mean recall and work saved at the stop.",
        _markdown(stopping),
        "## Notes",
        "\n".join(f"- {n}" for n in [
            *(f"{a} and {b} are the same review (OpenAlex vs PubMed metadata); both are kept, so that review "
              f"weighs twice in the means." for a, b in SAME_REVIEW.items()),
            *notes,
        ]),
    ])
    (out / "simulation_summary.md").write_text(text + "\n", encoding="utf-8")
    return f"mean loss ours_1_1 / asreview = {ratio:.3f}"


def _previous_runs(out: Path) -> tuple[list[dict[str, object]], set[tuple[str, int]], float]:
    """Rows, finished (dataset, seed) units and wall seconds of an earlier run written to ``out``."""
    runs_file, summary = out / "simulation_runs.csv", out / "simulation_summary.md"
    if not runs_file.exists():
        return [], set(), 0.0
    previous = pd.read_csv(runs_file)
    done = {(str(d), int(s)) for d, s in zip(previous["dataset"], previous["seed"], strict=True)}
    match = re.search(r"wall time ([0-9.]+) min", summary.read_text(encoding="utf-8")) if summary.exists() else None
    return previous.to_dict("records"), done, float(match.group(1)) * 60 if match else 0.0


def run_benchmark(datasets: Path | None = None, n_seeds: int = 5, quick: bool = False, out: Path | None = None,
                  ranker: str = "default", orders: Path = ORDERS, run_peer: bool = True,
                  budget_minutes: float = 55.0, resume: bool = False) -> pd.DataFrame:
    """Run every arm on every dataset and write CSV + Markdown tables and a recall-curve grid.

    Seed-major (every dataset gets seed 0 before any gets seed 1, smallest dataset first) under a time
    budget: when the budget is spent no new (dataset, seed) is started (the first always runs), so the run
    ends in time and still covers every dataset once if one seed fits; what was skipped is listed in the
    notes. With ``resume`` the (dataset, seed) runs already in ``out/simulation_runs.csv`` are kept and only
    the missing ones run, so a benchmark cut short by its budget can be completed later.
    """
    from screening.protocol.load import load_protocol

    root = datasets or DEFAULT_DATASETS
    if not root.is_dir():
        raise FileNotFoundError(f"dataset folder {root} does not exist (pass --datasets)")
    folders = dataset_folders(root)
    if quick:
        picked = [f for f in folders if f.name in QUICK_DATASETS]
        folders = picked or folders[:2]
        n_seeds = 1
        out = out or Path(tempfile.mkdtemp(prefix="screening-benchmark-quick-"))
    out = out or RESULTS
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    loaded = [load_dataset(folder) for folder in folders]
    protocols = {d.name: load_protocol(d.criteria_path) if d.criteria_path else None for d in loaded}
    rows, done, wall_before = _previous_runs(out) if resume else ([], set(), 0.0)
    saved_orders = [o for o in load_orders(out / ORDERS_FILE) if (o["dataset"], o["seed"]) in done]
    panels: dict[str, dict[str, np.ndarray]] = {}
    notes: list[str] = []
    if done:
        notes.append(f"resumed: {len(done)} dataset/seed runs kept from the previous run "
                     f"({wall_before / 60:.1f} min); the wall time above adds both parts")
    skipped: list[str] = []
    ran_any = False
    models: dict[str, RankerLike] = {}  # built once per dataset: embedding + protocol scoring, then reset
    for seed in range(n_seeds):
        for data in loaded:
            if (data.name, seed) in done:
                continue
            if ran_any and time.perf_counter() - started > budget_minutes * 60:
                skipped.append(f"{data.name} s{seed}")
                continue
            t0 = time.perf_counter()
            if data.name not in models:
                models[data.name] = make_ranker(ranker, *record_texts(data.records), protocols[data.name], seed=seed)
            unit_rows, curves = benchmark_seed(data, seed, protocols[data.name], ranker=ranker, orders=orders,
                                               allow_peer_run=run_peer and not quick, notes=notes,
                                               model=models[data.name], saved_orders=saved_orders)
            rows += unit_rows
            ran_any = True
            if seed == 0:
                panels[f"{data.name} (N={len(data.labels)}, inc={sum(data.labels)})"] = curves
            losses = {r["arm"]: round(float(r["loss"]), 3) for r in unit_rows}  # type: ignore[arg-type]
            print(f"{data.name} s{seed}: {time.perf_counter() - t0:.0f}s loss {losses}", flush=True)
            pd.DataFrame(rows).to_csv(out / "simulation_runs.partial.csv", index=False)
            save_orders(out / ORDERS_FILE, saved_orders)
    notes.append("our arms' per-run seconds are the replay alone: each dataset's ranker (embedding and "
                 "protocol scoring) is built once, counted in the wall time, and reset for every seed and arm")
    encoders = pd.Series({name: getattr(model, "encoder_name", ranker) for name, model in models.items()})
    for encoder, names in encoders.groupby(encoders).groups.items():
        notes.append(f"our ranker used the {encoder} encoder on {len(names)} dataset(s): {', '.join(sorted(names))}")
    if skipped:
        notes.append(f"time budget of {budget_minutes:g} min spent; not run: {', '.join(skipped)}")
    wall = wall_before + time.perf_counter() - started
    runs = pd.DataFrame(rows)
    headline = write_report(out, runs, wall, notes, ranker)
    if panels or not (out / "simulation_recall_curves.png").exists():  # resumed runs keep the seed-0 grid
        save_recall_grid(out / "simulation_recall_curves.png", panels)
    (out / "simulation_runs.partial.csv").unlink(missing_ok=True)
    for note in notes:
        print(f"note: {note}")
    print(headline)
    print(f"wall time {wall:.0f}s; results in {out}")
    return runs
