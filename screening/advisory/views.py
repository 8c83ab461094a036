"""Advisory-group views on full texts: include / exclude / unsure, with a criterion and a note.

Blind mode applies among advisors as among reviewers: an advisor sees other members' views of a full
text only once they recorded their own view of it, or once the group's consensus is recorded. The lead
sees all views (the lead runs the discussion).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from screening.advisory.assignments import AdvisoryError
from screening.decisions.queries import latest_consensus
from screening.decisions.reviewers import get_reviewer
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.review_schema import ADVISORY_VIEWS, AdvisoryView
from screening.store.schema import Record, Reviewer
from screening.store.settings import blind_mode

VIEW_COLUMNS = ["record_id", "source_id", "advisor", "view", "reason", "note", "created_at"]
STAGE = "full_text"


def record_view(project: Project, *, advisor: str, record_id: int, view: str, reason: str | None = None,
                note: str | None = None, allowed_reasons: list[str] | None = None) -> None:
    """Append an advisor's view (a changed view is a new row; the audit log keeps old -> new)."""
    if view not in ADVISORY_VIEWS:
        raise AdvisoryError(f"view must be one of {', '.join(ADVISORY_VIEWS)}, got '{view}'")
    reason = (reason or "").strip() or None
    if reason and allowed_reasons is not None and reason not in allowed_reasons:
        raise AdvisoryError(f"unknown reason code '{reason}'; the protocol's codes are: {', '.join(allowed_reasons)}")
    with project.session() as session:
        who = get_reviewer(session, advisor)
        if who.role not in ("advisor", "lead"):
            raise AdvisoryError(f"'{advisor}' is a {who.role}; advisory views come from the advisory group")
        record = session.get(Record, record_id)
        if record is None or record.duplicate_of is not None:
            raise AdvisoryError(f"record {record_id} is unknown or a duplicate")
        previous = session.scalars(select(AdvisoryView).where(
            AdvisoryView.record_id == record_id, AdvisoryView.advisor_id == who.id)
            .order_by(AdvisoryView.id.desc()).limit(1)).one_or_none()
        row = AdvisoryView(record_id=record_id, advisor_id=who.id, view=view, reason=reason,
                           note=(note or "").strip() or None)
        session.add(row)
        session.flush()
        audit(session, advisor, "advisory_view", "advisory_views", row.id,
              None if previous is None else {"view": previous.view, "reason": previous.reason},
              {"record": record.source_id, "view": view, "reason": reason})


def _all_views(project: Project) -> pd.DataFrame:
    newest = select(func.max(AdvisoryView.id)).group_by(AdvisoryView.record_id, AdvisoryView.advisor_id)
    query = (select(AdvisoryView.record_id, Record.source_id, Reviewer.name.label("advisor"), AdvisoryView.view,
                    AdvisoryView.reason, AdvisoryView.note, AdvisoryView.created_at)
             .join(Record, Record.id == AdvisoryView.record_id)
             .join(Reviewer, Reviewer.id == AdvisoryView.advisor_id)
             .where(AdvisoryView.id.in_(newest)).order_by(AdvisoryView.record_id, Reviewer.name))
    with project.engine.connect() as connection:
        return pd.read_sql(query, connection)


def advisory_views(project: Project, viewer: str | None = None) -> pd.DataFrame:
    """Current views (columns VIEW_COLUMNS), as `viewer` may see them (None: everything, for reports)."""
    views = _all_views(project)
    if viewer is None or views.empty:
        return views[VIEW_COLUMNS]
    with project.session() as session:
        role = get_reviewer(session, viewer).role
        blind = blind_mode(session)
    if role == "lead" or not blind:
        return views[VIEW_COLUMNS]
    own = set(views.loc[views["advisor"] == viewer, "record_id"])
    resolved = set(latest_consensus(project, STAGE)["record_id"])
    visible = (views["advisor"] == viewer) | views["record_id"].isin(own | resolved)
    return views.loc[visible, VIEW_COLUMNS].reset_index(drop=True)
