"""Who took part in a consensus discussion (the reference review: four co-authors, in light of the views)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.decisions.queries import latest_consensus
from screening.decisions.record import record_consensus
from screening.decisions.reviewers import get_reviewer
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.review_schema import ConsensusParticipant
from screening.store.schema import Consensus, Reviewer


def record_consensus_with(session: Session, *, participants: Sequence[str], **consensus) -> Consensus:  # type: ignore[no-untyped-def]
    """`record_consensus` plus the people who took part (the recorder always does), in one transaction."""
    row = record_consensus(session, **consensus)
    names = list(dict.fromkeys([consensus["recorded_by"], *[p.strip() for p in participants if p.strip()]]))
    ids = [get_reviewer(session, name).id for name in names]  # ReviewerError names an unknown participant
    session.add_all(ConsensusParticipant(consensus_id=row.id, reviewer_id=rid) for rid in ids)
    audit(session, consensus["recorded_by"], "consensus_participants", "consensus", row.id, None,
          {"participants": names})
    return row


def consensus_with_participants(project: Project, stage: str) -> pd.DataFrame:
    """The newest consensus per record, with a 'participants' column ('' when none were recorded)."""
    consensus = latest_consensus(project, stage)
    newest = select(func.max(Consensus.id)).where(Consensus.stage == stage).group_by(Consensus.record_id)
    with project.session() as session:
        rows = session.execute(
            select(Consensus.record_id, Reviewer.name)
            .join(ConsensusParticipant, ConsensusParticipant.consensus_id == Consensus.id)
            .join(Reviewer, Reviewer.id == ConsensusParticipant.reviewer_id)
            .where(Consensus.id.in_(newest)).order_by(Reviewer.name)).all()
    names: dict[int, list[str]] = {}
    for record_id, name in rows:
        names.setdefault(int(record_id), []).append(name)
    consensus["participants"] = consensus["record_id"].map(lambda r: ", ".join(names.get(int(r), [])))
    return consensus
