"""Recording appraisal scores: one appraiser's full set, or the consensus on disputed items.

A set of scores is checked whole before anything is written and stored in one transaction; a changed
score is a new row (the newest per study, appraiser and item is current), logged old -> new.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from screening.appraisal.checklist import AppraisalError, validated_scores
from screening.decisions.queries import record_status
from screening.decisions.reviewers import get_reviewer
from screening.protocol.review_forms import Checklist
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.review_schema import AppraisalScore
from screening.store.schema import Record, Reviewer

SCORE_COLUMNS = ["record_id", "source_id", "appraiser", "item", "score", "is_consensus", "note", "created_at"]


def included_at_full_text(project: Project) -> set[int]:
    """Studies that passed full-text screening: the ones to appraise."""
    status = record_status(project, "full_text")
    return {int(r) for r in status.loc[status["final"] == "include", "record_id"]}


def _check_study(project: Project, record_id: int) -> None:
    if record_id not in included_at_full_text(project):
        with project.session() as session:
            record = session.get(Record, record_id)
        name = record.source_id if record else f"id {record_id}"
        raise AppraisalError(f"record {name} is not included at full text; only included studies are appraised")


def _write(session: Session, checklist: Checklist, record_id: int, appraiser_id: int, scores: dict[str, int],
           consensus: bool, note: str | None, actor: str) -> None:
    before = _current_for(session, checklist.name, record_id, appraiser_id, consensus)
    session.add_all(AppraisalScore(record_id=record_id, appraiser_id=appraiser_id, checklist=checklist.name,
                                   item=code, score=score, is_consensus=consensus,
                                   note=(note or "").strip() or None) for code, score in scores.items())
    session.flush()
    audit(session, actor, "appraisal_consensus" if consensus else "appraise", "appraisal_scores", record_id,
          before or None, {"checklist": checklist.name, "scores": scores})


def _store(project: Project, checklist: Checklist, who_name: str, *, record_id: int, scores: Mapping[str, object],
           note: str | None, consensus: bool) -> dict[str, int]:
    checked = validated_scores(checklist, scores, complete=not consensus)
    _check_study(project, record_id)
    with project.session() as session:
        who = get_reviewer(session, who_name)
        if consensus and who.role not in ("lead", "advisor"):
            raise AppraisalError(f"'{who_name}' is a {who.role}; only a lead or advisor records consensus")
        _write(session, checklist, record_id, who.id, checked, consensus, note, who_name)
    return checked


def submit_appraisal(project: Project, checklist: Checklist, appraiser: str, *, record_id: int,
                     scores: Mapping[str, object], note: str | None = None) -> dict[str, int]:
    """One appraiser scores every item of the checklist for one included study."""
    return _store(project, checklist, appraiser, record_id=record_id, scores=scores, note=note, consensus=False)


def record_appraisal_consensus(project: Project, checklist: Checklist, recorded_by: str, *, record_id: int,
                               scores: Mapping[str, object], note: str | None = None) -> dict[str, int]:
    """The agreed score of the items the appraisers disagreed on (or of any item), recorded by lead/advisor."""
    return _store(project, checklist, recorded_by, record_id=record_id, scores=scores, note=note, consensus=True)


def _current_for(session: Session, checklist: str, record_id: int, appraiser_id: int, consensus: bool) -> dict:
    newest = (select(func.max(AppraisalScore.id))
              .where(AppraisalScore.checklist == checklist, AppraisalScore.record_id == record_id,
                     AppraisalScore.appraiser_id == appraiser_id, AppraisalScore.is_consensus.is_(consensus))
              .group_by(AppraisalScore.item))
    rows = session.execute(select(AppraisalScore.item, AppraisalScore.score).where(AppraisalScore.id.in_(newest)))
    return dict(rows.all())


def current_scores(project: Project, checklist: str) -> pd.DataFrame:
    """The current score per study, appraiser (or consensus) and item (columns: SCORE_COLUMNS)."""
    newest = (select(func.max(AppraisalScore.id)).where(AppraisalScore.checklist == checklist)
              .group_by(AppraisalScore.record_id, AppraisalScore.appraiser_id, AppraisalScore.is_consensus,
                        AppraisalScore.item))
    query = (select(AppraisalScore.record_id, Record.source_id, Reviewer.name.label("appraiser"), AppraisalScore.item,
                    AppraisalScore.score, AppraisalScore.is_consensus, AppraisalScore.note, AppraisalScore.created_at)
             .join(Record, Record.id == AppraisalScore.record_id)
             .join(Reviewer, Reviewer.id == AppraisalScore.appraiser_id)
             .where(AppraisalScore.id.in_(newest)).order_by(AppraisalScore.record_id, Reviewer.name))
    with project.engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    frame["is_consensus"] = frame["is_consensus"].astype(bool)
    return frame
