"""Full texts: the reports of every record that passed title/abstract, attached one by one or in bulk
(matched by source id, PMID or DOI), or marked 'not retrieved' with the reason."""

from __future__ import annotations

import streamlit as st

from screening.app.context import Context
from screening.app.escape import md
from screening.app.fulltext_panel import show_full_text
from screening.app.tables import show_table
from screening.decisions.queries import record_status
from screening.fulltext.candidates import passed_title_abstract
from screening.fulltext.matching import attach_matching
from screening.fulltext.reports import ReportError, mark_not_retrieved
from screening.fulltext.status import full_text_overview
from screening.fulltext.storage import StorageError

STATUS_LABELS = {"attached": "attached", "not_retrieved": "not retrieved", "missing": "missing"}


def _bulk(ctx: Context) -> None:
    uploads = st.session_state.get("ft_bulk_files") or []
    candidates = passed_title_abstract(record_status(ctx.project, "title_abstract"))
    try:
        result = attach_matching(ctx.project, ((u.name, u.getvalue()) for u in uploads), candidates,
                                 actor=ctx.user.name)
    except StorageError as error:
        st.session_state["ft_messages"] = [(False, str(error))]
        return
    st.session_state["ft_messages"] = ([(True, line) for line in result.attached]
                                       + [(False, line) for line in result.lines()[len(result.attached):]])


def _not_retrieved(ctx: Context, record_id: int) -> None:
    reason = st.session_state.get("ft_reason", "")
    try:
        mark_not_retrieved(ctx.project, record_id, reason, actor=ctx.user.name)
    except ReportError as error:
        st.session_state["ft_messages"] = [(False, str(error))]
    else:
        st.session_state["ft_messages"] = [(True, "Marked as not retrieved: it leaves the full-text queue.")]


def render(ctx: Context) -> None:
    st.header("Full texts")
    overview = full_text_overview(ctx.project)
    for ok, message in st.session_state.pop("ft_messages", []):
        (st.success if ok else st.error)(md(message))
    if overview.empty:
        st.info("No record has passed title/abstract screening yet.")
        return
    counts = overview["status"].value_counts()
    cols = st.columns(3)
    cols[0].metric("Reports attached", int(counts.get("attached", 0)))
    cols[1].metric("Not retrieved", int(counts.get("not_retrieved", 0)))
    cols[2].metric("Still to find", int(counts.get("missing", 0)))
    table = overview.assign(status=overview["status"].map(STATUS_LABELS))
    show_table(table[["source_id", "title", "status", "n_pages", "reason", "original_name", "full_text_status"]],
                 hide_index=True, width="stretch")
    if ctx.user.is_lead:
        st.subheader("Attach many PDFs")
        st.caption("Name each file by the record's source id, PMID or DOI (e.g. `10.1000_abc123.pdf`); "
                   "otherwise the first DOI printed in the PDF is used.")
        st.file_uploader("PDFs", type=["pdf"], accept_multiple_files=True, key="ft_bulk_files")
        st.button("Attach matching PDFs", key="ft_bulk_button", on_click=_bulk, args=(ctx,))
    st.subheader("One report")
    labels = dict(zip(overview["record_id"], overview["source_id"] + " · " + overview["title"].fillna("(no title)")
                      .str.slice(0, 90), strict=True))
    record_id = st.selectbox("Record", list(labels), format_func=labels.get, key="ft_record")
    show_full_text(ctx, record_id)
    if ctx.user.is_lead:
        with st.form("ft_not_retrieved"):
            st.text_input("Reason the report could not be retrieved", key="ft_reason",
                          placeholder="e.g. not held by the library; the authors did not reply")
            st.form_submit_button("Mark as not retrieved", on_click=_not_retrieved, args=(ctx, record_id))
