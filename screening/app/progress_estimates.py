"""Live "may we stop?" status: the stopping rules of `screening.measures.stopping` on the decisions so far.

Only aggregate numbers leave this module (counts, p-values), never a record's decisions; with a blind
``viewer`` they are computed from that reviewer's own decisions and resolved records only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from screening.decisions.queries import decision_order
from screening.measures.stopping import HypergeometricRule, KneeRule
from screening.store.project import Project
from screening.store.records_table import kept_records_signature

RECALL_TARGET = 0.95
CONFIDENCE = 0.95


@dataclass(frozen=True)
class LiveStopping:
    n_records: int
    n_screened: int
    n_found: int
    stop: bool
    p_value: float
    knee_stop: bool
    knee_ratio: float
    explanation: str


def screening_order(project: Project, stage: str, viewer: str | None = None) -> tuple[np.ndarray, int]:
    """Labels (1/0) of the decided records in the order they were first decided, and the records to screen.

    ``viewer``: whose view (a blind reviewer: own decisions and resolved records only).
    """
    n_records, _ = kept_records_signature(project)
    ordered = decision_order(project, stage, viewer)
    return np.array([label for _, label in ordered], dtype=np.int64), int(n_records)


def live_stopping_status(project: Project, stage: str, viewer: str | None = None) -> LiveStopping | None:
    """Hypergeometric (95 % recall, 95 % confidence) and knee rules on the screening so far (for comparison
    with the recommended method of `screening.measures.live_stopping`)."""
    ordered, n_records = screening_order(project, stage, viewer)
    if n_records == 0 or ordered.size == 0:
        return None
    hyper = HypergeometricRule(RECALL_TARGET, CONFIDENCE).check(ordered, n_records)
    knee = KneeRule().check(ordered)
    verdict = "may stop" if hyper.stop else "keep screening"
    return LiveStopping(
        n_records=n_records, n_screened=int(ordered.size), n_found=int(ordered.sum()), stop=hyper.stop,
        p_value=hyper.estimate, knee_stop=knee.stop, knee_ratio=knee.estimate,
        explanation=(f"Hypergeometric rule (Callaghan & Müller-Hansen 2020), {RECALL_TARGET:.0%} recall at "
                     f"{CONFIDENCE:.0%} confidence: {verdict} (p = {hyper.estimate:.3f}). {hyper.assumptions}"),
    )
