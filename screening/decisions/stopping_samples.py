"""Drawing, storing and serving the random samples of the certified stopping method.

Why here: a sample is part of the screening record. It is drawn in one transaction with its audit row
(seed, population, size, every record with its inclusion probability), so the certificate can be
recomputed and checked later and survives restarts; its records are then served first in every
reviewer's queue, looking like any other record (no mark, no separate page).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select, update

from screening.decisions.queries import training_labels
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.schema import Record, utcnow
from screening.store.stopping_schema import StoppingSample, StoppingSampleRecord

SAMPLED_STAGE = "title_abstract"  # the ranked stage; full text reads every candidate


@dataclass(frozen=True)
class Sample:
    """A stored sample and its record ids."""

    id: int
    attempt: int
    seed: int
    population: int
    size: int
    max_includes: int
    found_before: int
    screened_before: int
    alpha: float
    target: float
    confidence: float
    drawn_by: str
    drawn_at: str
    outcome: str | None
    includes_in_sample: int | None
    recall_lower: float | None
    record_ids: tuple[int, ...]

    @property
    def is_open(self) -> bool:
        return self.outcome is None


class SampleError(ValueError):
    """A sample that cannot be drawn (one is still open, or nothing is left to draw from)."""


def unread_records(project: Project, stage: str = SAMPLED_STAGE) -> list[int]:
    """Kept records without a team label at ``stage`` (what a sample is drawn from)."""
    labelled = set(training_labels(project, stage))
    with project.session() as session:
        kept = session.scalars(select(Record.id).where(Record.duplicate_of.is_(None)).order_by(Record.id))
        return [int(rid) for rid in kept if int(rid) not in labelled]


def samples(project: Project, stage: str = SAMPLED_STAGE) -> list[Sample]:
    """Every sample of ``stage``, oldest first."""
    with project.session() as session:
        rows = session.scalars(select(StoppingSample).where(StoppingSample.stage == stage)
                               .order_by(StoppingSample.id)).all()
        members: dict[int, list[int]] = {}
        for sample_id, record_id in session.execute(
                select(StoppingSampleRecord.sample_id, StoppingSampleRecord.record_id)
                .order_by(StoppingSampleRecord.record_id)):
            members.setdefault(int(sample_id), []).append(int(record_id))
        return [Sample(row.id, row.attempt, row.seed, row.population, row.size, row.max_includes, row.found_before,
                       row.screened_before, row.alpha, row.target, row.confidence, row.drawn_by,
                       row.drawn_at.isoformat(timespec="seconds"), row.outcome, row.includes_in_sample,
                       row.recall_lower, tuple(members.get(row.id, ()))) for row in rows]


def draw_sample(project: Project, *, size: int, attempt: int, alpha: float, max_includes: int, found_before: int,
                screened_before: int, target: float, confidence: float, actor: str, seed: int | None = None,
                stage: str = SAMPLED_STAGE) -> Sample:
    """Draw ``size`` unread records uniformly without replacement and store the draw (one transaction)."""
    if any(s.is_open for s in samples(project, stage)):
        raise SampleError("a random sample is still being screened; finish it before drawing another")
    pool = unread_records(project, stage)
    if not 0 < size < len(pool):
        raise SampleError(f"cannot draw {size} of {len(pool)} unread records (a sample must be smaller than "
                          f"what is left; otherwise screen everything)")
    seed = secrets.randbits(31) if seed is None else int(seed)
    drawn = sorted(int(pool[i]) for i in np.random.default_rng(seed).choice(len(pool), size, replace=False))
    probability = size / len(pool)
    with project.session() as session:
        row = StoppingSample(stage=stage, attempt=attempt, seed=seed, population=len(pool), size=size,
                             max_includes=max_includes, found_before=found_before, screened_before=screened_before,
                             target=target, confidence=confidence, alpha=alpha, drawn_by=actor)
        session.add(row)
        session.flush()
        session.add_all(StoppingSampleRecord(sample_id=row.id, record_id=rid, probability=probability)
                        for rid in drawn)
        audit(session, actor, "draw_stopping_sample", "stopping_samples", row.id, None,
              {"attempt": attempt, "seed": seed, "population": len(pool), "size": size, "alpha": alpha,
               "max_includes": max_includes, "found_before": found_before, "records": drawn})
    return next(s for s in samples(project, stage) if s.id == row.id)


def close_sample(project: Project, sample: Sample, *, certified: bool, includes: int, recall_lower: float,
                 actor: str) -> bool:
    """Record a complete sample's outcome, once (False if another process closed it first)."""
    outcome = "certified" if certified else "not certified"
    with project.session() as session:
        done = session.execute(
            update(StoppingSample).where(StoppingSample.id == sample.id, StoppingSample.outcome.is_(None))
            .values(outcome=outcome, includes_in_sample=includes, recall_lower=recall_lower, closed_at=utcnow()))
        if not done.rowcount:
            return False
        audit(session, actor, "close_stopping_sample", "stopping_samples", sample.id, None,
              {"outcome": outcome, "includes": includes, "recall_lower": recall_lower})
    return True


def drawn_first(project: Project, ordered: Sequence[int], stage: str = SAMPLED_STAGE) -> list[int]:
    """``ordered`` with the open sample's records first (in ranked order among themselves), then the rest."""
    if stage != SAMPLED_STAGE:
        return list(ordered)
    open_ids = next((set(s.record_ids) for s in samples(project, stage) if s.is_open), set())
    if not open_ids:
        return list(ordered)
    return [r for r in ordered if r in open_ids] + [r for r in ordered if r not in open_ids]
