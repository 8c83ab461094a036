"""Team (lead): reviewers, dual screening and blind mode, and assigning batches of records."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy import select

from screening.app import ranking
from screening.app.assignments import assign_records, assignment_counts, clear_assignments, split_evenly
from screening.app.context import Context
from screening.app.escape import md
from screening.app.tables import show_table
from screening.decisions.password_policy import RULE
from screening.decisions.reviewers import ReviewerError, add_reviewer, list_reviewers, set_password
from screening.store.identity import reviewer_key
from screening.store.schema import ROLES, Assignment, Record
from screening.store.settings import blind_mode, required_reviewers, set_setting


def _reviewers(ctx: Context) -> pd.DataFrame:
    with ctx.project.session() as session:
        rows = [{"name": r.name, "role": r.role, "password": bool(r.password_hash)}
                for r in list_reviewers(session)]
    frame = pd.DataFrame(rows, columns=["name", "role", "password"])
    frame["assigned"] = frame["name"].map(assignment_counts(ctx.project, ctx.stage)).fillna(0).astype(int)
    return frame


def _add_reviewer_form(ctx: Context) -> None:
    with st.form("add_reviewer", clear_on_submit=True):
        st.subheader("Add a reviewer")
        cols = st.columns([2, 1, 2])
        name = cols[0].text_input("Name", key="new_reviewer_name")
        role = cols[1].selectbox("Role", ROLES, key="new_reviewer_role")
        password = cols[2].text_input("Password", type="password", key="new_reviewer_password",
                                      help=f"{RULE.capitalize()}. Once any reviewer has a password, everyone signs in "
                                      "with one, so a lead gets one first.")
        if st.form_submit_button("Add reviewer"):
            try:
                with ctx.project.session() as session:
                    add_reviewer(session, name, role=role, password=password or None, actor=ctx.user.name)
            except ReviewerError as exc:
                st.error(md(exc))
            else:
                st.success(f"Added {md(name.strip())} ({role}).")


def _password_form(ctx: Context, names: list[str]) -> None:
    """Give a reviewer created in local mode (or anyone) a password before switching to sign-in."""
    with st.form("set_password", clear_on_submit=True):
        st.subheader("Set a password")
        cols = st.columns([2, 2])
        name = cols[0].selectbox("Reviewer", names, key="password_reviewer")
        password = cols[1].text_input("New password", type="password", key="password_value",
                                      help=f"{RULE.capitalize()}. A lead gets one first.")
        if st.form_submit_button("Set password") and name:
            try:
                with ctx.project.session() as session:
                    set_password(session, name, password, actor=ctx.user.name)
            except ReviewerError as exc:
                st.error(md(exc))
            else:
                # A new password ends the reviewer's sessions (decisions.sessions), this browser's too if it is theirs.
                yours = reviewer_key(name) == reviewer_key(ctx.user.name)
                st.success(f"Password set for {md(name)}." + (" You will sign in with it from your next click."
                                                               if yours else " Their open sessions are signed out."))


def _settings(ctx: Context) -> None:
    st.subheader("Dual screening")
    with ctx.project.session() as session:
        required, blind = required_reviewers(session), blind_mode(session)
    cols = st.columns(2)
    new_required = cols[0].radio("Decisions required per record", [1, 2], index=[1, 2].index(required),
                                 horizontal=True, key="setting_required")
    new_blind = cols[1].toggle("Blind mode", value=blind, key="setting_blind",
                               help="Reviewers see others' decisions only once a record is resolved.")
    if (new_required, new_blind) != (required, blind):
        with ctx.project.session() as session:
            if new_required != required:
                set_setting(session, "required_reviewers", str(new_required), actor=ctx.user.name)
            if new_blind != blind:
                set_setting(session, "blind", "true" if new_blind else "false", actor=ctx.user.name)
        st.toast("Settings saved")


def _unassigned_ranked(ctx: Context, reviewers: list[str]) -> list[int]:
    """Kept records not yet assigned to any of `reviewers` at this stage, best-ranked first."""
    with ctx.project.session() as session:
        kept = list(session.scalars(select(Record.id).where(Record.duplicate_of.is_(None))))
        taken = set(session.scalars(select(Assignment.record_id).where(Assignment.stage == ctx.stage)))
    candidates = [rid for rid in kept if rid not in taken]
    ordered, _ = ranking.ranked_pending(ctx.project, ctx.stage, candidates, viewer=ctx.user.name) \
        if candidates else ([], None)
    return ordered


def _assign_form(ctx: Context, names: list[str]) -> None:
    st.subheader("Assign records")
    st.caption("A reviewer with assignments only sees assigned records; without any, the whole project.")
    with st.form("assign"):
        chosen = st.multiselect("Reviewers", names, key="assign_reviewers")
        size = st.number_input("Batch size (records)", min_value=1, value=50, step=10, key="assign_size")
        mode = st.radio("Mode", ["Every chosen reviewer screens the same batch (dual screening)",
                                 "Split the batch between them"], key="assign_mode")
        if st.form_submit_button("Assign next batch") and chosen:
            batch = _unassigned_ranked(ctx, chosen)[: int(size)]
            if mode.startswith("Every"):
                added = assign_records(ctx.project, chosen, batch, ctx.stage, actor=ctx.user.name)
            else:
                added = sum(assign_records(ctx.project, [name], ids, ctx.stage, actor=ctx.user.name)
                            for name, ids in split_evenly(batch, chosen).items())
            st.success(f"Assigned {len(batch)} records ({added} assignments).")
    with st.form("clear_assign"):
        who = st.selectbox("Clear the assignments of", names, key="clear_reviewer")
        if st.form_submit_button("Clear assignments"):
            removed = clear_assignments(ctx.project, who, ctx.stage, actor=ctx.user.name)
            st.success(f"Removed {removed} assignments of {md(who)}.")


def render(ctx: Context) -> None:
    st.header("Team")
    if not ctx.user.is_lead:
        st.info("Only the lead manages the team.")
        return
    _settings(ctx)
    _add_reviewer_form(ctx)
    reviewers = _reviewers(ctx)
    st.subheader("Reviewers")
    show_table(reviewers, hide_index=True, width="stretch")
    _password_form(ctx, list(reviewers["name"]))
    _assign_form(ctx, list(reviewers["name"]))
