"""Appraisal: each appraiser scores every item of the protocol's checklist (e.g. TAPUPAS) for an included
study; the lead sees totals, agreement (weighted kappa) and settles disputed items."""

from __future__ import annotations

import streamlit as st

from screening.app.components import load_record
from screening.app.context import Context
from screening.app.escape import md
from screening.app.tables import show_table
from screening.appraisal.agreement import agreement_frame, appraisal_agreement
from screening.appraisal.checklist import AppraisalError, active_checklist
from screening.appraisal.results import appraisal_results
from screening.appraisal.scores import (
    current_scores,
    included_at_full_text,
    record_appraisal_consensus,
    submit_appraisal,
)
from screening.protocol.review_forms import Checklist


def _labels(checklist: Checklist, code: str) -> dict[int, str]:
    return {o.score: f"{o.score} · {md(o.label)}" for o in checklist.item_scale(checklist.item(code))}


def _submit(ctx: Context, checklist: Checklist, record_id: int) -> None:
    scores = {item.code: st.session_state.get(f"apr_{record_id}_{item.code}") for item in checklist.items}
    scores = {code: value for code, value in scores.items() if value is not None}
    try:
        checked = submit_appraisal(ctx.project, checklist, appraiser=ctx.user.name, record_id=record_id,
                                   scores=scores, note=st.session_state.get(f"apr_note_{record_id}"))
    except AppraisalError as error:
        st.session_state["apr_messages"] = [(False, str(error))]
    else:
        st.session_state["apr_messages"] = [(True, f"Scores saved: total {sum(checked.values())} of "
                                                   f"{checklist.max_total}.")]


def _consensus(ctx: Context, checklist: Checklist, record_id: int, items: list[str]) -> None:
    scores = {code: st.session_state.get(f"apr_cons_{record_id}_{code}") for code in items}
    try:
        record_appraisal_consensus(ctx.project, checklist, recorded_by=ctx.user.name, record_id=record_id,
                                   scores={k: v for k, v in scores.items() if v is not None})
    except AppraisalError as error:
        st.session_state["apr_messages"] = [(False, str(error))]
    else:
        st.session_state["apr_messages"] = [(True, "Consensus scores recorded.")]


def _form(ctx: Context, checklist: Checklist, record_id: int) -> None:
    mine = current_scores(ctx.project, checklist.name)
    mine = mine[(mine["record_id"] == record_id) & (mine["appraiser"] == ctx.user.name) & ~mine["is_consensus"]]
    previous = dict(zip(mine["item"], mine["score"], strict=True))
    threshold = (f"; studies under {checklist.exclude_below} are excluded" if checklist.exclude_below is not None
                 else "")
    st.caption(f"{md(checklist.title or checklist.name)} · total 0–{checklist.max_total}{threshold}")
    with st.form(f"apr_form_{record_id}"):
        for item in checklist.items:
            labels = _labels(checklist, item.code)
            options = list(labels)
            st.radio(f"**{md(item.code)} · {md(item.name)}** — {md(item.question)}",
                     options, format_func=labels.get, horizontal=True, key=f"apr_{record_id}_{item.code}",
                     index=options.index(previous[item.code]) if item.code in previous else None,
                     help=md(item.guidance) if item.guidance else None)
        st.text_area("Note", key=f"apr_note_{record_id}")
        st.form_submit_button("Save my scores", type="primary", on_click=_submit, args=(ctx, checklist, record_id))


def _lead_view(ctx: Context, checklist: Checklist) -> None:
    results = appraisal_results(ctx.project, checklist)
    st.subheader("Results")
    show_table(results, hide_index=True, width="stretch")
    pairs = appraisal_agreement(ctx.project, checklist)
    if pairs:
        st.caption("Agreement between appraisers on the item scores (weighted Cohen's κ, scikit-learn)")
        show_table(agreement_frame(pairs), hide_index=True, width="content")
    disputed = results[results["status"] == "needs_consensus"]
    if disputed.empty:
        return
    st.subheader("Settle disputed items")
    record_id = st.selectbox("Study", disputed["record_id"].tolist(), key="apr_cons_record",
                             format_func=lambda r: load_record(ctx.project, r)["source_id"])
    items = disputed.set_index("record_id").at[record_id, "disputed"].split(", ")
    scores = current_scores(ctx.project, checklist.name)
    scores = scores[(scores["record_id"] == record_id) & ~scores["is_consensus"]]
    with st.form(f"apr_cons_{record_id}"):
        for code in items:
            given = ", ".join(f"{r.appraiser}: {r.score}" for r in scores[scores["item"] == code].itertuples())
            labels = _labels(checklist, code)
            st.radio(f"{md(code)} ({md(given)})", list(labels), format_func=labels.get,
                     horizontal=True, key=f"apr_cons_{record_id}_{code}", index=None)
        st.form_submit_button("Record consensus", on_click=_consensus, args=(ctx, checklist, record_id, items))


def render(ctx: Context) -> None:
    st.header("Appraisal")
    try:
        checklist = active_checklist(ctx.protocol)
    except AppraisalError as error:
        st.info(md(error))
        return
    for ok, message in st.session_state.pop("apr_messages", []):
        (st.success if ok else st.error)(md(message))
    studies = sorted(included_at_full_text(ctx.project))
    if not studies:
        st.info("No study is included at full text yet.")
        return
    record_id = st.selectbox("Study", studies, key="apr_record",
                             format_func=lambda r: f"{load_record(ctx.project, r)['source_id']} · "
                                                   f"{(load_record(ctx.project, r)['title'] or '')[:80]}")
    _form(ctx, checklist, record_id)
    if ctx.user.can_resolve:
        _lead_view(ctx, checklist)
