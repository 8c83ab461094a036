"""On the Contested page: the advisory group's views of a full text beside the reviewers' decisions."""

from __future__ import annotations

import streamlit as st

from screening.advisory.views import advisory_views
from screening.app.components import decision_badge
from screening.app.context import Context
from screening.app.escape import html_text
from screening.decisions.reviewers import list_reviewers


def team_names(ctx: Context) -> list[str]:
    with ctx.project.session() as session:
        return [r.name for r in list_reviewers(session)]


def advisory_views_panel(ctx: Context, record_id: int) -> None:
    if ctx.stage != "full_text":
        return
    views = advisory_views(ctx.project, viewer=ctx.user.name)
    views = views[views["record_id"] == record_id]
    if views.empty:
        return
    st.subheader("Advisory group")
    texts = {c.code: c.text for c in (ctx.protocol.inclusion + ctx.protocol.exclusion)} if ctx.protocol else {}
    columns = st.columns(len(views))
    for column, row in zip(columns, views.itertuples(), strict=True):
        reason = (f"<code>{html_text(row.reason)}</code> {html_text(texts.get(row.reason, ''))}"
                  if isinstance(row.reason, str) else "<i>no criterion given</i>")
        note = html_text(row.note) if isinstance(row.note, str) else "<i>no note</i>"
        column.html(
            f'<div style="border:1px dashed #999;border-radius:8px;padding:.6rem .8rem">'
            f"<b>{html_text(row.advisor)}</b> (advisory group)<br>{decision_badge(row.view)}"
            f'<div style="margin-top:.4rem;font-size:.9rem">{reason}</div>'
            f'<div style="margin-top:.4rem;font-size:.9rem;opacity:.8">{note}</div></div>')
