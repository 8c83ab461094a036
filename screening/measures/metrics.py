"""Recall metrics of a screening order, defined once for our runs and for peers' (ASReview) orders.

A *screening order* is the sequence in which records were (or would be) read; prior knowledge records
are the first items of the order. Every metric below is a function of the order and the true labels only,
so our simulations and ASReview's logged orders are scored by the same code.

Definitions (N = records, Ny = included records, order positions are 1-based):

- ``wss@r`` (Cohen et al. 2006, as used by ASReview): with n the number of records screened when recall
  first reaches r (found / Ny >= r), WSS@r = (TN + FN) / N - (1 - r) = (N - n) / N - (1 - r): the share of
  records left unread, minus the share random reading would have left unread at the same recall.
  (ASReview-insights computes WSS against a rounded random curve instead; the two differ by at most a
  record or two, i.e. by ~1/N.)
- ``recall_at_10``: share of all includes found after screening the first floor(10 % of N) records of the
  order, priors included (they count as screened).
- ``rrf10``: ASReview-insights' "relevant records found" at 10 % (insights ``recall(state, 0.1)``, the
  default ``priors=False``): prior records are removed from the order and from the includes, the x-axis
  stays position / N over all N records, and the value is the share of the non-prior includes found in
  the first floor(0.1 N) screened non-prior records.
- ``atd``: ASReview-insights' average time to discovery: for every include that was not a prior, its
  1-based position in the order with the priors removed; the mean of these positions.
  ``atd_fraction`` divides it by the number of non-prior records, so datasets can be compared.
- ``loss``: ASReview's normalised loss (``asreview.metrics.loss``):
  (Ny (Nx - (Ny - 1) / 2) - sum of the cumulative number of includes found) / (Ny (Nx - Ny)).
  0 for a perfect order (all includes first), 1 for the worst (all includes last). As ASReview 3 does
  when it reports the loss of a simulation, the prior records are removed first (they were given, not
  found): Nx = N - priors, Ny = includes that were not priors.

Priors convention, in short: the ASReview-named metrics (loss, rrf10, atd) remove the priors as ASReview
does; the Cohen-style metrics (wss, recall_at_10, n_screened_*) count the priors as the first records read,
because a real team reads them too.
- ``n_screened_95`` / ``n_screened_100``: records read (priors included) when recall first reaches
  95 % / 100 %.

A partial order (a simulation that stopped at the last relevant record) is completed by appending the
unread records in their original index order; when every include was found this does not change any
metric.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


def labels_in_order(order: Sequence[Any], labels: Sequence[int] | Mapping[Any, int]) -> np.ndarray:
    """Return the 0/1 labels in screening order, the unread records appended in index order.

    ``labels`` is either a sequence indexed by record position (then ``order`` holds positions) or a
    mapping from record id to label (then ``order`` holds ids).
    """
    if isinstance(labels, Mapping):
        keys = list(labels)
        values = np.array([int(labels[k]) for k in keys], dtype=np.int64)
        index_of = {k: i for i, k in enumerate(keys)}
        try:
            positions = [index_of[item] for item in order]
        except KeyError as exc:
            raise ValueError(f"screening order holds id {exc.args[0]!r} that has no label") from None
    else:
        values = np.asarray(labels, dtype=np.int64)
        positions = [int(item) for item in order]
        bad = [p for p in positions if not 0 <= p < len(values)]
        if bad:
            raise ValueError(f"screening order holds position {bad[0]} outside 0..{len(values) - 1}")
    if len(set(positions)) != len(positions):
        raise ValueError("screening order lists a record twice")
    if values.size and not np.isin(values, (0, 1)).all():
        raise ValueError("labels must be 0 (excluded) or 1 (included)")
    seen = np.zeros(len(values), dtype=bool)
    seen[positions] = True
    full = np.concatenate([np.asarray(positions, dtype=np.int64), np.flatnonzero(~seen)])
    return values[full]


def recall_curve(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Records screened (0..N) and includes found after each, for plotting."""
    screened = np.arange(len(ordered) + 1)
    found = np.concatenate([[0], np.cumsum(ordered)])
    return screened, found


def n_screened_for_recall(ordered: np.ndarray, target: float) -> int:
    """Records read when the share of includes found first reaches ``target``."""
    n_included = int(ordered.sum())
    if n_included == 0:
        return 0
    needed = math.ceil(target * n_included - 1e-9)
    if needed <= 0:
        return 0
    return int(np.searchsorted(np.cumsum(ordered), needed) + 1)


def wss(ordered: np.ndarray, target: float) -> float:
    """Work saved over sampling at recall ``target`` (Cohen et al. 2006)."""
    n = len(ordered)
    if n == 0 or ordered.sum() == 0:
        return float("nan")
    return (n - n_screened_for_recall(ordered, target)) / n - (1.0 - target)


def recall_after(ordered: np.ndarray, fraction: float) -> float:
    """Share of the includes found in the first floor(fraction * N) records."""
    n_included = int(ordered.sum())
    if n_included == 0:
        return float("nan")
    k = math.floor(fraction * len(ordered) + 1e-9)
    return float(ordered[:k].sum()) / n_included


def rrf(ordered: np.ndarray, n_priors: int, fraction: float = 0.1) -> float:
    """ASReview-insights' relevant records found at ``fraction`` (priors removed, x over all N)."""
    after_priors = ordered[n_priors:]
    n_included = int(after_priors.sum())
    if n_included == 0:
        return float("nan")
    k = math.floor(fraction * len(ordered) + 1e-9)
    return float(after_priors[:k].sum()) / n_included


def average_time_to_discovery(ordered: np.ndarray, n_priors: int) -> float:
    """ASReview-insights' ATD: mean 1-based position (priors removed) at which each include was read."""
    after_priors = ordered[n_priors:]
    positions = np.flatnonzero(after_priors) + 1
    return float(positions.mean()) if positions.size else float("nan")


def loss(ordered: np.ndarray) -> float:
    """ASReview's normalised loss: 0 = all includes first, 1 = all includes last."""
    nx, ny = len(ordered), int(ordered.sum())
    if ny == 0 or nx == ny:
        return float("nan")
    return float((ny * (nx - (ny - 1) / 2) - np.cumsum(ordered).sum()) / (ny * (nx - ny)))


@dataclass(frozen=True)
class ScreeningMetrics:
    n_records: int
    n_included: int
    n_priors: int
    wss95: float
    wss100: float
    recall_at_10: float
    rrf10: float
    atd: float
    atd_fraction: float
    loss: float
    n_screened_95: int
    n_screened_100: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def evaluate(
    order: Sequence[Any], labels: Sequence[int] | Mapping[Any, int], n_priors: int = 0
) -> ScreeningMetrics:
    """Score a screening order whose first ``n_priors`` items are the prior-knowledge records."""
    ordered = labels_in_order(order, labels)
    if not 0 <= n_priors <= len(order):
        raise ValueError(f"n_priors={n_priors} must lie between 0 and the order's length {len(order)}")
    n_rest = len(ordered) - n_priors
    atd = average_time_to_discovery(ordered, n_priors)
    return ScreeningMetrics(
        n_records=len(ordered),
        n_included=int(ordered.sum()),
        n_priors=n_priors,
        wss95=wss(ordered, 0.95),
        wss100=wss(ordered, 1.0),
        recall_at_10=recall_after(ordered, 0.1),
        rrf10=rrf(ordered, n_priors, 0.1),
        atd=atd,
        atd_fraction=atd / n_rest if n_rest else float("nan"),
        loss=loss(ordered[n_priors:]),
        n_screened_95=n_screened_for_recall(ordered, 0.95),
        n_screened_100=n_screened_for_recall(ordered, 1.0),
    )
