"""Contested records: decisions side by side with the protocol's concept definitions, then consensus.

For the lead and advisory-group members (role advisor); plain reviewers never reach this page, and the
decisions shown are read with the signed-in user as viewer like everywhere else.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import select

from screening.advisory.discussion import with_advisory_discussion
from screening.advisory.participants import consensus_with_participants, record_consensus_with
from screening.app.advisory_panel import advisory_views_panel, team_names
from screening.app.components import decision_badge, load_record, reason_label, record_card
from screening.app.context import Context
from screening.app.escape import html_text, md, md_code
from screening.app.tables import show_table
from screening.decisions.queries import conflicts, current_decisions
from screening.decisions.record import ConsensusExistsError, DecisionError
from screening.decisions.reviewers import ReviewerError
from screening.store.schema import Record


def _split_reasons(value: object) -> list[str]:
    return [r for r in str(value).split(",") if r] if isinstance(value, str) else []


def contested_table(ctx: Context) -> pd.DataFrame:
    """Contested records with their current decisions (one row per record), as the viewer may see them."""
    contested = with_advisory_discussion(ctx.project, conflicts(ctx.project, ctx.stage), ctx.stage)
    decisions = current_decisions(ctx.project, ctx.stage, viewer=ctx.user.name)
    decisions = decisions[decisions["record_id"].isin(contested["record_id"])]
    return contested.merge(
        decisions.groupby("record_id").agg(
            source_id=("source_id", "first"),
            reviewers=("reviewer", lambda s: ", ".join(sorted(s))),
            reasons=("reasons", lambda s: ", ".join(sorted({r for v in s for r in _split_reasons(v)}))),
        ).reset_index(),
        on="record_id", how="left",
    )


def _filters(ctx: Context, table: pd.DataFrame) -> pd.DataFrame:
    codes = ctx.protocol.reason_codes if ctx.protocol else []
    reviewers = sorted({r for v in table["reviewers"].dropna() for r in v.split(", ")})
    left, right = st.columns(2)
    by_reason = left.multiselect("Filter by reason", codes, key="contested_reasons")
    by_reviewer = right.multiselect("Filter by reviewer", reviewers, key="contested_reviewers")
    if by_reason:
        table = table[table["reasons"].fillna("").map(lambda v: bool(set(v.split(", ")) & set(by_reason)))]
    if by_reviewer:
        table = table[table["reviewers"].fillna("").map(lambda v: bool(set(v.split(", ")) & set(by_reviewer)))]
    return table


def _definitions(ctx: Context) -> None:
    if ctx.protocol is None:
        st.info("This project has no protocol yet (add one on the Project page).")
        return
    st.markdown(f"**Question.** {md(ctx.protocol.question.text)}")
    for concept in ctx.protocol.concepts:
        synonyms = f" *(also: {md(', '.join(concept.synonyms))})*" if concept.synonyms else ""
        st.markdown(f"**{md(concept.name)}** — {md(concept.definition)}{synonyms}")
    criteria = ctx.protocol.inclusion + ctx.protocol.exclusion
    if criteria:
        st.markdown("\n".join(f"- {md_code(c.code)} {md(c.text)}" for c in criteria))


def _decision_columns(ctx: Context, decisions: pd.DataFrame) -> None:
    texts = {c.code: c.text for c in (ctx.protocol.inclusion + ctx.protocol.exclusion)} if ctx.protocol else {}
    columns = st.columns(max(len(decisions), 1))
    for column, row in zip(columns, decisions.itertuples(), strict=False):
        reasons = "<br>".join(f"<code>{html_text(c)}</code> {html_text(texts.get(c, ''))}"
                              for c in _split_reasons(row.reasons)) or "<i>no reason given</i>"
        note = html_text(row.note) if isinstance(row.note, str) else "<i>no note</i>"
        column.html(
            f'<div style="border:1px solid #ddd;border-radius:8px;padding:.6rem .8rem">'
            f"<b>{html_text(row.reviewer)}</b><br>{decision_badge(row.decision)}"
            f'<div style="margin-top:.4rem;font-size:.9rem">{reasons}</div>'
            f'<div style="margin-top:.4rem;font-size:.9rem;opacity:.8">{note}</div></div>'
        )


def _record_consensus(ctx: Context, record_id: int) -> None:
    decision = st.session_state.get(f"consensus_decision_{record_id}")
    reasons = st.session_state.get(f"consensus_reasons_{record_id}", [])
    note = st.session_state.get(f"consensus_note_{record_id}", "")
    replace = bool(st.session_state.get(f"consensus_replace_{record_id}", False))
    misfit = ctx.protocol.misfit_reasons(decision, reasons) if ctx.protocol else None
    if misfit:
        st.session_state["contested_error"] = misfit
        return
    try:
        with ctx.project.session() as session:
            record_consensus_with(session, participants=st.session_state.get(f"consensus_with_{record_id}", []),
                                  record_id=record_id, stage=ctx.stage, decision=decision, recorded_by=ctx.user.name,
                                  reasons=reasons, note=note, replace=replace,
                                  allowed_reasons=ctx.protocol.reason_codes_for(decision) if ctx.protocol else None)
    except ConsensusExistsError:
        st.session_state["contested_error"] = (
            "This record already has a consensus (shown above). Tick \"Replace the existing consensus\" to "
            "replace it; the first one stays in the history.")
    except (DecisionError, ReviewerError) as exc:
        st.session_state["contested_error"] = str(exc)
    else:
        verb = "replaced" if replace else "recorded"
        st.session_state["contested_flash"] = f"Consensus {verb} by {ctx.user.name}: {decision}"


def _discussable(ctx: Context, contested: pd.DataFrame, resolved: pd.DataFrame) -> dict[int, str]:
    """Record id -> label: the contested records (as filtered), then those already resolved by consensus."""
    labels = dict(zip(contested["record_id"], contested["source_id"], strict=True)) if not contested.empty else {}
    if resolved.empty:
        return labels
    with ctx.project.session() as session:
        source_ids = dict(session.execute(select(Record.id, Record.source_id)
                                          .where(Record.id.in_([int(r) for r in resolved["record_id"]]))).all())
    for row in resolved.itertuples():
        labels.setdefault(int(row.record_id), f"{source_ids.get(row.record_id, row.record_id)} "
                                              f"(consensus: {row.decision})")
    return labels


def _existing_consensus(existing: pd.Series) -> None:
    """The consensus in force, shown before anyone can replace it (every text escaped)."""
    reasons = html_text(existing["reasons"]) if isinstance(existing["reasons"], str) else "no reasons"
    note = html_text(existing["note"]) if isinstance(existing["note"], str) else "<i>no note</i>"
    st.html(
        f'<div style="border:1px solid #e0b000;border-radius:8px;padding:.6rem .8rem">'
        f"<b>Consensus in force</b>: {decision_badge(existing['decision'])} ({reasons})<br>"
        f"recorded by <b>{html_text(str(existing['recorded_by']))}</b> on "
        f"{html_text(str(existing['created_at'])[:16])} UTC"
        f'<div style="margin-top:.4rem;font-size:.9rem;opacity:.8">{note}</div></div>'
    )


def _consensus_form(ctx: Context, record_id: int, existing: pd.Series | None) -> None:
    if existing is not None:
        _existing_consensus(existing)
    with st.form(f"consensus_{record_id}"):
        st.subheader("Consensus" if existing is None else "Replace the consensus")
        st.text_area("Discussion note", key=f"consensus_note_{record_id}",
                     placeholder="What the group agreed and why")
        st.radio("Decision", ["include", "exclude"], horizontal=True, key=f"consensus_decision_{record_id}")
        st.multiselect("Reasons", ctx.protocol.reason_codes if ctx.protocol else [],
                       key=f"consensus_reasons_{record_id}", format_func=reason_label(ctx.protocol),
                       help="Inclusion codes go with include, exclusion codes with exclude.")
        st.multiselect("Who took part", team_names(ctx), key=f"consensus_with_{record_id}")
        if existing is not None:
            st.checkbox("Replace the existing consensus", key=f"consensus_replace_{record_id}",
                        help="The consensus shown above stays in the history; this one takes its place.")
        st.form_submit_button("Record consensus" if existing is None else "Replace consensus", type="primary",
                              on_click=_record_consensus, args=(ctx, record_id))


def render(ctx: Context) -> None:
    st.header("Contested records")
    if not ctx.user.can_resolve:
        st.info("Contested records are worked through by the lead and the advisory group.")
        return
    for key, show in (("contested_flash", st.success), ("contested_error", st.error)):
        message = st.session_state.pop(key, None)
        if message:
            show(md(message))
    table = contested_table(ctx)
    if table.empty:
        st.success("No contested records at this stage.")
    else:
        table = _filters(ctx, table)
        show_table(table[["source_id", "include", "exclude", "maybe", "reviewers", "reasons"]],
                   hide_index=True, width="stretch")
    resolved = consensus_with_participants(ctx.project, ctx.stage)
    labels = _discussable(ctx, table, resolved)
    if labels:
        record_id = st.selectbox("Record to discuss (contested first, then those resolved by consensus)",
                                 list(labels), format_func=lambda r: labels[r], key="contested_record")
        decisions = current_decisions(ctx.project, ctx.stage, viewer=ctx.user.name)
        decisions = decisions[decisions["record_id"] == record_id]
        main, side = st.columns([3, 2], gap="large")
        with main:
            record_card(load_record(ctx.project, record_id), ctx.protocol)
            st.subheader("Decisions")
            _decision_columns(ctx, decisions)
            advisory_views_panel(ctx, record_id)
        with side:
            st.subheader("Concept definitions")
            _definitions(ctx)
        in_force = resolved[resolved["record_id"] == record_id]
        _consensus_form(ctx, record_id, None if in_force.empty else in_force.iloc[0])
    _resolved(resolved)


def _resolved(resolved: pd.DataFrame) -> None:
    if resolved.empty:
        return
    with st.expander(f"Resolved by consensus ({len(resolved)})"):
        show_table(resolved[["record_id", "decision", "reasons", "note", "recorded_by", "participants",
                             "created_at"]], hide_index=True, width="stretch")
