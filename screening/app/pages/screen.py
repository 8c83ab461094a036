"""Screen: the next record of this reviewer's ranked queue, decided with buttons or the keyboard."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from screening.app import ranking
from screening.app.components import concept_bars, load_record, reason_label, record_card
from screening.app.context import Context
from screening.app.escape import md, md_code
from screening.app.fulltext_panel import full_text_panel
from screening.app.pages.records import RECORD_PARAM
from screening.app.stopping_panel import stopping_metrics
from screening.app.tables import show_table
from screening.decisions.queries import current_decisions, pending_records
from screening.decisions.record import DecisionError, last_decision, record_decision, retract_decision
from screening.decisions.status import SCREENED, irrelevant_since_last_include
from screening.decisions.tags import TagError, keywords, own_tags, set_keywords, set_tags, visible_tags
from screening.store.schema import Record


def _current_key(stage: str) -> str:
    """The record on screen stays there until decided, even if the ranking changes meanwhile."""
    return f"current_record_{stage}"
REFRESH_SECONDS = 5
PRIOR_HELP = ("The queue blends two orders: the protocol's (how well each record matches the concept definitions, "
              "known before any decision) and the learner's (trained on the decisions so far). The protocol's share "
              "starts at 100 % and falls as includes are labelled (under the 'agreement' setting, faster when it "
              "ranks the labelled includes low).")
SHORTCUTS = {"include": "I", "exclude": "E", "maybe": "M", "undo": "U"}
KEYBOARD_HELP = """
| key | does |
|---|---|
| **I** | include the record on screen |
| **E** | exclude it (choose the reasons first, if any) |
| **M** | mark it maybe |
| **U** | undo your last decision: its record comes back |
| **Tab** / **Shift+Tab** | move between the reasons, the note and the buttons |
| a click beside the fields | leave a text field, so the letters above act again |

The letter keys act only while no text field has the focus (typing a note never decides a record).
"""


def _decide(ctx: Context, record_id: int, decision: str) -> None:
    reasons = st.session_state.get(f"reasons_{record_id}", [])
    note = st.session_state.get(f"note_{record_id}", "")
    allowed = ctx.protocol.reason_codes_for(decision) if ctx.protocol else None
    misfit = ctx.protocol.misfit_reasons(decision, reasons) if ctx.protocol else None
    if misfit:
        st.session_state["screen_error"] = misfit
        return
    try:
        with ctx.project.session() as session:
            record_decision(session, reviewer=ctx.user.name, record_id=record_id, decision=decision,
                            stage=ctx.stage, reasons=reasons, note=note, allowed_reasons=allowed)
    except DecisionError as exc:
        st.session_state["screen_error"] = str(exc)
        return
    st.session_state.pop(_current_key(ctx.stage), None)
    if st.query_params.get(RECORD_PARAM) == str(record_id):  # re-decided from the Records list: back to the queue
        del st.query_params[RECORD_PARAM]
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
    st.progress(done / total if total else 1.0, text=f"Screened {done} of {total} in your queue (maybes included)")
    cols = st.columns([1, 1, 1, 1, 1.5])  # the last label is the longest
    cols[0].metric("Your includes", int((mine["decision"] == "include").sum()))
    cols[4].metric("Irrelevant since last include", irrelevant_since_last_include(mine),
                   help="Excludes you made after your newest include (maybes not counted): a long run of "
                        "irrelevant records suggests most relevant ones are found (ASReview's stopping cue).")
    cols[1].metric("Your maybes", int((mine["decision"] == "maybe").sum()), help=SCREENED)
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
                   format_func=reason_label(ctx.protocol), placeholder="Optional",
                   help="Inclusion codes go with Include, exclusion codes with Exclude; Maybe takes either.")
    st.text_input("Note", key=f"note_{record_id}", placeholder="Optional note for the team")
    _tags(ctx, record_id)
    st.caption("Keys: **I** include · **E** exclude · **M** maybe · **U** undo")
    with st.expander("Keyboard help"):
        st.markdown(KEYBOARD_HELP)


def _save_tags(ctx: Context, record_id: int) -> None:
    try:
        set_tags(ctx.project, ctx.user.name, record_id, st.session_state.get(f"tags_{record_id}") or [])
    except TagError as error:
        st.session_state["screen_error"] = str(error)


def _save_words(ctx: Context, kind: str) -> None:
    text = st.session_state.get(f"words_{kind}") or ""
    try:
        set_keywords(ctx.project, ctx.user.name, kind, [w for w in text.split(",")])
    except TagError as error:
        st.session_state["screen_error"] = str(error)


def _tags(ctx: Context, record_id: int) -> None:
    """Your tags on this record (type a new one or pick one you used before); only you and the lead see them."""
    used = sorted({t for tags in visible_tags(ctx.project, ctx.user.name).values() for t in tags})
    key = f"tags_{record_id}"
    if key not in st.session_state:
        st.session_state[key] = own_tags(ctx.project, ctx.user.name, record_id)
    st.multiselect("Your tags", sorted(set(used) | set(st.session_state[key])), key=key, accept_new_options=True,
                   on_change=_save_tags, args=(ctx, record_id), placeholder="Add a tag",
                   help="Free tags, e.g. 'check methods'. Yours only: in blind mode nobody else but the lead "
                        "and advisors sees them.")


def _words_form(ctx: Context) -> None:
    words = keywords(ctx.project, ctx.user.name)
    with st.expander("Your highlight words"):
        for kind in ("include", "exclude"):
            key = f"words_{kind}"
            if key not in st.session_state:
                st.session_state[key] = ", ".join(words[kind])
            st.text_input(f"Words that suggest {kind} (comma-separated)", key=key, on_change=_save_words,
                          args=(ctx, kind), help="Marked in the record in your colour (green for include, red "
                                                 "for exclude), beside the protocol's concept terms; only for you.")


@st.fragment(run_every=REFRESH_SECONDS)
def _refresh_when_ranked(ctx: Context, encoder: str) -> None:
    """Every few seconds while a better ranker is built: once it serves, re-run the page so the queue
    takes its order (the record on screen stays until decided)."""
    if ranking.current_encoder(ctx.project) != encoder:
        st.rerun(scope="app")


def _opened_record(ctx: Context) -> int | None:
    """The kept record named by ``?record=ID`` (from the Records page or a bookmark), else None."""
    value = st.query_params.get(RECORD_PARAM)
    if not value or not str(value).isdigit():
        return None
    with ctx.project.session() as session:
        row = session.get(Record, int(value))
    if row is None or row.duplicate_of is not None:
        st.warning(f"Record {md(value)} is not in this project (or is a removed duplicate): showing your queue.")
        return None
    return int(value)


def _back_to_queue() -> None:
    st.query_params.pop(RECORD_PARAM, None)


def _opened_banner(ctx: Context, mine: pd.DataFrame, record_id: int) -> None:
    current = mine[mine["record_id"] == record_id]
    said = f"your current decision: **{current.iloc[0]['decision']}**" if not current.empty else "not decided by you"
    st.info(f"Opened from the Records list ({said}). A decision now is added as a new row; the old one stays "
            "in the history.")
    st.button("Back to my queue", key="btn_back_to_queue", on_click=_back_to_queue)


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
            show(md(message))
    opened = _opened_record(ctx)
    if not pending and opened is None:
        st.success("Your queue is empty: every record assigned to you at this stage has your decision.")
        st.button("Undo last", key="btn_undo", shortcut=SHORTCUTS["undo"], on_click=_undo, args=(ctx,))
        _recent(mine)
        return
    ordered, result = view.order(pending, ctx.stage), view.result
    record_id = st.session_state.get(_current_key(ctx.stage))
    if opened is not None:
        record_id = opened
        _opened_banner(ctx, mine, record_id)
    elif record_id not in pending:  # decided meanwhile (e.g. by a second reviewer): take the next one
        record_id = st.session_state[_current_key(ctx.stage)] = ordered[0]
    record = load_record(ctx.project, record_id)

    left, right = st.columns([3, 1.4], gap="large")
    with left:
        record_card(record, ctx.protocol, keywords(ctx.project, ctx.user.name))
        _words_form(ctx)
        full_text_panel(ctx, record_id)
    with right:
        how = f"Ranked by **{result.encoder}**" if result.ready else "Ranking in preparation: import order"
        labels = f"{result.n_labels} label" + ("" if result.n_labels == 1 else "s")
        st.caption(f"{how} · {labels} · record {md_code(record['source_id'])}")
        if (weight := view.prior_weight()) is not None:
            st.caption(ranking.prior_note(weight).capitalize(), help=PRIOR_HELP)
        if ranking.better_ranking_pending(ctx.project):
            if (eta := ranking.better_ranking_eta(ctx.project, result)) is not None:
                st.caption(eta.capitalize())
            _refresh_when_ranked(ctx, result.encoder)
        _decision_controls(ctx, record_id)
        for problem in ranking.ranking_errors(ctx.project):
            st.warning(md(problem), icon=":material/warning:")
        scores, sentences = view.explain(record_id)
        if scores:
            st.divider()
            concept_bars(scores, sentences, view.percentiles(record_id))
    _recent(mine)


def _recent(mine: pd.DataFrame) -> None:
    if mine.empty:
        return
    with st.expander(f"Your decisions ({len(mine)})"):
        recent = mine.sort_values("created_at", ascending=False)
        show_table(recent[["source_id", "decision", "reasons", "note", "created_at"]],
                   hide_index=True, width="stretch")
