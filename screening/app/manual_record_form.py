"""On the Project page: add one record found by other methods (a reference list, a website, an
organisation) by hand; it is screened like imported records and counted under 'other methods'."""

from __future__ import annotations

import streamlit as st

from screening.app.context import Context
from screening.app.escape import md
from screening.records.model import RecordIn
from screening.sources.kinds import OTHER_METHODS, SourceTypeError
from screening.sources.manual import ManualRecordError, add_manual_record
from screening.store.review_schema import SOURCE_TYPES


def _add(ctx: Context) -> None:
    get = st.session_state.get
    year = (get("hand_year") or "").strip()
    try:
        record = RecordIn(source_file="hand", source_position=1, title=get("hand_title"), abstract=get("hand_abstract"),
                          authors=(get("hand_authors") or "").split(";"), journal=get("hand_journal"),
                          doi=get("hand_doi") or None, pmid=get("hand_pmid") or None,
                          year=int(year) if year.isdigit() else None)
        if year and not year.isdigit():
            raise ManualRecordError(f"field 'year': '{year}' is not a year")
        record_id = add_manual_record(ctx.project, record, source=get("hand_source") or "",
                                      source_type=get("hand_type") or "citation", actor=ctx.user.name)
    except (ManualRecordError, SourceTypeError) as error:
        st.session_state["hand_message"] = (False, str(error))
    else:
        st.session_state["hand_message"] = (True, f"Added record {record_id}; it joins the screening queue.")


def manual_record_form(ctx: Context) -> None:
    if not ctx.user.is_lead:
        return
    st.subheader("Add a record by hand")
    message = st.session_state.pop("hand_message", None)
    if message:
        (st.success if message[0] else st.error)(md(message[1]))
    with st.form("hand_record", clear_on_submit=False):
        cols = st.columns([1, 2])
        cols[0].selectbox("Found by", SOURCE_TYPES, index=SOURCE_TYPES.index(OTHER_METHODS[-1]), key="hand_type")
        cols[1].text_input("Where", key="hand_source", placeholder="e.g. reference list of Smith 2020")
        st.text_input("Title", key="hand_title")
        cols = st.columns([3, 1, 2])
        cols[0].text_input("Authors (separated by ;)", key="hand_authors")
        cols[1].text_input("Year", key="hand_year")
        cols[2].text_input("Journal", key="hand_journal")
        cols = st.columns(2)
        cols[0].text_input("DOI", key="hand_doi")
        cols[1].text_input("PMID", key="hand_pmid")
        st.text_area("Abstract", key="hand_abstract")
        st.form_submit_button("Add record", on_click=_add, args=(ctx,))
