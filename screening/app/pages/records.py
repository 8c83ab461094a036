"""Records: search and filter every record (as the viewer may see its decisions), open one on Screen and
re-decide it there (a new, audited decision row). The Screen page opens ``?record=ID`` from the URL."""

from __future__ import annotations

import streamlit as st

from screening.app.context import Context
from screening.app.tables import show_table
from screening.decisions.queries import current_decisions, is_blind_view
from screening.decisions.records_view import RecordFilter, records_list
from screening.decisions.tags import visible_tags

RECORD_PARAM = "record"


def render(ctx: Context) -> None:
    st.header("Records")
    blind = is_blind_view(ctx.project, ctx.user.name)
    decisions = current_decisions(ctx.project, ctx.stage, viewer=ctx.user.name)
    codes = ctx.protocol.reason_codes if ctx.protocol else []
    tags = sorted({t for values in visible_tags(ctx.project, ctx.user.name).values() for t in values})
    text = st.text_input("Search title, abstract and authors", key="records_text")
    cols = st.columns(4)
    chosen = RecordFilter(
        text=text or "",
        decisions=cols[0].multiselect("Decision", ["include", "exclude", "maybe", "undecided"], key="records_dec"),
        reasons=cols[1].multiselect("Reason", codes, key="records_reasons"),
        reviewers=cols[2].multiselect("Reviewer", sorted(set(decisions["reviewer"])), key="records_reviewers"),
        tags=cols[3].multiselect("Tag", tags, key="records_tags"),
        conflict_only=False if blind else st.toggle("Only records in conflict", key="records_conflict"),
    )
    if blind:
        st.caption("Blind mode: decisions shown are your own and those of records already resolved.")
    table = records_list(ctx.project, ctx.stage, ctx.user.name, chosen)
    st.caption(f"{len(table)} records")
    shown = table.drop(columns=["conflict"]) if blind else table
    show_table(shown, hide_index=True, width="stretch", key="records_table")
    if table.empty:
        return
    labels = dict(zip(table["id"], table["source_id"].astype(str) + " · " + table["title"].fillna("(no title)")
                      .str.slice(0, 90), strict=True))
    record_id = st.selectbox("Record", list(labels), format_func=labels.get, key="records_pick")
    if st.button("Open on Screen", key="records_open", disabled=ctx.screen_page is None,
                 help="Shows the record on the Screen page (its address, ?record=ID, can be bookmarked); a new "
                      "decision there is added as a new row, the old one stays in the history."):
        st.switch_page(ctx.screen_page, query_params={RECORD_PARAM: str(int(record_id))})
