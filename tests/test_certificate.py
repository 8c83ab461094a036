"""The certified stopping method and the estimate of includes left: hand-computed cases and simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import hypergeom

from screening.measures.certificate import (
    CertifiedRule,
    allowed_remaining,
    attempt_alpha,
    lower_remaining,
    recall_lower_bound,
    sample_size_needed,
    upper_remaining,
)
from screening.measures.certified_replay import replay_certified
from screening.measures.remaining import SampleState, decay_estimate, estimate_remaining


def test_upper_bound_by_hand() -> None:
    # 0 includes in 10 of 20 records: D = 1 gives P(0) = 10/20 = 0.5 > 0.05; D = 4 gives
    # C(16,10)/C(20,10) = 8008/184756 = 0.043 <= 0.05 and D = 3 gives C(17,10)/C(20,10) = 0.105 > 0.05.
    assert upper_remaining(0, 20, 10, 0.05) == 3
    assert lower_remaining(0, 20, 10, 0.05) == 0
    # every record sampled: the bound is exact
    assert upper_remaining(2, 30, 30, 0.05) == 2 == lower_remaining(2, 30, 30, 0.05)


def test_bounds_are_the_extreme_values_not_rejected() -> None:
    rng = np.random.default_rng(0)
    for _ in range(200):
        population = int(rng.integers(2, 400))
        sample = int(rng.integers(1, population + 1))
        k = int(rng.integers(0, sample + 1))
        if population - (sample - k) < k:
            continue
        up, low = upper_remaining(k, population, sample, 0.05), lower_remaining(k, population, sample, 0.05)
        assert hypergeom.cdf(k, population, up, sample) > 0.05
        if up < population - (sample - k):
            assert hypergeom.cdf(k, population, up + 1, sample) <= 0.05
        assert k == 0 or hypergeom.sf(k - 1, population, low, sample) > 0.05
        if low > k:
            assert hypergeom.sf(k - 1, population, low - 1, sample) <= 0.05


def test_upper_bound_covers_in_simulation() -> None:
    """A 95 % bound misses the true count in at most about 5 % of random samples (here: exactly checked)."""
    rng = np.random.default_rng(1)
    population, includes, sample = 500, 12, 120
    misses = 0
    for _ in range(4000):
        labels = np.zeros(population, dtype=int)
        labels[:includes] = 1
        k = int(rng.choice(labels, sample, replace=False).sum())
        misses += upper_remaining(k, population, sample, 0.05) < includes
    assert misses / 4000 <= 0.05 + 3 * math.sqrt(0.05 * 0.95 / 4000)


def test_allowed_remaining_and_sample_size_by_hand() -> None:
    assert allowed_remaining(19, 0.95) == 1  # 19 / 20 = 0.95
    assert allowed_remaining(18, 0.95) == 0
    # 19 found, 100 unread: one include may remain, so the sample must rule out D = 2:
    # P(0 | D = 2) = (100-K)(99-K) / (100 * 99) <= 0.025 first holds at K = 84 (16 * 15 / 9900 = 0.0242;
    # K = 83 gives 17 * 16 / 9900 = 0.0275).
    k_needed = sample_size_needed(19, 100, 0.95, 0.025)
    assert k_needed == 84
    assert hypergeom.cdf(0, 100, 2, 84) <= 0.025 < hypergeom.cdf(0, 100, 2, 83)
    assert recall_lower_bound(19, 0, 100, 84, 0.025) == pytest.approx(19 / 20)
    # nothing found: the sample must rule out a single include, P(0 | D = 1) = (100 - K) / 100 <= 0.025
    assert sample_size_needed(0, 100, 0.95, 0.025) == 98
    assert sample_size_needed(0, 30, 0.95, 0.025) is None  # K = 30 * 0.975 = 29.25 > 29: all must be read
    # a few unread records cannot pull recall under the target whatever they hold
    assert sample_size_needed(100, 5, 0.95, 0.025) == 0


def test_sample_size_equals_the_smallest_certifying_sample() -> None:
    for found in (1, 5, 19, 40, 200):
        for unread in (3, 40, 300):
            for k in (0, 1):
                size = sample_size_needed(found, unread, 0.95, 0.0125, k)
                brute = next((s for s in range(max(k, 1), unread)
                              if recall_lower_bound(found, min(k, s), unread, s, 0.0125) >= 0.95 - 1e-12), None)
                if size == 0:
                    assert allowed_remaining(found, 0.95) >= unread
                else:
                    assert size == brute


def test_attempts_spend_less_than_alpha() -> None:
    assert attempt_alpha(0.05, 1) == pytest.approx(0.025)
    assert sum(attempt_alpha(0.05, j, 0.8) for j in range(1, 60)) < 0.05


def test_plan_asks_for_a_sample_only_when_the_ranking_has_run_dry() -> None:
    rule = CertifiedRule(trigger=0.5)
    size = sample_size_needed(200, 3000, 0.95, attempt_alpha(0.05, 1, rule.first_share))
    assert size is not None and size < 3000
    assert rule.plan(200, 3000, 1, run_of_excludes=0).verdict == "continue"
    dry = rule.plan(200, 3000, 1, run_of_excludes=size)
    assert dry.verdict == "sample" and dry.sample_size == size
    assert rule.plan(200, 0, 1, 0).verdict == "stop"


def _ranked_order(rng: np.random.Generator, n: int, includes: int, sharpness: float) -> np.ndarray:
    """Labels in a reading order where includes tend to come early (sharpness 0: random order)."""
    labels = np.zeros(n, dtype=int)
    labels[:includes] = 1
    keys = rng.random(n) - sharpness * labels * rng.random(n)
    return labels[np.argsort(keys)]


def test_certified_method_reaches_the_target_in_95_percent_of_runs_whatever_the_order() -> None:
    """Including an adversarial order (the last includes at the very end), the method errs in <= 5 %."""
    rng = np.random.default_rng(7)
    rule = CertifiedRule()
    met = []
    for run in range(150):
        n, includes = 600, 30
        order = _ranked_order(rng, n, includes, sharpness=2.0)
        if run % 3 == 0:  # adversarial: two includes moved to the end of the order
            hits = np.flatnonzero(order)[-2:]
            order = np.concatenate([np.delete(order, hits), [1, 1]])
        result = replay_certified(order, 0, rule, seed=run)
        met.append(result.found / includes >= 0.95)
    assert np.mean(met) >= 0.95


def test_sampled_records_count_as_read_and_the_stop_is_before_the_end() -> None:
    rng = np.random.default_rng(3)
    order = _ranked_order(rng, 5000, 300, sharpness=5.0)
    result = replay_certified(order, 0, CertifiedRule(), seed=0)
    assert result.stopped and result.n_read < 5000
    assert result.sampled > 0 and result.n_samples >= 1
    assert result.found / 300 >= 0.95
    assert len(result.checkpoints) >= 10


def test_design_based_interval_covers_the_includes_left() -> None:
    """After a random sample, the interval covers the true number left in >= 95 % of draws."""
    rng = np.random.default_rng(5)
    covered = 0
    trials = 2000
    for _ in range(trials):
        unread, left = 800, int(rng.integers(0, 15))
        pool = np.zeros(unread, dtype=int)
        pool[:left] = 1
        drawn = rng.choice(unread, 200, replace=False)
        hits = int(pool[drawn].sum())
        estimate = estimate_remaining(np.zeros(0), unread - 200, 0.95, SampleState(unread, 200, hits, hits))
        covered += estimate.lower <= left - hits <= estimate.upper
    assert covered / trials >= 0.95 - 3 * math.sqrt(0.05 * 0.95 / trials)


def test_estimate_on_a_random_order_is_right_in_expectation() -> None:
    """On a random order the fitted decay is ~0: the estimate is the observed rate times the unread records."""
    rng = np.random.default_rng(11)
    errors = []
    for _ in range(200):
        labels = (rng.random(3000) < 0.04).astype(int)
        read = labels[:1000]
        errors.append(decay_estimate(read, 2000) - labels[1000:].sum())
    assert abs(np.mean(errors)) < 0.1 * 0.04 * 2000  # unbiased within 10 % of the expected 80 left


def test_ranked_estimate_is_an_upper_bound_under_prioritised_reading() -> None:
    rng = np.random.default_rng(2)
    covered = []
    for _ in range(100):
        order = _ranked_order(rng, 2000, 60, sharpness=3.0)
        n = 500
        estimate = estimate_remaining(order[:n], 2000 - n)
        left = int(order[n:].sum())
        covered.append(estimate.lower <= left <= estimate.upper)
        assert estimate.lower == 0 and estimate.method == "ranked reading"
    assert np.mean(covered) >= 0.95
