"""Stopping methods on the benchmark's reading orders: reliability, work saved, interval coverage, and the
best any assumption-free method could do.

Usage:
    python evaluation/stopping_benchmark.py [--arm ours_1_1] [--grid] [--seeds 0,1,2,3,4]

Reads evaluation/results/simulation_orders.jsonl.gz (written by evaluation/benchmark.py) and the shared
datasets' labels; replays every stopping rule of `screening.measures.stopping` on each run (target 95 %,
confidence 95 %); writes evaluation/results/stopping.md and stopping.json. ``--grid`` first compares the
certified method's two timing settings (trigger, first_share) over all runs together and prints the table;
the defaults in `CertifiedRule` are what it chose. The settings change only when a sample is drawn and how
the error is split between attempts, never the guarantee.

The bound. A method that is valid whatever the ranking does (no assumption) must, for every set H of m0
records it leaves unread, stop with all of H unread with probability <= alpha, where m0 is the smallest
number of hidden includes that would pull recall under the target: otherwise, in the review where H are
includes (identical up to the moment one of them is read), it would stop too early too often. Averaging
over the sets H gives E[unread excludes / excludes] <= alpha**(1/m0) (Jensen), so the mean work saved is at
most alpha**(1/m0) (1 - R/N) per review, whatever the ranker. This script prints that ceiling.
"""

from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np
import pandas as pd

from screening.measures.benchmark import ORDERS_FILE, RESULTS, _markdown, load_orders
from screening.measures.certificate import CertifiedRule, attempt_alpha, sample_size_needed
from screening.measures.certified_replay import CertifiedRun, replay_certified
from screening.measures.datasets import DEFAULT_DATASETS, dataset_folders, load_dataset
from screening.measures.metrics import labels_in_order
from screening.measures.stopping import RECOMMENDED_RULE, evaluate_stopping_rules

TARGET, CONFIDENCE = 0.95, 0.95
SIZES = ((0, 1000, "< 1,000"), (1000, 5001, "1,000-5,000"), (5001, 10**9, "> 5,000"))


def size_band(n_records: int) -> str:
    return next(label for low, high, label in SIZES if low <= n_records < high)


def ceiling(n_records: int, n_included: int, target: float = TARGET, alpha: float = 1 - CONFIDENCE) -> float:
    """Most work an assumption-free valid method can save on average on this review (see the module doc)."""
    m0 = math.floor(n_included * (1 - target) / target) + 1
    return alpha ** (1 / m0) * (1 - n_included / n_records)


def _runs(arm: str, seeds: set[int]) -> list[tuple[str, int, np.ndarray, int]]:
    orders = [o for o in load_orders(RESULTS / ORDERS_FILE) if o["arm"] == arm and int(o["seed"]) in seeds]
    labels = {f.name: load_dataset(f).labels for f in dataset_folders(DEFAULT_DATASETS)}
    return [(str(o["dataset"]), int(o["seed"]), labels_in_order(o["order"], labels[str(o["dataset"])]),
             int(o["n_priors"])) for o in orders]


def grid(runs: list[tuple[str, int, np.ndarray, int]]) -> pd.DataFrame:
    rows = []
    for trigger in (0.1, 0.25, 0.5, 1.0):
        for first_share in (0.5, 0.8, 0.95):
            rule = CertifiedRule(TARGET, CONFIDENCE, trigger=trigger, first_share=first_share)
            saved, met = [], []
            for _, seed, ordered, n_priors in runs:
                run = replay_certified(ordered, n_priors, rule, seed=seed)
                saved.append(1 - run.n_read / len(ordered))
                met.append(run.found >= TARGET * ordered.sum() - 1e-9)
            rows.append({"trigger": trigger, "first_share": first_share, "mean_work_saved": float(np.mean(saved)),
                         "share_recall_ge_95": float(np.mean(met))})
            print(rows[-1], flush=True)
    return pd.DataFrame(rows)


def evaluate(runs: list[tuple[str, int, np.ndarray, int]], rule: CertifiedRule) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, checkpoints = [], []
    for dataset, seed, ordered, n_priors in runs:
        certified: list[CertifiedRun] = []
        outcomes = evaluate_stopping_rules(ordered, n_priors=n_priors, recall_target=TARGET, confidence=CONFIDENCE,
                                           seed=seed, certified_runs=certified, certified_rule=rule)
        n, r = len(ordered), int(ordered.sum())
        for name, outcome in outcomes.items():
            rows.append({"dataset": dataset, "seed": seed, "n_records": n, "n_included": r, "size": size_band(n),
                         "rule": name, "target_met": outcome.target_met, "work_saved": outcome.work_saved,
                         "recall": outcome.recall, "ceiling": ceiling(n, r)})
        rows[-1]["n_samples"] = certified[0].n_samples
        rows[-1]["sampled"] = certified[0].sampled
        for point in certified[0].checkpoints:
            checkpoints.append({"dataset": dataset, "seed": seed, "size": size_band(n), **point,
                                "covered": point["lower"] <= point["true_remaining"] <= point["upper"]})
    return pd.DataFrame(rows), pd.DataFrame(checkpoints)


def cost_table() -> pd.DataFrame:
    """Share of the unread records a first certifying sample must read, by includes found and unread."""
    rows = []
    first_alpha = attempt_alpha(1 - CONFIDENCE, 1, CertifiedRule().first_share)
    for found in (5, 10, 20, 50, 100, 300, 1000):
        row: dict[str, object] = {"includes found": found}
        for unread in (300, 1000, 5000, 20000, 100000):
            size = sample_size_needed(found, unread, TARGET, first_alpha)
            row[f"{unread:,} unread"] = "all" if size is None else f"{size / unread:.0%}"
        rows.append(row)
    return pd.DataFrame(rows)


def report(rows: pd.DataFrame, points: pd.DataFrame, arm: str, grid_table: pd.DataFrame | None,
           seconds: float) -> str:
    by_rule = rows.groupby("rule").agg(runs=("target_met", "size"), share_recall_ge_95=("target_met", "mean"),
                                       mean_work_saved=("work_saved", "mean")).reset_index()
    by_size = rows.pivot_table(index="rule", columns="size", values=["target_met", "work_saved"],
                               aggfunc="mean")
    by_size.columns = [f"{'met' if a == 'target_met' else 'saved'} {b}" for a, b in by_size.columns]
    runs_per_band = rows[rows["rule"] == RECOMMENDED_RULE].groupby("size").size()
    hyper = rows[rows["rule"] == "hypergeometric"]["work_saved"].mean()
    cert = rows[rows["rule"] == RECOMMENDED_RULE]["work_saved"].mean()
    first = rows.drop_duplicates(["dataset", "seed"])
    ceiling_mean = first.groupby("dataset")["ceiling"].first().mean()
    coverage = points.groupby("method")["covered"].agg(["mean", "size"]).reset_index()
    coverage.columns = ["estimate from", "coverage", "checkpoints"]
    parts = [
        "# Stopping methods on the benchmark's reading orders",
        f"Arm `{arm}` (our ranker, 1+1 priors shared with ASReview); {first['dataset'].nunique()} reviews x "
        f"{first['seed'].nunique()} seeds = {len(first)} runs; recall target {TARGET:.0%}, confidence "
        f"{CONFIDENCE:.0%}. Every rule's work saved counts every record read, random samples included. "
        f"Command: `python evaluation/stopping_benchmark.py` ({seconds / 60:.1f} min).",
        f"**Recommended (`{RECOMMENDED_RULE}`): {cert:.1%} of the reading saved, hypergeometric {hyper:.1%} "
        f"(ratio {cert / hyper:.2f}). The 2x target would need {2 * hyper:.1%}; no method that is valid whatever "
        f"the ranking does can save more than {ceiling_mean:.1%} on these reviews on average** (ceiling "
        f"alpha^(1/m0) (1 - R/N), see below).",
        "## Per rule",
        _markdown(by_rule),
        "## By review size (share of runs reaching 95 % recall, mean work saved)",
        "Runs per band: " + ", ".join(f"{band}: {count}" for band, count in runs_per_band.items()) + ".",
        _markdown(by_size.reset_index()),
        "## Coverage of the 95 % interval for the includes left",
        "Over every checkpoint of every run (about 20 per run, evenly spaced over the whole reading; after a "
        "run stops, the replay reads on in ranked order only to give the estimate).",
        _markdown(coverage),
        "## Why twice the hypergeometric rule's saving cannot be had without assumptions",
        "A method valid whatever the ranker does must, for every set H of m0 unread records (m0 = the "
        "fewest hidden includes that pull recall under the target, floor(R (1 - t) / t) + 1), leave all of H "
        "unread with probability at most alpha: the review in which H are includes looks the same until one of "
        "them is read. Averaging over the sets gives a mean work saved of at most alpha^(1/m0) (1 - R/N) per "
        f"review. With alpha = 0.05 that ceiling averages {ceiling_mean:.1%} over these reviews, below "
        f"{2 * hyper:.1%} = 2 x the hypergeometric rule here. The hypergeometric rule itself is not "
        "assumption-free: it treats the last ranked records as a random draw, which holds when the ranker "
        "is better than random reading; the certified method needs no such assumption and pays for it.",
        "Cost of a certifying sample: share of the unread records a first sample must read to certify 95 % "
        "recall if it holds no include, by includes found so far (R is about prevalence x review size) and "
        "unread records. It depends almost only on the includes found: with fewer than about 20, the sample "
        "is nearly all of the remainder, whatever the review's size.",
        _markdown(cost_table()),
    ]
    if grid_table is not None:
        parts += ["## Timing settings of the certified method (all reviews together, --grid-seeds; one for all)",
                  _markdown(grid_table)]
    return "\n\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arm", default="ours_1_1")
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--grid", action="store_true", help="compare the timing settings first (on --grid-seeds)")
    parser.add_argument("--grid-seeds", default="0")
    args = parser.parse_args()
    started = time.perf_counter()
    runs = _runs(args.arm, {int(s) for s in args.seeds.split(",")})
    if not runs:
        raise SystemExit(f"no {args.arm} orders in {RESULTS / ORDERS_FILE}: run evaluation/benchmark.py first")
    grid_seeds = {int(s) for s in args.grid_seeds.split(",")}
    grid_file = RESULTS / "stopping_grid.csv"
    if args.grid:
        grid_table = grid([run for run in runs if run[1] in grid_seeds])
        grid_table.to_csv(grid_file, index=False)
    else:
        grid_table = pd.read_csv(grid_file) if grid_file.exists() else None
    rule = CertifiedRule(TARGET, CONFIDENCE)
    if grid_table is not None:
        best = grid_table.loc[grid_table["mean_work_saved"].idxmax()]
        print(f"best timing: trigger {best['trigger']}, first_share {best['first_share']} "
              f"(defaults: trigger {rule.trigger}, first_share {rule.first_share})", flush=True)
    rows, points = evaluate(runs, rule)
    text = report(rows, points, args.arm, grid_table, time.perf_counter() - started)
    (RESULTS / "stopping.md").write_text(text, encoding="utf-8")
    summary = rows.groupby("rule")[["target_met", "work_saved"]].mean().to_dict("index")
    (RESULTS / "stopping.json").write_text(json.dumps({
        "arm": args.arm, "runs": int(len(rows) / rows["rule"].nunique()), "rules": summary,
        "coverage": float(points["covered"].mean()), "checkpoints": int(len(points)),
        "ceiling_mean": float(rows.drop_duplicates("dataset")["ceiling"].mean()),
    }, indent=1), encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
