"""Signing in: passwords (scrypt, via the decisions.reviewers module) or local single-reviewer mode.

Local mode applies while no reviewer of the project has a password: a one-person review needs no login,
and the first person to open the project becomes its lead.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import select

from screening.app.context import User
from screening.decisions.reviewers import ReviewerError, add_reviewer, authenticate, list_reviewers
from screening.store.project import Project
from screening.store.schema import Reviewer

SESSION_KEY = "user"


def passwords_in_use(project: Project) -> bool:
    """True once any reviewer has a password: from then on everyone signs in with one."""
    with project.session() as session:
        return session.scalars(select(Reviewer.id).where(Reviewer.password_hash.is_not(None))).first() is not None


def current_user() -> User | None:
    return st.session_state.get(SESSION_KEY)


def sign_out() -> None:
    st.session_state.pop(SESSION_KEY, None)


def _sign_in(user: User) -> None:
    st.session_state[SESSION_KEY] = user


def _password_form(project: Project) -> None:
    with st.form("sign_in"):
        name = st.text_input("Reviewer name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        if st.form_submit_button("Sign in", type="primary"):
            with project.session() as session:
                reviewer = authenticate(session, name.strip(), password)
                user = User(reviewer.name, reviewer.role) if reviewer else None
            if user is None:
                st.error("Unknown reviewer or wrong password.")
            else:
                _sign_in(user)
                st.rerun()


def _local_form(project: Project) -> None:
    with project.session() as session:
        reviewers = [(r.name, r.role) for r in list_reviewers(session)]
    if len(reviewers) == 1:  # a one-person review: no login screen at all
        _sign_in(User(*reviewers[0]))
        st.rerun()
    st.caption("Local mode: no reviewer of this project has a password.")
    if reviewers:
        roles = dict(reviewers)
        name = st.selectbox("Continue as", list(roles), key="local_name")
        if st.button("Continue", type="primary"):
            _sign_in(User(name, roles[name]))
            st.rerun()
        return
    with st.form("first_reviewer"):
        name = st.text_input("Your name (you become the lead of this project)", key="first_name")
        if st.form_submit_button("Start", type="primary"):
            try:
                with project.session() as session:
                    add_reviewer(session, name, role="lead", actor=name.strip() or "local")
            except ReviewerError as exc:
                st.error(str(exc))
            else:
                _sign_in(User(name.strip(), "lead"))
                st.rerun()


def require_user(project: Project) -> User:
    """The signed-in reviewer; otherwise shows the sign-in screen and stops the page there."""
    user = current_user()
    if user is not None:
        return user
    st.title("Sign in")
    st.caption(f"Project: `{project.path}`")
    if passwords_in_use(project):
        _password_form(project)
    else:
        _local_form(project)
    st.stop()
