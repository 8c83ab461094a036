"""Advisory group: the lead deals full texts to advisory-group members; each member records a view of
the full texts assigned to them (include / exclude / unsure, a criterion and a note)."""

from __future__ import annotations

import streamlit as st

from screening.advisory.assignments import (
    AdvisoryError,
    advisory_worklist,
    assign_to_advisors,
    assignments_table,
    deal_records,
)
from screening.advisory.views import advisory_views, record_view
from screening.app.components import load_record, record_card
from screening.app.context import Context
from screening.app.escape import md
from screening.app.fulltext_panel import show_full_text
from screening.app.tables import show_table
from screening.decisions.queries import record_status
from screening.decisions.reviewers import list_reviewers
from screening.fulltext.candidates import full_text_candidates
from screening.store.review_schema import ADVISORY_VIEWS


def _advisors(ctx: Context) -> list[str]:
    with ctx.project.session() as session:
        return [r.name for r in list_reviewers(session) if r.role == "advisor"]


def _assign(ctx: Context) -> None:
    chosen = st.session_state.get("adv_members") or []
    per_record = int(st.session_state.get("adv_per_record") or 1)
    records = sorted(full_text_candidates(ctx.project, record_status(ctx.project, "title_abstract")))
    taken = assignments_table(ctx.project)
    records = [r for r in records if r not in taken]
    try:
        added = assign_to_advisors(ctx.project, deal_records(records, chosen, per_record), actor=ctx.user.name)
    except AdvisoryError as error:
        st.session_state["adv_messages"] = [(False, str(error))]
    else:
        st.session_state["adv_messages"] = [(True, f"Assigned {len(records)} full texts ({added} assignments).")]


def _lead_section(ctx: Context) -> None:
    st.subheader("Assign full texts")
    advisors = _advisors(ctx)
    if not advisors:
        st.info("Add advisory-group members (role advisor) on the Team page first.")
        return
    with st.form("adv_assign"):
        st.multiselect("Advisory-group members", advisors, key="adv_members")
        st.number_input("Members per full text", min_value=1, max_value=max(len(advisors), 1), value=1,
                        key="adv_per_record")
        st.form_submit_button("Assign the unassigned full texts", on_click=_assign, args=(ctx,))
    table = assignments_table(ctx.project)
    views = advisory_views(ctx.project, viewer=ctx.user.name)
    if table:
        rows = [{"record_id": r, "advisors": ", ".join(names),
                 "views": ", ".join(f"{v.advisor}: {v.view}" for v in views[views["record_id"] == r].itertuples())}
                for r, names in table.items()]
        show_table(rows, hide_index=True, width="stretch")


def _save_view(ctx: Context, record_id: int) -> None:
    try:
        record_view(ctx.project, advisor=ctx.user.name, record_id=record_id,
                    view=st.session_state.get(f"adv_view_{record_id}"),
                    reason=st.session_state.get(f"adv_reason_{record_id}"),
                    note=st.session_state.get(f"adv_note_{record_id}"),
                    allowed_reasons=ctx.protocol.reason_codes if ctx.protocol else None)
    except AdvisoryError as error:
        st.session_state["adv_messages"] = [(False, str(error))]
    else:
        st.session_state["adv_messages"] = [(True, "Your view is recorded.")]


def _member_section(ctx: Context) -> None:
    worklist = advisory_worklist(ctx.project, ctx.user.name)
    st.subheader(f"Your full texts ({len(worklist)})")
    if not worklist:
        st.info("The lead has not assigned you any full texts yet.")
        return
    mine = advisory_views(ctx.project, viewer=ctx.user.name)
    done = set(mine.loc[mine["advisor"] == ctx.user.name, "record_id"])
    labels = {r: ("done · " if r in done else "") + load_record(ctx.project, r)["source_id"] for r in worklist}
    record_id = st.selectbox("Full text", worklist, format_func=labels.get, key="adv_record")
    record_card(load_record(ctx.project, record_id), ctx.protocol)
    show_full_text(ctx, record_id, uploads=False)
    codes = ctx.protocol.reason_codes if ctx.protocol else []
    with st.form(f"adv_form_{record_id}"):
        st.radio("Your view against the criteria", ADVISORY_VIEWS, horizontal=True, key=f"adv_view_{record_id}")
        st.selectbox("Criterion it turns on", [None, *codes], key=f"adv_reason_{record_id}",
                     format_func=lambda c: "(none)" if c is None else c)
        st.text_area("Note for the discussion", key=f"adv_note_{record_id}")
        st.form_submit_button("Record my view", type="primary", on_click=_save_view, args=(ctx, record_id))
    others = mine[(mine["record_id"] == record_id) & (mine["advisor"] != ctx.user.name)]
    if not others.empty:
        st.caption("Other members' views: " + md(", ".join(f"{v.advisor}: {v.view}"
                                                                    for v in others.itertuples())))


def render(ctx: Context) -> None:
    st.header("Advisory group")
    if not ctx.user.can_resolve:
        st.info("Full-text checks are for the lead and the advisory group.")
        return
    for ok, message in st.session_state.pop("adv_messages", []):
        (st.success if ok else st.error)(md(message))
    if ctx.user.is_lead:
        _lead_section(ctx)
    else:
        _member_section(ctx)
