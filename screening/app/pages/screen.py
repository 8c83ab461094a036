"""Screen: the next record of this reviewer's ranked queue, decided with buttons or the keyboard."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from screening.app import ranking
from screening.app.components import concept_bars, load_record, record_card
from screening.app.context import Context
from screening.app.fulltext_panel import full_text_panel
from screening.app.stopping_panel import stopping_metrics
from screening.app.tables import show_table
from screening.decisions.queries import current_decisions, pending_records
from screening.decisions.record import DecisionError, last_decision, record_decision, retract_decision


def _current_key(stage: str) -> str:
    """The record on screen stays there until decided, even if the ranking changes meanwhile."""
    return f"current_record_{stage}"
SHORTCUTS = {"include": "I", "exclude": "E", "maybe": "M", "undo": "U"}


def _reason_label(ctx: Context):  # type: ignore[no-untyped-def]
    texts = {c.code: c.text for c in (ctx.protocol.inclusion + ctx.protocol.exclusion)} if ctx.protocol else {}
    return lambda code: f"{code} — {texts.get(code, '')}"


def _decide(ctx: Context, record_id: int, decision: str) -> None:
    reasons = st.session_state.get(f"reasons_{record_id}", [])
    note = st.session_state.get(f"note_{record_id}", "")
    allowed = ctx.protocol.reason_codes if ctx.protocol else None
    try:
        with ctx.project.session() as session:
            record_decision(session, reviewer=ctx.user.name, record_id=record_id, decision=decision,
                            stage=ctx.stage, reasons=reasons, note=note, allowed_reasons=allowed)
    except DecisionError as exc:
        st.session_state["screen_error"] = str(exc)
        return
    st.session_state.pop(_current_key(ctx.stage), None)
    st.session_state["screen_flash"] = f"{decision.capitalize()}d" if decision != "maybe" else "Marked maybe"


def _undo(ctx: Context) -> None:
    with ctx.project.session() as session:
        last = last_decision(session, ctx.user.name, ctx.stage)
        if last is None:
            st.session_state["screen_error"] = "Nothing to undo."
            return
        record_id = last.record_id
        retract_decision(session, reviewer=ctx.user.name, record_id=record_id, stage=ctx.stage)
    st.session_state[_current_key(ctx.stage)] = record_id
    st.session_state["screen_flash"] = "Undone: the record is back at the top of your queue"


def _my_decisions(ctx: Context) -> pd.DataFrame:
    visible = current_decisions(ctx.project, ctx.stage, viewer=ctx.user.name)
    return visible[visible["reviewer"] == ctx.user.name]


def _progress(ctx: Context, mine: pd.DataFrame, n_pending: int, view: ranking.RankingView) -> None:
    done = len(mine)
    total = done + n_pending
    st.progress(done / total if total else 1.0, text=f"Screened {done} of {total} in your queue")
    cols = st.columns(4)
    cols[0].metric("Your includes", int((mine["decision"] == "include").sum()))
    cols[1].metric("Your maybes", int((mine["decision"] == "maybe").sum()))
    stopping_metrics(ctx, cols[2], cols[3])


def _decision_controls(ctx: Context, record_id: int) -> None:
    """Include / exclude / maybe / undo with their keys, above the fold next to the record."""
    top, bottom = st.columns(2), st.columns(2)
    top[0].button("Include", key="btn_include", type="primary", shortcut=SHORTCUTS["include"],
                  on_click=_decide, args=(ctx, record_id, "include"), width="stretch")
    top[1].button("Exclude", key="btn_exclude", shortcut=SHORTCUTS["exclude"],
                  on_click=_decide, args=(ctx, record_id, "exclude"), width="stretch")
    bottom[0].button("Maybe", key="btn_maybe", shortcut=SHORTCUTS["maybe"],
                     on_click=_decide, args=(ctx, record_id, "maybe"), width="stretch")
    bottom[1].button("Undo last", key="btn_undo", shortcut=SHORTCUTS["undo"],
                     on_click=_undo, args=(ctx,), width="stretch")
    codes = ctx.protocol.reason_codes if ctx.protocol else []
    st.multiselect("Reasons (criteria codes)", codes, key=f"reasons_{record_id}",
                   format_func=_reason_label(ctx), placeholder="Optional")
    st.text_input("Note", key=f"note_{record_id}", placeholder="Optional note for the team")
    st.caption("Keys: **I** include · **E** exclude · **M** maybe · **U** undo")


def render(ctx: Context) -> None:
    st.header("Screen")
    if ctx.stage == "full_text":
        st.caption("Full-text stage: records included at title/abstract.")
    pending = pending_records(ctx.project, ctx.user.name, ctx.stage)
    mine = _my_decisions(ctx)
    view = ranking.view_for(ctx.project, ctx.user.name)
    _progress(ctx, mine, len(pending), view)
    for key, show in (("screen_flash", st.toast), ("screen_error", st.error)):
        message = st.session_state.pop(key, None)
        if message:
            show(message)
    if not pending:
        st.success("Your queue is empty: every record assigned to you at this stage has your decision.")
        st.button("Undo last", key="btn_undo", shortcut=SHORTCUTS["undo"], on_click=_undo, args=(ctx,))
        _recent(mine)
        return
    ordered, result = view.order(pending, ctx.stage), view.result
    record_id = st.session_state.get(_current_key(ctx.stage))
    if record_id not in pending:  # decided meanwhile (e.g. by a second reviewer): take the next one
        record_id = st.session_state[_current_key(ctx.stage)] = ordered[0]
    record = load_record(ctx.project, record_id)

    left, right = st.columns([3, 1.4], gap="large")
    with left:
        record_card(record, ctx.protocol)
        full_text_panel(ctx, record_id)
    with right:
        how = f"Ranked by **{result.encoder}**" if result.ready else "Ranking in preparation: import order"
        labels = f"{result.n_labels} label" + ("" if result.n_labels == 1 else "s")
        st.caption(f"{how} · {labels} · record `{record['source_id']}`")
        _decision_controls(ctx, record_id)
        for problem in ranking.ranking_errors(ctx.project):
            st.warning(problem, icon="⚠️")
        scores, sentences = view.explain(record_id)
        if scores:
            st.divider()
            concept_bars(scores, sentences)
    _recent(mine)


def _recent(mine: pd.DataFrame) -> None:
    if mine.empty:
        return
    with st.expander(f"Your decisions ({len(mine)})"):
        recent = mine.sort_values("created_at", ascending=False)
        show_table(recent[["source_id", "decision", "reasons", "note", "created_at"]],
                   hide_index=True, width="stretch")
