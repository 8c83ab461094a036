"""Screening simulation benchmark: our ranker vs ASReview elas_u4 vs random on every labelled dataset.

Usage:
    python evaluation/benchmark.py [--datasets DIR] [--seeds 5] [--ranker static] [--quick]
                                   [--no-peer-run] [--budget-minutes 55] [--resume]

Writes evaluation/results/simulation_*.{csv,md,png} (quick mode: a temporary folder) and prints the ratio
of our mean loss to ASReview's and the wall time. ASReview orders come from
evaluation/results/asreview_orders (see evaluation/peer_asreview.py); missing ones are run, except in
--quick mode, which never needs ASReview.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from screening.measures.benchmark import run_benchmark
from screening.measures.datasets import DEFAULT_DATASETS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--seeds", type=int, default=5)
    # static: the committed results use it; MiniLM embeds ~23 records/s here (hours for all 54k records).
    parser.add_argument("--ranker", default="static")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="2 small datasets, 1 seed, cached peer orders only")
    parser.add_argument("--no-peer-run", action="store_true", help="use cached ASReview orders only")
    parser.add_argument("--budget-minutes", type=float, default=55.0,
                        help="start no new dataset/seed after this many minutes (seed-major order)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the dataset/seed runs already in the results folder, run only the missing ones")
    args = parser.parse_args()
    run_benchmark(args.datasets, args.seeds, args.quick, args.out, args.ranker, run_peer=not args.no_peer_run,
                  budget_minutes=args.budget_minutes, resume=args.resume)


if __name__ == "__main__":
    main()
