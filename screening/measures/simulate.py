"""Replay a labelled dataset as if a reviewer screened it in the order a ranker proposes.

Why: the only honest way to know how much reading a ranker saves (and what a stopping rule costs in
recall) is to let it pick records one at a time, answer with the true label, and let it learn, exactly as
it would in a real review. The same records, prior knowledge and metrics are used for ASReview's orders.

Retrain schedule: the ranker is retrained after every decision while it has few labels and, to keep long
simulations affordable, afterwards whenever the number of labels has grown by at least
``max(1, floor(retrain_growth * labels at the last retrain))`` (default 2 %). Between retrains the reading
order follows the last ranking, as a reviewer's queue would.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from typing import Protocol as TypingProtocol

import numpy as np
import pandas as pd

from screening.measures.certified_replay import CertifiedRun
from screening.measures.metrics import ScreeningMetrics, evaluate, labels_in_order
from screening.measures.stopping import RECOMMENDED_RULE, StopOutcome, evaluate_stopping_rules

if TYPE_CHECKING:
    from screening.protocol.schema import Protocol

StopAt = Literal["last-relevant", "all"]
ENCODER_RANKERS = ("minilm", "static", "tfidf")


class RankerLike(TypingProtocol):
    """What the simulation needs from a ranker (``screening.rank.api.Ranker`` satisfies it)."""

    def update(self, labels: Mapping[int, int]) -> None: ...

    def ranking(self, exclude: Iterable[int] = ()) -> np.ndarray: ...

    def reset(self, seed: int | None = None) -> None: ...


class RandomRanker:
    """The floor every ranker must beat: a fixed random reading order that ignores all labels."""

    def __init__(self, n_records: int, seed: int = 0) -> None:
        self.n_records = n_records
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        """A new random order for ``seed`` (the same order again without one)."""
        if seed is not None:
            self._scores = np.random.default_rng(seed).random(self.n_records)

    def update(self, labels: Mapping[int, int]) -> None:
        """Random reading does not learn."""

    def scores(self) -> np.ndarray:
        return self._scores.copy()

    def ranking(self, exclude: Iterable[int] = ()) -> np.ndarray:
        order = np.argsort(-self._scores, kind="stable")
        excluded = np.fromiter(exclude, dtype=np.int64)
        return order[~np.isin(order, excluded)] if excluded.size else order


def make_ranker(
    name: str,
    titles: Sequence[str | None],
    abstracts: Sequence[str | None],
    protocol: Protocol | None,
    *,
    seed: int = 0,
    cache_dir: Path | None = None,
) -> RankerLike:
    """Build a ranker by name: "random", "default" (the toolkit's ranker) or an encoder model card name."""
    if name == "random":
        return RandomRanker(len(titles), seed=seed)
    if name != "default" and name not in ENCODER_RANKERS:
        raise ValueError(f"unknown ranker {name!r}; choose random, default or one of {list(ENCODER_RANKERS)}")
    from screening.rank.api import Ranker  # heavy (models); only loaded when a real ranker is asked for

    kwargs: dict[str, object] = {"cache_dir": cache_dir, "seed": seed, "progress": False}
    if name != "default":
        kwargs["encoder"] = name
    return Ranker(list(titles), list(abstracts), protocol, **kwargs)


def choose_priors(labels: Sequence[int], n_included: int, n_excluded: int, seed: int) -> list[int]:
    """Pick the prior-knowledge records for a seed: that many random includes, then random excludes."""
    values = np.asarray(labels)
    includes, excludes = np.flatnonzero(values == 1), np.flatnonzero(values == 0)
    if n_included > len(includes) or n_excluded > len(excludes):
        raise ValueError(
            f"asked for {n_included} included and {n_excluded} excluded priors but the data hold "
            f"{len(includes)} included and {len(excludes)} excluded records"
        )
    rng = np.random.default_rng(seed)
    chosen = list(rng.choice(includes, n_included, replace=False)) + list(
        rng.choice(excludes, n_excluded, replace=False)
    )
    return [int(i) for i in chosen]


@dataclass
class SimulationResult:
    ranker: str
    seed: int
    order: list[int]  # positional record indices in reading order, priors first
    record_ids: list[str]  # the same order as the dataset's own record ids
    n_priors: int
    metrics: ScreeningMetrics
    stopping: dict[str, StopOutcome]
    seconds: float
    n_retrains: int
    stop: StopAt
    extra: dict[str, object] = field(default_factory=dict)
    remaining_estimates: list[dict[str, float]] = field(default_factory=list)  # the certified run's checkpoints

    def summary(self) -> dict[str, object]:
        """Flat JSON-ready dict: metrics, stopping outcomes, timing and the reading order."""
        return {
            "ranker": self.ranker,
            "seed": self.seed,
            "stop": self.stop,
            **self.metrics.as_dict(),
            "seconds": round(self.seconds, 3),
            "n_retrains": self.n_retrains,
            "stopping_rules": {name: outcome.as_dict() for name, outcome in self.stopping.items()},
            "recommended_stop": RECOMMENDED_RULE,
            "remaining_estimates": [
                {k: c[k] for k in ("n_screened", "estimate", "lower", "upper", "true_remaining", "method")}
                for c in self.remaining_estimates
            ],
            "prior_ids": self.record_ids[: self.n_priors],
            "order": self.record_ids,
            **self.extra,
        }


def _needs_retrain(n_labels: int, n_at_last_train: int, growth: float) -> bool:
    return n_labels - n_at_last_train >= max(1, math.floor(growth * n_at_last_train))


def replay(
    ranker: RankerLike,
    labels: Sequence[int],
    priors: Sequence[int],
    *,
    stop: StopAt = "last-relevant",
    retrain_growth: float = 0.02,
) -> tuple[list[int], int]:
    """Screen records in the ranker's order, answering with the true labels; return (order, retrains)."""
    values = [int(v) for v in labels]
    n_records, n_included = len(values), sum(values)
    known: dict[int, int] = {int(i): values[int(i)] for i in priors}
    order = list(known)
    found = sum(known.values())
    n_retrains = 0
    if known:
        ranker.update(dict(known))
        n_retrains += 1
    n_at_last_train = len(known)
    queue = iter(ranker.ranking(exclude=order))
    while len(order) < n_records and not (stop == "last-relevant" and found == n_included):
        nxt = next(queue, None)
        if nxt is None:
            raise RuntimeError("the ranker's ranking ended before every record was screened")
        nxt = int(nxt)
        if nxt in known:
            continue
        known[nxt] = values[nxt]
        order.append(nxt)
        found += values[nxt]
        if _needs_retrain(len(known), n_at_last_train, retrain_growth) and len(order) < n_records:
            ranker.update(dict(known))
            n_retrains += 1
            n_at_last_train = len(known)
            queue = iter(ranker.ranking(exclude=order))
    return order, n_retrains


def read_labels(records: pd.DataFrame) -> list[int]:
    """The 0/1 ``label_included`` column; every record must be labelled for a simulation."""
    if "label_included" not in records.columns:
        raise ValueError("the dataset has no label_included column: a simulation needs the true labels")
    raw = pd.to_numeric(records["label_included"].replace("", np.nan), errors="coerce")
    missing = raw.isna() | ~raw.isin([0, 1])
    if missing.any():
        row = int(np.flatnonzero(missing.to_numpy())[0])
        raise ValueError(
            f"label_included must be 0 or 1 for every record; row {row + 1} holds "
            f"{records['label_included'].iloc[row]!r}"
        )
    return raw.astype(int).tolist()


def simulate(
    records: pd.DataFrame,
    labels: Sequence[int] | None = None,
    protocol: Protocol | None = None,
    priors: tuple[int, int] = (1, 1),
    seed: int = 0,
    ranker: str = "default",
    stop: StopAt = "last-relevant",
    *,
    prior_indices: Sequence[int] | None = None,
    cache_dir: Path | None = None,
    retrain_growth: float = 0.02,
    recall_target: float = 0.95,
    confidence: float = 0.95,
    model: RankerLike | None = None,
) -> SimulationResult:
    """Replay ``records`` (title, abstract, record_id columns) with a ranker and score the order.

    ``prior_indices`` fixes the prior records (e.g. the ones ASReview used); otherwise ``priors`` =
    (included, excluded) are drawn at random for ``seed``; (0, 0) starts from the criteria alone.
    ``model``: a ranker already built on these records (reset to ``seed`` before the replay, so its build
    time is not in ``seconds``); otherwise one is built from ``ranker``.
    """
    if stop not in ("last-relevant", "all"):
        raise ValueError(f"stop must be 'last-relevant' or 'all', got {stop!r}")
    values = read_labels(records) if labels is None else [int(v) for v in labels]
    if len(values) != len(records):
        raise ValueError(f"{len(values)} labels for {len(records)} records")
    if prior_indices is None:
        prior_indices = choose_priors(values, priors[0], priors[1], seed)
    started = time.perf_counter()
    if model is None:
        titles, abstracts = record_texts(records)
        model = make_ranker(ranker, titles, abstracts, protocol, seed=seed, cache_dir=cache_dir)
    else:
        model.reset(seed)
    order, n_retrains = replay(model, values, prior_indices, stop=stop, retrain_growth=retrain_growth)
    seconds = time.perf_counter() - started
    ids = (
        records["record_id"].astype(str).tolist()
        if "record_id" in records.columns
        else [str(i) for i in range(len(records))]
    )
    ordered = labels_in_order(order, values)
    certified: list[CertifiedRun] = []
    stopping = evaluate_stopping_rules(ordered, n_priors=len(prior_indices), recall_target=recall_target,
                                       confidence=confidence, seed=seed, certified_runs=certified)
    return SimulationResult(
        ranker=ranker,
        seed=seed,
        order=order,
        record_ids=[ids[i] for i in order],
        n_priors=len(prior_indices),
        metrics=evaluate(order, values, n_priors=len(prior_indices)),
        stopping=stopping,
        seconds=seconds,
        n_retrains=n_retrains,
        stop=stop,
        remaining_estimates=certified[0].checkpoints,
    )


def record_texts(records: pd.DataFrame) -> tuple[list[str | None], list[str | None]]:
    """Titles and abstracts of a labelled frame, missing text as None (what rankers take)."""
    return _text_column(records, "title"), _text_column(records, "abstract")


def _text_column(records: pd.DataFrame, column: str) -> list[str | None]:
    if column not in records.columns:
        return [None] * len(records)
    return [None if pd.isna(v) or v == "" else str(v) for v in records[column].tolist()]
