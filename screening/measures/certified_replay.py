"""Replay the certified stopping method on a complete screening order, with the estimate at checkpoints.

Why a replay: the method mixes random samples into the reading, so where it stops depends on which
records the samples hit. Given a reading order (the ranker's, as labels), the replay reads in that order,
draws each sample (seeded) from the records not yet read, skips sampled records when the ranked reading
reaches them, and counts every record read, samples included. The ranker is not retrained on the sampled
records' labels (it was run before): the work saved is what the order gives, the guarantee is unchanged.

After the stop the replay reads on to the end in ranked order, only to give the estimate of the includes
left at evenly spaced checkpoints over the whole reading (for the coverage check); that reading is not
counted in the rule's work saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from screening.measures.certificate import CertifiedPlan, CertifiedRule
from screening.measures.remaining import SampleState, estimate_remaining


@dataclass
class CertifiedRun:
    """Where the method stopped, what it read, and the estimates along the way."""

    stopped: bool
    n_read: int  # records read when it stopped (everything, if it never did)
    found: int
    recall_lower: float
    n_samples: int
    sampled: int  # records read because a sample drew them
    plan: CertifiedPlan | None
    checkpoints: list[dict[str, float]] = field(default_factory=list)


def replay_certified(ordered: np.ndarray, n_priors: int, rule: CertifiedRule, *, seed: int = 0,
                     step: int | None = None, n_checkpoints: int = 20) -> CertifiedRun:
    """Run the certified method over ``ordered`` (labels in reading order, priors first)."""
    ordered = np.asarray(ordered, dtype=np.int64)
    n_records, total = len(ordered), int(ordered.sum())
    step = step or max(1, n_records // 200)
    every = max(1, n_records // n_checkpoints)
    rng = np.random.default_rng(seed)
    read = np.zeros(n_records, dtype=bool)
    read[:n_priors] = True
    n_read, found = n_priors, int(ordered[:n_priors].sum())
    ranked: list[int] = []
    attempt, run, position, sampled, n_samples = 1, 0, n_priors, 0, 0
    sample: SampleState | None = None
    result: CertifiedRun | None = None
    checkpoints: list[dict[str, float]] = []
    next_checkpoint, next_check = n_priors, n_priors

    def checkpoint() -> None:
        estimate = estimate_remaining(np.asarray(ranked), n_records - n_read, rule.confidence, sample)
        checkpoints.append({"n_screened": n_read, "estimate": round(estimate.estimate, 3),
                            "lower": estimate.lower, "upper": estimate.upper, "true_remaining": total - found,
                            "method": estimate.method})

    while n_read < n_records:
        if n_read >= next_checkpoint:
            checkpoint()
            next_checkpoint = n_read + every
        if result is None and n_read >= next_check:
            next_check = n_read + step
            plan = rule.plan(found, n_records - n_read, attempt, run)
            if plan.verdict == "sample" and plan.sample_size:
                pool = np.flatnonzero(~read)
                drawn = rng.choice(pool, plan.sample_size, replace=False)
                hits = int(ordered[drawn].sum())
                read[drawn] = True
                n_read, sampled, n_samples = n_read + plan.sample_size, sampled + plan.sample_size, n_samples + 1
                ok, bound = rule.judge(found, hits, pool.size, plan.sample_size, plan.alpha)
                found += hits
                sample = SampleState(pool.size, plan.sample_size, hits, hits)
                if ok:
                    result = CertifiedRun(True, n_read, found, bound, n_samples, sampled, plan)
                attempt, run = attempt + 1, 0
                continue
        while read[position]:
            position += 1
        read[position] = True
        label = int(ordered[position])
        n_read, found = n_read + 1, found + label
        ranked.append(label)
        run = 0 if label else run + 1
        if sample is not None and label:
            sample = replace(sample, found_since=sample.found_since + label)
    if result is None:
        result = CertifiedRun(False, n_records, total, 1.0, n_samples, sampled, None)
    result.checkpoints = checkpoints
    return result
