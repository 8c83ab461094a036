"""Tune the active learner's settings on all labelled datasets together, against ASReview's cached runs.

Why: the ranker's defaults (`LearnerConfig`, the model cards' `classifier_feature_weight`) must be chosen
on every review at once, never per review, and each choice should be re-checkable. For every setting
given, each dataset's ranker is built once and replayed from the same 1+1 prior records ASReview used
(`evaluation/results/asreview_orders`); the script prints mean loss, the ratio to ASReview's mean loss
and WSS@95 (priors 0+0 with --criteria-only).

    python evaluation/tune_ranker.py --seeds 5 --include-ratio 1 9.8 --half-life 0.5 3
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import pandas as pd

from screening.measures.benchmark import ORDERS
from screening.measures.datasets import DEFAULT_DATASETS, dataset_folders, load_dataset
from screening.measures.metrics import evaluate
from screening.measures.peers import load_order
from screening.measures.simulate import make_ranker, record_texts, simulate
from screening.protocol.load import load_protocol
from screening.rank.learner import LearnerConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--ranker", default="static", help="encoder model card (its feature weight applies)")
    parser.add_argument("--include-ratio", type=float, nargs="+", default=[LearnerConfig.include_ratio])
    parser.add_argument("--half-life", type=float, nargs="+", default=[LearnerConfig.prior_half_life])
    parser.add_argument("--C", type=float, nargs="+", default=[LearnerConfig.C])
    parser.add_argument("--criteria-only", action="store_true", help="start from priors 0+0")
    args = parser.parse_args()
    settings = [LearnerConfig(include_ratio=r, prior_half_life=h, C=c)
                for r, h, c in itertools.product(args.include_ratio, args.half_life, args.C)]
    rows = []
    started = time.perf_counter()
    for folder in dataset_folders(args.datasets):
        data = load_dataset(folder)
        protocol = load_protocol(data.criteria_path) if data.criteria_path else None
        model = make_ranker(args.ranker, *record_texts(data.records), protocol)
        for seed in range(args.seeds):
            peer = load_order(ORDERS, data.name, seed, data.record_ids)
            if peer is None:
                print(f"{data.name} seed {seed}: no cached ASReview order, skipped")
                continue
            priors = peer.rows[: peer.n_priors]
            asreview = evaluate(peer.rows, data.labels, peer.n_priors)
            for config in settings:
                model.reset(seed, config)  # type: ignore[attr-defined]
                kwargs = {"priors": (0, 0)} if args.criteria_only else {"prior_indices": priors}
                result = simulate(data.records, data.labels, protocol, seed=seed, model=model, **kwargs)
                rows.append({"dataset": data.name, "seed": seed, "setting": _name(config),
                             "loss": result.metrics.loss, "wss95": result.metrics.wss95,
                             "asreview_loss": asreview.loss, "asreview_wss95": asreview.wss95})
        print(f"{data.name}: done ({time.perf_counter() - started:.0f}s)", flush=True)
    per_dataset = pd.DataFrame(rows).groupby(["setting", "dataset"]).mean(numeric_only=True)
    means = per_dataset.groupby("setting").mean()
    means["loss_ratio"] = means["loss"] / means["asreview_loss"]
    print(means[["loss", "asreview_loss", "loss_ratio", "wss95", "asreview_wss95"]].round(4).to_string())


def _name(config: LearnerConfig) -> str:
    return f"ratio={config.include_ratio:g} half_life={config.prior_half_life:g} C={config.C:g}"


if __name__ == "__main__":
    main()
