"""Tune the active learner by cross-validation over reviews, against ASReview's cached runs.

Why: a setting chosen on the reviews it is scored on flatters the ranker; this script reports the held-out
ratio (settings chosen on 4 folds of reviews, scored on the fifth; folds stratified by size and prevalence,
`screening.measures.cross_validation`) beside the in-sample one. Every setting in the grid is replayed on
every review and seed from the same prior records ASReview used (`evaluation/results/asreview_orders`),
and from the criteria alone (priors 0+0). Runs are kept in a CSV, so a later call with more settings only
computes the new ones.

    python evaluation/tune_ranker.py --seeds 5 --prior-weighting count agreement --ensemble svm svm+nb
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from screening.measures.benchmark import ORDERS
from screening.measures.cross_validation import cross_validate, fold_sizes, held_out_losses, review_folds
from screening.measures.datasets import DEFAULT_DATASETS, dataset_folders, load_dataset
from screening.measures.metrics import evaluate
from screening.measures.peers import load_order
from screening.measures.simulate import make_ranker, record_texts, simulate
from screening.protocol.load import load_protocol
from screening.rank.learner import LearnerConfig, labelled_auc

RESULTS = Path(__file__).parent / "results"
RUNS = RESULTS / "ranker_cv_runs.csv"
REPORT = RESULTS / "ranker_cv.md"
ARMS = ("1+1", "0+0")


class PriorShareRecorder:
    """Wraps a Ranker to note the prior's share of the blend after every retrain (labels read, share)."""

    def __init__(self, ranker) -> None:  # type: ignore[no-untyped-def]
        self.ranker, self.trace = ranker, []

    def reset(self, seed: int | None = None) -> None:
        self.ranker.reset(seed)
        self.trace = []

    def update(self, labels) -> None:  # type: ignore[no-untyped-def]
        self.ranker.update(labels)
        self.trace.append((len(self.ranker.labels), self.ranker.prior_weight().share))

    def ranking(self, exclude=()):  # type: ignore[no-untyped-def]
        return self.ranker.ranking(exclude=exclude)

    def mean_share(self, until: int) -> float:
        """The prior's share averaged over reading positions 1..until (1.0 before the first retrain)."""
        shares = np.ones(until)
        for (start, share), (end, _) in zip(self.trace, [*self.trace[1:], (until, 0.0)], strict=True):
            shares[min(start, until):min(end, until)] = share
        return float(shares.mean()) if until else float("nan")


def setting_name(config: LearnerConfig, exploration: float) -> str:
    name = f"ratio={config.include_ratio:g} half_life={config.prior_half_life:g} C={config.C:g}"
    if config.prior_weighting == "agreement":
        name += f" prior=agreement(k={config.prior_auc_strength:g},ref={config.prior_auc_reference:g})"
    if config.ensemble != "svm":
        name += f" ensemble={config.ensemble}"
    if exploration:
        name += f" explore={exploration:g}"
    return name


def grid(args: argparse.Namespace) -> list[tuple[str, LearnerConfig, float]]:
    settings = {}
    for ratio, half, c, weighting, strength, ensemble, explore in itertools.product(
            args.include_ratio, args.half_life, args.C, args.prior_weighting, args.auc_strength, args.ensemble,
            args.exploration):
        config = replace(LearnerConfig(), include_ratio=ratio, prior_half_life=half, C=c,
                         prior_weighting=weighting, prior_auc_strength=strength, ensemble=ensemble)
        if weighting == "count":  # the strength does not apply: one setting, not one per strength
            config = replace(config, prior_auc_strength=LearnerConfig.prior_auc_strength)
        settings[setting_name(config, explore)] = (config, explore)
    return [(name, config, explore) for name, (config, explore) in settings.items()]


def run_grid(args: argparse.Namespace, settings: list[tuple[str, LearnerConfig, float]],
             done: pd.DataFrame) -> pd.DataFrame:
    """Replay every setting not yet in ``done``; returns the new rows (appended to the runs CSV as they come)."""
    have = set(zip(done["setting"], done["arm"], done["dataset"], done["seed"], strict=True)) if len(done) else set()
    rows: list[dict] = []
    started = time.perf_counter()
    for folder in dataset_folders(args.datasets):
        data = load_dataset(folder)
        wanted = [(name, config, explore, arm, seed) for name, config, explore in settings for arm in args.arms
                  for seed in range(args.seeds) if (name, arm, data.name, seed) not in have]
        if not wanted:
            continue
        protocol = load_protocol(data.criteria_path) if data.criteria_path else None
        ranker = make_ranker(args.ranker, *record_texts(data.records), protocol)
        model = PriorShareRecorder(ranker)
        labels = np.asarray(data.labels)
        prior_auc = labelled_auc(ranker.prior, np.arange(len(labels)), labels)
        peers = {seed: load_order(ORDERS, data.name, seed, data.record_ids) for seed in range(args.seeds)}
        peer_metrics = {seed: evaluate(peer.rows, data.labels, peer.n_priors)
                        for seed, peer in peers.items() if peer is not None}
        new = []
        for name, config, explore, arm, seed in wanted:
            peer = peers[seed]
            if peer is None:
                continue
            asreview = peer_metrics[seed]
            ranker.reset(seed, config)
            ranker.exploration = explore
            kwargs = {"priors": (0, 0)} if arm == "0+0" else {"prior_indices": peer.rows[: peer.n_priors]}
            result = simulate(data.records, data.labels, protocol, seed=seed, model=model, **kwargs)
            n95 = int(np.ceil(result.metrics.n_screened_95)) if np.isfinite(result.metrics.n_screened_95) else 0
            new.append({"setting": name, "arm": arm, "dataset": data.name, "seed": seed,
                        "n_records": len(labels), "prevalence": float(labels.mean()),
                        "loss": result.metrics.loss, "wss95": result.metrics.wss95,
                        "asreview_loss": asreview.loss, "asreview_wss95": asreview.wss95,
                        "prior_auc_all": prior_auc, "prior_share_to_95": model.mean_share(max(n95, 1))})
        if new:
            pd.DataFrame(new).to_csv(args.runs, mode="a", header=not args.runs.exists(), index=False)
            rows += new
        print(f"{data.name}: {len(new)} runs ({time.perf_counter() - started:.0f}s)", flush=True)
    return pd.DataFrame(rows)


def per_review(runs: pd.DataFrame, arm: str) -> pd.DataFrame:
    """One row per (setting, review): means over seeds."""
    return (runs[runs["arm"] == arm].groupby(["setting", "dataset"], as_index=False)
            .mean(numeric_only=True))


def report(runs: pd.DataFrame, n_folds: int, names: list[str]) -> str:
    """The Markdown report: held-out vs in-sample per arm, every setting's ratio, the worst reviews."""
    runs = runs[runs["setting"].isin(names)]
    reviews = runs.groupby("dataset", as_index=False)[["n_records", "prevalence"]].first()
    folds = review_folds(reviews, n_folds)
    seeds = sorted(int(seed) for seed in runs["seed"].unique())
    lines = ["# Ranker tuning by cross-validation over reviews", "",
             f"`python evaluation/tune_ranker.py` — {len(reviews)} reviews × seeds {seeds}, encoder card of "
             f"the harness; {n_folds} folds of reviews {fold_sizes(folds)} stratified by size and prevalence. "
             "Ratio = our mean loss / ASReview elas_u4's mean loss on the same reviews (lower is better). "
             "Held-out: each fold scored with the setting chosen on the other folds (by the 1+1 ratio).", ""]
    result = None  # the 1+1 selection; the 0+0 runs are scored under the same choices
    for arm in ARMS:
        table = per_review(runs, arm)
        if table.empty:
            continue
        if result is None:
            result = cross_validate(table, folds)
        chosen_by_fold = result.chosen
        held = held_out_losses(table, folds, chosen_by_fold)
        in_sample = table[table["setting"] == result.in_sample_best]
        lines += [f"## Priors {arm}", "",
                  f"- held-out ratio: **{held['loss'].mean() / held['asreview_loss'].mean():.3f}**",
                  f"- in-sample ratio of the setting best over all reviews (1+1): "
                  f"{in_sample['loss'].mean() / in_sample['asreview_loss'].mean():.3f} "
                  f"(`{result.in_sample_best}`)", ""]
        ratios = table.groupby("setting").apply(lambda g: g["loss"].mean() / g["asreview_loss"].mean(),
                                                include_groups=False)
        lines += ["| setting | ratio | worst loss | runs above 0.45 |", "|---|---:|---:|---:|"]
        arm_runs = runs[runs["arm"] == arm]
        for name, ratio in ratios.sort_values().items():
            worst = arm_runs[arm_runs["setting"] == name]["loss"]
            lines.append(f"| `{name}` | {ratio:.3f} | {worst.max():.3f} | {int((worst > 0.45).sum())} |")
        lines += ["", "Setting chosen per fold: " + "; ".join(f"fold {f}: `{s}`" for f, s in
                                                            sorted(chosen_by_fold.items())), ""]
        worst = held.sort_values("loss", ascending=False).head(8)
        lines += ["Worst reviews held-out (mean over seeds; prior AUC on all records, the prior's mean share of "
                  "the blend until 95 % recall):", "",
                  "| review | records | prevalence | loss | ASReview | prior AUC | prior share |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for _, row in worst.iterrows():
            lines.append(f"| {row['dataset']} | {row['n_records']:.0f} | {row['prevalence']:.3f} | "
                         f"{row['loss']:.3f} | {row['asreview_loss']:.3f} | {row['prior_auc_all']:.2f} | "
                         f"{row['prior_share_to_95']:.2f} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--ranker", default="static", help="encoder model card (its feature weight applies)")
    parser.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS))
    parser.add_argument("--include-ratio", type=float, nargs="+", default=[LearnerConfig.include_ratio])
    parser.add_argument("--half-life", type=float, nargs="+", default=[LearnerConfig.prior_half_life])
    parser.add_argument("--C", type=float, nargs="+", default=[LearnerConfig.C])
    parser.add_argument("--prior-weighting", nargs="+", choices=["count", "agreement"],
                        default=[LearnerConfig.prior_weighting])
    parser.add_argument("--auc-strength", type=float, nargs="+", default=[LearnerConfig.prior_auc_strength])
    parser.add_argument("--ensemble", nargs="+", choices=["svm", "svm+nb"], default=[LearnerConfig.ensemble])
    parser.add_argument("--exploration", type=float, nargs="+", default=[0.0])
    parser.add_argument("--runs", type=Path, default=RUNS, help="CSV of runs, reused and appended to")
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--all-settings", action="store_true",
                        help="select among every setting in the runs CSV, not only this call's grid")
    args = parser.parse_args()
    settings = grid(args)
    done = pd.read_csv(args.runs) if args.runs.exists() else pd.DataFrame()
    new = run_grid(args, settings, done)
    runs = pd.concat([done, new], ignore_index=True)
    names = sorted(runs["setting"].unique()) if args.all_settings else [name for name, _, _ in settings]
    text = report(runs, args.folds, names)
    args.report.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
