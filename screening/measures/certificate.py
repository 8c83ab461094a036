"""Certified stopping: a uniform random sample of the unscreened records, read like any other record.

Why: a stopping rule is only defensible if its error rate holds whatever the ranker did. The ranker
chooses which records are read, so no statistic of the ranked reading alone can bound what it left
behind; a sample drawn at random from the records *not yet read* can. This is the design-based idea of
Lewis, Yang & Frieder (2021, "certifying one-phase TAR") and of the random phase of Callaghan &
Müller-Hansen (2020), with the exact (hypergeometric) bound instead of a normal or Horvitz–Thompson
approximation, because a review's remainder often holds only a handful of includes.

The certificate. After ranked reading has found ``r`` includes, ``u`` records are unread. Draw ``K`` of
them uniformly without replacement (each has inclusion probability K/u) and read them: ``k`` includes.
``upper_remaining(k, u, K, a)`` is the largest number D of includes among the u records for which seeing
``k`` or fewer in the sample still has probability > a; the true D exceeds it with probability <= a
(exact, any D). Recall is then at least (r + k) / (r + D_up). Stop when that is >= the target.

Several attempts. If an attempt fails (the sample held too many includes), ranked reading goes on and a
later attempt draws a new sample from what is then unread. Attempt j spends a = alpha / 2**j, so the
chance that any attempt certifies a recall below the target is at most alpha / 2 + alpha / 4 + ... <
alpha (a union bound; each attempt's bound holds given everything read before it, because its sample
is drawn afresh at random from the records then unread).

Assumptions: every sampled record is screened and its decision is the one the review would take
(no assumption at all about the ranker, the order, or the prevalence). What it costs: to rule out m
hidden includes among u records, the sample must miss all of them with probability <= a, which takes
about K = u (1 - a**(1/m)) records; with few includes found (r < 20, so m = 1 or 2) that is most of the
remainder. ``evaluation/results/stopping.md`` shows this cost by review size and prevalence.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

from scipy.stats import hypergeom

Verdict = Literal["stop", "sample", "continue"]


def attempt_alpha(alpha: float, attempt: int, first_share: float = 0.5) -> float:
    """The error attempt ``attempt`` (1, 2, ...) may spend: alpha s (1 - s)**(attempt - 1), s = ``first_share``.

    The shares sum to less than 1 over any number of attempts, so all attempts together err with
    probability < alpha; s = 0.5 gives alpha / 2**attempt.
    """
    if attempt < 1:
        raise ValueError("attempts are numbered from 1")
    if not 0 < first_share < 1:
        raise ValueError("first_share must lie strictly between 0 and 1")
    return alpha * first_share * (1 - first_share) ** (attempt - 1)


def upper_remaining(k: int, population: int, sample: int, alpha: float) -> int:
    """Largest D (includes among ``population`` records) with P(X <= k | D) > alpha, X ~ Hypergeom.

    A one-sided (1 - alpha) upper confidence bound for D from ``k`` includes in a uniform sample of
    ``sample`` records drawn without replacement; exact for every D.
    """
    _check_sample(k, population, sample)
    lo, hi = k, population - (sample - k)  # D cannot be below k, nor leave fewer excludes than seen
    if hypergeom.cdf(k, population, hi, sample) > alpha:
        return hi
    while hi - lo > 1:  # invariant: cdf(lo) > alpha >= cdf(hi); the cdf falls as D grows
        mid = (lo + hi) // 2
        if hypergeom.cdf(k, population, mid, sample) > alpha:
            lo = mid
        else:
            hi = mid
    return lo


def lower_remaining(k: int, population: int, sample: int, alpha: float) -> int:
    """Smallest D with P(X >= k | D) > alpha: the one-sided (1 - alpha) lower bound for D."""
    _check_sample(k, population, sample)
    if k == 0:
        return 0
    lo, hi = k, population - (sample - k)
    if hypergeom.sf(k - 1, population, lo, sample) > alpha:
        return lo
    while hi - lo > 1:  # invariant: sf(lo) <= alpha < sf(hi); the sf rises with D
        mid = (lo + hi) // 2
        if hypergeom.sf(k - 1, population, mid, sample) > alpha:
            hi = mid
        else:
            lo = mid
    return hi


def _check_sample(k: int, population: int, sample: int) -> None:
    if not 0 < sample <= population or not 0 <= k <= sample:
        raise ValueError(f"need 0 <= k <= sample <= population and sample > 0; got k={k}, sample={sample}, "
                         f"population={population}")


def allowed_remaining(found: int, target: float) -> int:
    """Most includes that may be left unfound with ``found`` found and recall still >= ``target``."""
    return math.floor(found / target - found + 1e-9)


def recall_lower_bound(found_before: int, k: int, population: int, sample: int, alpha: float) -> float:
    """Recall at least this (with probability >= 1 - alpha) after ranked reading found ``found_before``
    includes and a sample of ``sample`` of the ``population`` unread records held ``k``."""
    d_up = upper_remaining(k, population, sample, alpha)
    total = found_before + d_up
    return 1.0 if total == 0 else (found_before + k) / total


def sample_size_needed(found: int, unread: int, target: float, alpha: float, max_includes: int = 0) -> int | None:
    """Smallest sample K of the ``unread`` records that certifies ``target`` if it holds <= ``max_includes``
    includes; None when no sample smaller than all the unread records would do.

    A sample of K with k includes certifies iff the bound D_up <= A_k, the most includes the unread
    records may hold with recall still >= target; as the hypergeometric cdf falls with D, that is
    cdf(k; unread, A_k + 1, K) <= alpha: one cdf per candidate K, found by bisection (the cdf falls with K).
    """
    if unread <= 0 or allowed_remaining(found, target) >= unread:
        return 0  # even if every unread record were an include, recall would reach the target
    k = max_includes
    most_left = allowed_remaining(found + k, target) + k  # A_k: includes the unread records may hold
    if most_left + 1 > unread - (max(k, 1) - k):  # the bound can never exceed A_k: the smallest sample does
        return max(k, 1) if max(k, 1) < unread else None

    def certifies(size: int) -> bool:
        return size >= k and hypergeom.cdf(k, unread, most_left + 1, size) <= alpha

    hi = unread - 1
    if hi < 1 or not certifies(hi):
        return None
    lo = max(k, 1)
    if certifies(lo):
        return lo
    while hi - lo > 1:  # invariant: certifies(hi), not certifies(lo)
        mid = (lo + hi) // 2
        if certifies(mid):
            hi = mid
        else:
            lo = mid
    return hi


@dataclass(frozen=True)
class CertifiedPlan:
    """What the recommended method says now: stop, draw a sample, or keep reading in ranked order."""

    verdict: Verdict
    found: int  # includes found so far (ranked reading and earlier samples)
    unread: int
    attempt: int  # the attempt a sample drawn now would be (1 = first)
    alpha: float  # error that attempt may spend
    sample_size: int | None  # records to draw now (None: only reading everything certifies)
    max_includes: int  # the sample certifies if it holds at most this many includes
    run_of_excludes: int  # excludes read in ranked order since the last include or the last sample
    recall_lower: float | None  # after a certified sample: recall is at least this
    reason: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class CertifiedRule:
    """The recommended stopping method: ranked reading, then random samples of the unread records.

    ``trigger``: propose a sample once the ranked reading has shown at least trigger × K excludes in a
    row (K = the sample it would take), i.e. when the ranker appears to have run dry, so that a sample
    is rarely drawn while includes are still coming (a failed attempt costs its K records and halves the
    error the next may spend). ``first_share``: the share of alpha the first attempt spends (each later
    one spends (1 - first_share) of the one before). Neither changes the guarantee, only the cost; both
    were set once for all 30 shared reviews together (``evaluation/stopping_benchmark.py --grid``:
    trigger 0.25 and first share 0.8 saved 10.8 % against 9.3 % for 0.5 / 0.5, all runs reaching 95 %).
    """

    target: float = 0.95
    confidence: float = 0.95
    trigger: float = 0.25
    max_includes: int = 0
    first_share: float = 0.8
    name: str = "certified"

    @property
    def alpha(self) -> float:
        return 1 - self.confidence

    @property
    def assumptions(self) -> str:
        return (f"Uniform random samples of the unread records, each record drawn with known probability "
                f"K/u; exact hypergeometric {self.confidence:.0%} bound on the includes left; attempt j "
                f"spends {self.first_share:g} x {1 - self.first_share:g}^(j-1) of alpha = {self.alpha:.2f}, so all "
                f"attempts together err with probability "
                f"< {self.alpha:.2f}. No assumption about the ranker or the order; every sampled record "
                f"must be screened.")

    def plan(self, found: int, unread: int, attempt: int, run_of_excludes: int) -> CertifiedPlan:
        """The verdict before any sample of attempt ``attempt`` is drawn."""
        alpha = attempt_alpha(self.alpha, attempt, self.first_share)
        size = sample_size_needed(found, unread, self.target, alpha, self.max_includes)
        if size == 0:
            return CertifiedPlan("stop", found, unread, attempt, alpha, 0, self.max_includes, run_of_excludes,
                                 found / (found + unread) if unread else 1.0,
                                 "every record has been screened" if unread == 0 else
                                 f"even if all {unread} unread records were includes, recall would be at least "
                                 f"{self.target:.0%}")
        if size is None:
            return CertifiedPlan("continue", found, unread, attempt, alpha, None, self.max_includes,
                                 run_of_excludes, None,
                                 f"with {found} includes found, no random sample smaller than the {unread} "
                                 f"unread records can certify {self.target:.0%} recall; keep reading")
        if run_of_excludes >= self.trigger * size:
            return CertifiedPlan("sample", found, unread, attempt, alpha, size, self.max_includes,
                                 run_of_excludes, None,
                                 f"screen {size} records drawn at random from the {unread} unread; stop if at "
                                 f"most {self.max_includes} of them are includes")
        return CertifiedPlan("continue", found, unread, attempt, alpha, size, self.max_includes, run_of_excludes,
                             None,
                             f"the ranking still finds includes ({run_of_excludes} excludes in a row); "
                             f"certifying now would take a sample of {size} of the {unread} unread records")

    def judge(self, found_before: int, k: int, population: int, sample: int, alpha: float) -> tuple[bool, float]:
        """After a sample of ``sample`` of ``population`` unread records held ``k`` includes: stop?, bound.

        ``alpha``: the error the sample was drawn to spend (its plan's, as stored with a live sample).
        """
        bound = recall_lower_bound(found_before, k, population, sample, alpha)
        return bound >= self.target - 1e-12, bound
