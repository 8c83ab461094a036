"""The recommended stopping method on a live project: its verdict, the includes left and recall so far.

Why one place: Screen, Progress, the `screening stopping` command and the stopping report must say the
same thing. Everything is computed from the decisions a ``viewer`` may see (a blind reviewer: their own
and resolved records), and from the stored samples; a sample's records are never named to a reviewer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screening.decisions.queries import decision_order, is_blind_view
from screening.decisions.stopping_samples import (
    SAMPLED_STAGE,
    Sample,
    close_sample,
    draw_sample,
    samples,
)
from screening.measures.certificate import CertifiedPlan, CertifiedRule
from screening.measures.remaining import RemainingEstimate, SampleState, estimate_remaining
from screening.store.project import Project
from screening.store.records_table import kept_records_signature

RECALL_TARGET = 0.95
CONFIDENCE = 0.95


@dataclass(frozen=True)
class StoppingState:
    """Where the screening stands against the recall target."""

    n_records: int
    n_screened: int
    found: int
    remaining: RemainingEstimate
    verdict: str  # "stop", "sample", "sampling" (a drawn sample is being screened) or "continue"
    plan: CertifiedPlan | None  # the next step when no sample is open
    open_sample: Sample | None
    open_sample_done: int  # records of the open sample screened so far
    samples: tuple[Sample, ...]
    rule: CertifiedRule

    @property
    def recall(self) -> tuple[float, float, float]:
        """Estimated recall so far, its lower and upper bound."""
        return self.remaining.recall(self.found)

    @property
    def cost_to_certify(self) -> int | None:
        """Records still to screen before the method can say stop (None: all the unread)."""
        if self.verdict == "stop":
            return 0
        if self.open_sample is not None:
            return self.open_sample.size - self.open_sample_done
        return None if self.plan is None else self.plan.sample_size

    def headline(self) -> str:
        """One sentence a reviewer understands."""
        est, low, high = self.recall
        left = self.remaining
        text = (f"About {left.estimate:.0f} includes are still unfound (95 % interval {left.lower}–{left.upper}); "
                f"recall so far about {est:.0%} (at least {low:.0%}).")
        return f"{text} {self.advice()}"

    def advice(self) -> str:
        if self.verdict == "stop":
            bound = next((s.recall_lower for s in reversed(self.samples) if s.outcome == "certified"), None)
            reach = f"recall is at least {bound:.1%}" if bound is not None else "the target is reached"
            return (f"Stop: {reach} with {self.rule.confidence:.0%} confidence "
                    f"(target {self.rule.target:.0%}).")
        if self.verdict == "sampling" and self.open_sample is not None:
            left = self.open_sample.size - self.open_sample_done
            return (f"A random check is under way: {left} of its {self.open_sample.size} records are still to "
                    f"screen (they come first in the queue); stop if at most {self.open_sample.max_includes} "
                    f"of them are includes.")
        assert self.plan is not None
        if self.verdict == "sample":
            return (f"The ranking has run dry: screen {self.plan.sample_size} records drawn at random from the "
                    f"{self.plan.unread} unread; stop if at most {self.plan.max_includes} of them are includes.")
        cost = (f"certifying from here would take a random sample of {self.plan.sample_size} records"
                if self.plan.sample_size else "only screening every record can certify the target from here")
        return f"Continue ranked screening ({cost})."


def _trailing_excludes(labels: list[int]) -> int:
    hits = np.flatnonzero(np.asarray(labels, dtype=np.int64))
    return len(labels) - (int(hits[-1]) + 1 if hits.size else 0)


def stopping_state(project: Project, viewer: str | None = None, *, rule: CertifiedRule | None = None,
                   record_outcomes: bool = True, actor: str = "system") -> StoppingState | None:
    """The method's state at title/abstract as ``viewer`` may see it (None: nothing screened yet).

    ``record_outcomes``: close a sample whose records all have a team label (once, audited), so its outcome
    is stored; only done from a team view (a lead's, or no viewer), as a blind view may not see every label.
    """
    rule = rule or CertifiedRule(RECALL_TARGET, CONFIDENCE)
    n_records, _ = kept_records_signature(project)
    ordered = decision_order(project, SAMPLED_STAGE, viewer)
    if n_records == 0 or not ordered:
        return None
    labels = dict(ordered)
    stored = samples(project, SAMPLED_STAGE)
    team_view = not is_blind_view(project, viewer)
    if record_outcomes and team_view:
        stored = _close_complete(project, stored, labels, rule, actor)
    drawn = {rid for s in stored for rid in s.record_ids}
    ranked = [label for rid, label in ordered if rid not in drawn]
    found, n_screened = sum(labels.values()), len(labels)
    unread = n_records - n_screened
    latest = stored[-1] if stored else None
    sample_state = None
    if latest is not None and all(rid in labels for rid in latest.record_ids):
        hits = sum(labels[rid] for rid in latest.record_ids)
        sample_state = SampleState(latest.population, latest.size, hits, max(hits, found - latest.found_before))
    remaining = estimate_remaining(np.asarray(ranked), unread, rule.confidence, sample_state)
    open_sample = next((s for s in stored if s.is_open), None)
    if any(s.outcome == "certified" for s in stored) or unread == 0:
        verdict, plan = "stop", None
    elif open_sample is not None:
        verdict, plan = "sampling", None
    else:
        # The run of excludes counts from the last sample on (team view; a blind view counts its own run).
        since = ranked if latest is None or not team_view else \
            ranked[max(0, latest.screened_before - _drawn_before(stored)):]
        plan = rule.plan(found, unread, attempt=len(stored) + 1, run_of_excludes=_trailing_excludes(since))
        verdict = plan.verdict
    done = 0 if open_sample is None else sum(rid in labels for rid in open_sample.record_ids)
    return StoppingState(n_records, n_screened, found, remaining, verdict, plan, open_sample, done,
                         tuple(stored), rule)


def _drawn_before(stored: list[Sample]) -> int:
    """Sampled records screened before the latest sample was drawn (all earlier samples' records)."""
    return sum(s.size for s in stored[:-1])


def _close_complete(project: Project, stored: list[Sample], labels: dict[int, int], rule: CertifiedRule,
                    actor: str) -> list[Sample]:
    changed = False
    for sample in stored:
        if sample.is_open and all(rid in labels for rid in sample.record_ids):
            hits = sum(labels[rid] for rid in sample.record_ids)
            certified, bound = rule.judge(sample.found_before, hits, sample.population, sample.size,
                                          sample.alpha)
            changed |= close_sample(project, sample, certified=certified, includes=hits, recall_lower=bound,
                                    actor=actor)
    return samples(project, SAMPLED_STAGE) if changed else stored


def draw_recommended_sample(project: Project, actor: str, *, seed: int | None = None,
                            rule: CertifiedRule | None = None, force: bool = False) -> Sample:
    """Draw the sample the method asks for now (``force``: also while it still says continue)."""
    state = stopping_state(project, rule=rule, actor=actor)
    if state is None or state.plan is None or state.verdict not in ("sample", "continue"):
        raise ValueError("no sample to draw now: " + ("nothing has been screened yet" if state is None
                                                      else state.advice()))
    plan = state.plan
    if plan.sample_size is None:
        raise ValueError(plan.reason)
    if plan.verdict != "sample" and not force:
        raise ValueError(f"{plan.reason}; draw anyway with force")
    return draw_sample(project, size=plan.sample_size, attempt=plan.attempt, alpha=plan.alpha,
                       max_includes=plan.max_includes, found_before=state.found, screened_before=state.n_screened,
                       target=state.rule.target, confidence=state.rule.confidence, actor=actor, seed=seed)
