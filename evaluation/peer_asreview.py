"""Run ASReview LAB (elas_u4) simulations for every dataset and seed; cache the reading orders.

Usage: python evaluation/peer_asreview.py [--datasets DIR] [--seeds 0,1,2,3,4] [--only NAME ...] [--force]

Creates the ASReview venv (``$ASREVIEW_VENV``, default /work/asreview-venv) if absent. Runs one
simulation at a time, niced, each from a scratch folder; stops at the last relevant record (ASReview's
default). Seed-major order: all datasets get seed 0 before any gets seed 1. ASReview refits its model when
the labels have grown by max(1, 2 %), the retrain schedule of our own simulation (see
screening/measures/asreview_batched.py): with one fit per label the 30 x 5 runs take many hours here.
Orders go to evaluation/results/asreview_orders/<dataset>_s<seed>.csv.gz, timings and
ASReview's own reported loss to evaluation/results/asreview_orders/runs.csv.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from screening.measures.benchmark import ORDERS
from screening.measures.datasets import DEFAULT_DATASETS, dataset_folders, load_dataset
from screening.measures.peers import ensure_asreview, order_path, run_and_cache


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--only", nargs="*", default=None, help="dataset names to run (default: all)")
    parser.add_argument("--force", action="store_true", help="re-run even when an order is cached")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    exe = ensure_asreview()
    started = time.perf_counter()
    # Seed-major: every dataset gets seed 0 before any gets seed 1, so a cut-short run still covers all.
    folders = [f for f in dataset_folders(args.datasets) if not args.only or f.name in args.only]
    for seed in seeds:
        for folder in folders:
            if order_path(ORDERS, folder.name, seed).exists() and not args.force:
                continue
            data = load_dataset(folder)
            order = run_and_cache(ORDERS, data.name, data.records, data.labels, seed, data.record_ids, exe=exe)
            print(f"{data.name} s{seed}: {len(order.rows)}/{len(data.labels)} labelled, "
                  f"{order.seconds:.1f}s, loss {order.reported_loss:.3f}", flush=True)
    print(f"total {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
