"""How many includes are still unfound: a point estimate and a 95 % interval, and what each assumes.

Why two regimes. Records read in ranked order were *chosen* because they looked relevant, so they say
little about the rest; a random sample of the unread records says everything, but only once it exists.

- After a random sample (``screening.measures.certificate``): design-based. The sample's hypergeometric
  two-sided interval covers the includes D among the records unread when it was drawn; every include
  found in those records since (the sample's own among them) is subtracted exactly. No assumption about
  the ranker; valid for every later moment at once. Point estimate: the unbiased u k / K, less those found.
- Before any sample: the ranked reading alone, with the assumption of Callaghan & Müller-Hansen (2020):
  the most recent ranked records were at least as likely to be includes as the unread ones (the ranker
  puts likely includes first). Under it, the last ``w`` ranked records (w = half of those read after the
  priors) are a conservative stand-in for a random draw from themselves plus the unread records, and the
  hypergeometric bound from them is an upper bound on what is left. The lower bound is 0: without a
  random sample nothing rules out that the ranker has found everything. Point estimate: an
  exponentially decaying include rate fitted to the ranked reading (Poisson likelihood, in the spirit of
  Sneyd & Stevenson's 2021 gain-curve models), kept only if a likelihood-ratio test shows the decay,
  summed over the unread records, kept inside the interval.
  On a random order the fitted decay is ~0, and the estimate is the observed rate × unread (unbiased).

The coverage of both intervals over every checkpoint of the 150 benchmark runs is in
``evaluation/results/stopping.md``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy.optimize import minimize

from screening.measures.certificate import lower_remaining, upper_remaining


@dataclass(frozen=True)
class SampleState:
    """A random sample of the unread records: its size, the unread pool it came from, includes in it."""

    population: int  # records unread when it was drawn
    size: int
    includes: int
    found_since: int  # includes found since among the records then unread (the sample's own included)


@dataclass(frozen=True)
class RemainingEstimate:
    estimate: float
    lower: int
    upper: int
    method: str  # "random sample" or "ranked reading"
    assumptions: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def recall(self, found: int) -> tuple[float, float, float]:
        """Estimated recall so far, with its interval (lower bound from the upper count)."""
        def share(left: float) -> float:
            return 1.0 if found + left == 0 else found / (found + left)
        return share(self.estimate), share(self.upper), share(self.lower)


SAMPLE_ASSUMPTION = ("design-based: a uniform random sample of the records unread at the time; no assumption "
                     "about the ranker")
DECAY_EVIDENCE = 3.84  # chi-squared(1) at 5 %
RANKED_ASSUMPTION = ("assumes the most recent ranked records were at least as likely to be includes as the "
                     "unread ones; lower bound 0 until a random sample is screened")


def estimate_remaining(ranked: np.ndarray, unread: int, confidence: float = 0.95,
                       sample: SampleState | None = None) -> RemainingEstimate:
    """Includes left among ``unread`` records. ``ranked``: labels of the records read in ranked order after
    the priors (oldest first); ``sample``: the latest random sample, if one was screened."""
    alpha = 1 - confidence
    if unread <= 0:
        return RemainingEstimate(0.0, 0, 0, "complete", "every record has been screened")
    if sample is not None:
        lower = lower_remaining(sample.includes, sample.population, sample.size, alpha / 2)
        upper = upper_remaining(sample.includes, sample.population, sample.size, alpha / 2)
        point = sample.population * sample.includes / sample.size
        left = lambda d: min(unread, max(0.0, d - sample.found_since))  # noqa: E731
        return RemainingEstimate(left(point), int(left(lower)), int(left(upper)), "random sample",
                                 SAMPLE_ASSUMPTION)
    ranked = np.asarray(ranked, dtype=np.int64)
    upper = ranked_upper_bound(ranked, unread, alpha)
    point = min(float(upper), decay_estimate(ranked, unread))
    return RemainingEstimate(point, 0, upper, "ranked reading", RANKED_ASSUMPTION)


def ranked_upper_bound(ranked: np.ndarray, unread: int, alpha: float) -> int:
    """Upper bound on the includes left, treating the last half of the ranked reading as a random draw."""
    if ranked.size == 0:
        return unread
    window = ranked[-max(1, ranked.size // 2):]
    w, k = int(window.size), int(window.sum())
    return max(0, min(unread, upper_remaining(k, unread + w, w, alpha) - k))


def decay_estimate(ranked: np.ndarray, unread: int) -> float:
    """Expected includes in the next ``unread`` positions under a fitted rate exp(a + b t), b <= 0."""
    n = int(ranked.size)
    if n == 0:
        return float("nan")
    hits = float(ranked.sum())
    if hits == 0:
        return unread * 0.5 / n  # half an include's worth of evidence, spread like a random order
    t = np.arange(n, dtype=float) / n  # positions scaled to [0, 1) for a well-conditioned fit

    def negative_log_likelihood(params: np.ndarray) -> float:
        a, b = params
        rate = np.exp(a + b * t)
        return float(rate.sum() - hits * a - b * float(t @ ranked))

    start = np.array([math.log(hits / n), 0.0])
    fit = minimize(negative_log_likelihood, start, method="L-BFGS-B", bounds=[(None, None), (-50.0, 0.0)])
    a, b = fit.x
    # Keep the decay only where the data show one (likelihood-ratio test, 5 %): a decay fitted to noise
    # and extrapolated over many unread records would underestimate what is left.
    if 2 * (negative_log_likelihood(start) - fit.fun) < DECAY_EVIDENCE:
        a, b = start
    future = (n + np.arange(unread, dtype=float)) / n
    return float(np.exp(a + b * future).sum())
