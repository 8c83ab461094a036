"""Stopping rules: "may the team stop screening now?", each with its estimate and stated assumptions.

Why: prioritised screening only saves work if the team stops before the end, and stopping early is only
defensible with a rule whose assumptions are written down. Three families are offered:

- ``HypergeometricRule``: the statistical stopping criterion of Callaghan & Müller-Hansen (2020,
  Systematic Reviews 9:262, "buscar"). For every window of the last n screened records (n = 1 .. all
  screened after the priors) holding k includes, H0 "recall < target" implies the urn made of that window
  plus the unscreened records holds at least K = floor(r_seen / target - r_before_window + 1) includes.
  The p-value of seeing k or fewer includes in n draws from that urn is the hypergeometric cdf; the
  smallest p over the windows below 1 - confidence rejects H0, and screening may stop.
  Assumption: the screened records of a window were no *more* likely to be relevant than the unscreened
  ones were to be picked at random; prioritised screening makes the test conservative, never optimistic.
- ``SafeRule``: a SAFE-style heuristic (Boetje & van de Schoot 2024). A random sample estimates the
  prevalence p; screening stops after a run of N consecutive irrelevant records where
  N = ceil(ln(alpha) / ln(1 - p)) is the run that random reading would produce with probability < alpha.
  Assumption: the sample is representative and the ranker has run out of relevant records when it
  shows a run longer than random reading would; no formal recall guarantee.
- ``KneeRule``: Cormack & Grossman (2016) knee method. The knee of the gain curve (records screened vs
  relevant found) is the point farthest above the line from the origin to the current point; the slope
  ratio rho = (rel_knee / knee) / ((rel_now - rel_knee + 1) / (screened - knee)). Stop when at least 150
  records were screened and rho >= 156 - min(rel_now, 150) (i.e. rho >= 6 once 150 relevant were found;
  the stricter threshold protects topics with few relevant records). Assumption: the gain curve flattens
  once the relevant records run out; no formal recall guarantee.

- ``certified`` (``screening.measures.certificate``): the recommended method. Ranked reading, then
  uniform random samples of the unread records with an exact hypergeometric bound; no assumption about
  the ranker. Replayed by ``screening.measures.certified_replay``; its work saved counts the samples.

``evaluate_stopping_rules`` replays a screening order and reports where each rule would have stopped, the
recall reached there and the work saved. Rules are checked every ``step`` records (0.5 % of the records by
default), so the reported stopping point can be at most that many records late.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import hypergeom

from screening.measures.certificate import CertifiedRule
from screening.measures.certified_replay import CertifiedRun, replay_certified

RECOMMENDED_RULE = CertifiedRule.name


@dataclass(frozen=True)
class StopDecision:
    """A rule's answer at one moment: stop or not, its estimate, and what it assumes."""

    stop: bool
    estimate: float
    estimate_name: str
    assumptions: str


@dataclass(frozen=True)
class StopOutcome:
    """Where a rule would have stopped a replayed screening and what that cost."""

    rule: str
    stopped: bool  # False: the rule never fired, the whole set was read
    n_screened: int
    recall: float
    work_saved: float  # share of the records left unread
    target_met: bool
    estimate: float
    estimate_name: str
    assumptions: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class HypergeometricRule:
    """Callaghan & Müller-Hansen (2020): stop when H0 "recall < target" is rejected at ``confidence``."""

    name = "hypergeometric"

    def __init__(self, recall_target: float = 0.95, confidence: float = 0.95) -> None:
        if not 0 < recall_target < 1 or not 0 < confidence < 1:
            raise ValueError("recall_target and confidence must lie strictly between 0 and 1")
        self.recall_target = recall_target
        self.confidence = confidence
        self.assumptions = (
            f"Tests H0 'recall < {recall_target:.0%}' on every window of the last screened records as if "
            f"drawn at random from the window plus the unscreened records (hypergeometric); stops when "
            f"p < {1 - confidence:.2f}. Prioritised order makes the test conservative."
        )

    def p_value(self, screened: np.ndarray, n_records: int, n_priors: int = 0) -> float:
        """Smallest p-value over the windows of the last screened (non-prior) records."""
        screened = np.asarray(screened, dtype=np.int64)
        n_seen = len(screened)
        if n_seen >= n_records:
            return 0.0
        r_seen = int(screened.sum())
        tail = screened[n_priors:][::-1]
        if tail.size == 0:
            return 1.0
        # For a fixed k, a longer window (more irrelevant draws from a larger urn) gives a smaller p, so
        # only the longest window per k is tested: those ending just before the next include, or at the
        # oldest non-prior record. This keeps one check at O(includes) instead of O(screened).
        ends = np.append(np.flatnonzero(tail[1:]), tail.size - 1)
        n_vec = ends + 1
        k_vec = np.cumsum(tail)[ends]
        r_before = r_seen - k_vec
        k_h0 = np.floor(r_seen / self.recall_target - r_before + 1)
        urn = n_records - n_seen + n_vec
        possible = k_h0 <= urn  # otherwise H0 needs more includes than the urn can hold: p = 0
        p = np.zeros(n_vec.size)
        p[possible] = hypergeom.cdf(k_vec[possible], urn[possible], k_h0[possible], n_vec[possible])
        return float(p.min())

    def check(self, screened: np.ndarray, n_records: int, n_priors: int = 0) -> StopDecision:
        p = self.p_value(screened, n_records, n_priors)
        return StopDecision(p < 1 - self.confidence, p, "p_value", self.assumptions)


class SafeRule:
    """SAFE-style heuristic: stop after a run of irrelevant records that random reading would rarely give."""

    name = "safe"

    def __init__(self, sample_labels: np.ndarray, alpha: float = 0.05, min_run: int = 50) -> None:
        sample = np.asarray(sample_labels, dtype=np.int64)
        if sample.size == 0:
            raise ValueError("the SAFE rule needs a non-empty random sample to estimate prevalence")
        # Half a record as continuity correction, so a sample without includes still gives a finite run.
        self.prevalence = max(float(sample.sum()), 0.5) / sample.size
        self.run_needed = max(min_run, math.ceil(math.log(alpha) / math.log(1 - min(self.prevalence, 0.99))))
        self.assumptions = (
            f"Random sample of {sample.size} records estimates prevalence {self.prevalence:.3f}; stops after "
            f"{self.run_needed} consecutive irrelevant records (random reading gives such a run with "
            f"probability < {alpha}). Heuristic: no recall guarantee."
        )

    def check(self, stream: np.ndarray) -> StopDecision:
        """``stream``: labels of the records read in ranked order after the sample, oldest first."""
        stream = np.asarray(stream, dtype=np.int64)
        hits = np.flatnonzero(stream)
        run = stream.size - (int(hits[-1]) + 1 if hits.size else 0)
        return StopDecision(run >= self.run_needed, float(self.run_needed), "run_needed", self.assumptions)


class KneeRule:
    """Cormack & Grossman (2016) knee method with their adjustment for topics with few relevant records."""

    name = "knee"
    assumptions = (
        "Stops when at least 150 records were screened and the slope ratio before/after the knee of the "
        "gain curve reaches 156 - min(relevant found, 150). Heuristic: no recall guarantee."
    )

    def __init__(self, min_screened: int = 150) -> None:
        self.min_screened = min_screened

    @staticmethod
    def slope_ratio(screened: np.ndarray) -> float:
        screened = np.asarray(screened, dtype=np.int64)
        s = screened.size
        if s < 2:
            return 0.0
        found = np.cumsum(screened)
        r_s = int(found[-1])
        if r_s == 0:
            return 0.0
        positions = np.arange(1, s + 1)
        knee = int(np.argmax(s * found - r_s * positions)) + 1  # farthest above the origin-to-now line
        if knee >= s:
            return 0.0
        r_knee = int(found[knee - 1])
        return (r_knee / knee) / ((r_s - r_knee + 1) / (s - knee))

    def check(self, screened: np.ndarray) -> StopDecision:
        screened = np.asarray(screened, dtype=np.int64)
        rho = self.slope_ratio(screened)
        threshold = 156 - min(int(screened.sum()), 150)
        stop = screened.size >= self.min_screened and rho >= threshold
        return StopDecision(stop, rho, "slope_ratio", self.assumptions)


def _outcome(rule: str, ordered: np.ndarray, n_read: int, found: int, stopped: bool, decision: StopDecision,
             target: float) -> StopOutcome:
    """The outcome of a rule that read ``n_read`` records of ``ordered`` and found ``found`` includes."""
    n_records, n_included = len(ordered), int(ordered.sum())
    recall = found / n_included if n_included else float("nan")
    return StopOutcome(
        rule=rule,
        stopped=stopped and n_read < n_records,
        n_screened=n_read,
        recall=recall,
        work_saved=1 - n_read / n_records,
        target_met=bool(recall >= target - 1e-12) if n_included else True,
        estimate=decision.estimate,
        estimate_name=decision.estimate_name,
        assumptions=decision.assumptions,
    )


def _checkpoints(start: int, n_records: int, step: int) -> range:
    return range(max(start, 1), n_records + 1, step)


def _first_stop(check: Callable[[int], StopDecision], checkpoints: range, end: int) -> tuple[int, StopDecision]:
    """First checkpoint where ``check`` says stop; otherwise the decision after reading everything."""
    for n in checkpoints:
        decision = check(n)
        if decision.stop:
            return n, decision
    return end, check(end)


def evaluate_stopping_rules(
    ordered: np.ndarray,
    n_priors: int = 0,
    *,
    recall_target: float = 0.95,
    confidence: float = 0.95,
    seed: int = 0,
    safe_sample_fraction: float = 0.05,
    safe_min_sample: int = 30,
    step: int | None = None,
    certified_runs: list[CertifiedRun] | None = None,
    certified_rule: CertifiedRule | None = None,
) -> dict[str, StopOutcome]:
    """Replay the labels of a complete screening order and report each rule's stopping point.

    ``certified_runs``: when given, the certified method's run (with its checkpoint estimates) is appended;
    ``certified_rule``: its settings (default: ``CertifiedRule`` at this target and confidence).
    """
    ordered = np.asarray(ordered, dtype=np.int64)
    n_records = len(ordered)
    if n_records == 0:
        raise ValueError("cannot evaluate stopping rules on an empty screening order")
    step = step or max(1, n_records // 200)
    outcomes: dict[str, StopOutcome] = {}

    hyper = HypergeometricRule(recall_target, confidence)
    knee = KneeRule()
    for rule_name, check in (
        (hyper.name, lambda s: hyper.check(ordered[:s], n_records, n_priors)),
        (knee.name, lambda s: knee.check(ordered[:s])),
    ):
        n_read, decision = _first_stop(check, _checkpoints(n_priors + 1, n_records, step), n_records)
        outcomes[rule_name] = _outcome(rule_name, ordered, n_read, int(ordered[:n_read].sum()), decision.stop,
                                       decision, recall_target)

    # SAFE: the random sample is read first; the ranked reading then skips the sampled records.
    rng = np.random.default_rng(seed)
    m = min(n_records, max(safe_min_sample, math.ceil(safe_sample_fraction * n_records)))
    in_sample = np.zeros(n_records, dtype=bool)
    in_sample[rng.choice(n_records, m, replace=False)] = True
    safe = SafeRule(ordered[in_sample])
    stream_positions = np.flatnonzero(~in_sample)
    stream = ordered[stream_positions]
    t, decision = _first_stop(lambda t: safe.check(stream[:t]), _checkpoints(1, len(stream), step), len(stream))
    read = in_sample.copy()
    read[stream_positions[:t]] = True
    outcomes[safe.name] = _outcome(safe.name, ordered, int(read.sum()), int(ordered[read].sum()), decision.stop,
                                  decision, recall_target)

    certified = certified_rule or CertifiedRule(recall_target, confidence)
    run = replay_certified(ordered, n_priors, certified, seed=seed, step=step)
    decision = StopDecision(run.stopped, run.recall_lower, "recall_lower_bound", certified.assumptions)
    outcomes[certified.name] = _outcome(certified.name, ordered, run.n_read, run.found, run.stopped, decision,
                                        recall_target)
    if certified_runs is not None:
        certified_runs.append(run)
    return outcomes
