"""Which records go on to full text.

A record passes title/abstract when its final decision there is include: agreed, settled by consensus, or
every required decision include or maybe (nobody excluded it; `decisions.queries.record_status` calls that
agreed: in doubt, read the full text, Cochrane Handbook 4.6.4). It is then resolved, so a blind reviewer's
full-text queue never depends on another reviewer's unresolved decision. A record that one reviewer
excluded and another included or marked maybe waits for consensus. A report marked
'not retrieved' leaves the full-text queue (PRISMA counts it as not retrieved).

This module reads only the store, so `decisions.queries` can use it without an import cycle.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from screening.store.project import Project
from screening.store.review_schema import FullTextReport


def passed_title_abstract(title_status: pd.DataFrame) -> set[int]:
    """Record ids that go on to full text, from `record_status(project, 'title_abstract')`."""
    if title_status.empty:
        return set()
    return {int(r) for r in title_status.loc[title_status["final"] == "include", "record_id"]}


def current_report_states(project: Project) -> dict[int, str]:
    """record id -> 'attached' or 'not_retrieved', from the newest report row of each record."""
    newest = select(func.max(FullTextReport.id)).group_by(FullTextReport.record_id)
    with project.session() as session:
        rows = session.execute(select(FullTextReport.record_id, FullTextReport.status)
                               .where(FullTextReport.id.in_(newest))).all()
    return {int(record_id): status for record_id, status in rows}


def full_text_candidates(project: Project, title_status: pd.DataFrame) -> set[int]:
    """Records to screen at full text: passed title/abstract and not marked 'not retrieved'."""
    not_retrieved = {r for r, status in current_report_states(project).items() if status == "not_retrieved"}
    return passed_title_abstract(title_status) - not_retrieved
