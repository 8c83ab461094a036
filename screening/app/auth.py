"""Signing in: passwords (scrypt, via the decisions.reviewers module) or local single-reviewer mode.

Local mode applies while no reviewer of the project has a password: a one-person review needs no login,
and the first person to open the project becomes its lead. Password sign-in backs off per name and per
client (decisions.sign_in); the client is the browser's address as Streamlit's server sees it.

A sign-in opens a session (decisions.sessions) whose token the browser keeps in a cookie, so a reload or a
bookmarked page address does not ask for the password again; every page run re-checks the token, so signing
out, a new password or a removed reviewer takes effect at once, on every app server of the project.
"""

from __future__ import annotations

import json
import math
import os

import streamlit as st

from screening.app.context import User
from screening.app.escape import md, md_code
from screening.decisions.reviewers import ReviewerError, add_reviewer, list_reviewers
from screening.decisions.reviewers import passwords_in_use as any_password
from screening.decisions.sessions import LIFETIME, close_session, cookie_name, open_session, reviewer_for_token
from screening.decisions.sign_in import SignInResult, sign_in
from screening.store.project import Project

SESSION_KEY = "user"
TOKEN_KEY = "session_token"
_COOKIE_TODO_KEY = "session_cookie_todo"  # "set" or "clear": done by a script on the next page run
# Behind reverse proxies every browser arrives from the proxy's address; with SCREENING_TRUSTED_PROXIES=n the
# client is the n-th address from the right of X-Forwarded-For (the one the outermost trusted proxy saw).
TRUSTED_PROXIES_VARIABLE = "SCREENING_TRUSTED_PROXIES"


def passwords_in_use(project: Project) -> bool:
    """True once any reviewer has a password: from then on everyone signs in with one."""
    with project.session() as session:
        return any_password(session)


def _browser_token(project: Project) -> str | None:
    """The session token the browser sent with this connection (read when the page was loaded)."""
    with project.session() as session:
        name = cookie_name(session)
    value = st.context.cookies.get(name)
    return value if isinstance(value, str) else None  # AppTest has no browser (and answers a mock)


def _cookie_script(project: Project, token: str | None) -> str:
    """JavaScript that stores (or, with None, deletes) the session cookie: a page script, not a header,
    because Streamlit pages answer over a websocket. SameSite=Strict; Secure when served over HTTPS."""
    with project.session() as session:
        name = cookie_name(session)
    value, age = (token, int(LIFETIME.total_seconds())) if token else ("", 0)
    cookie = json.dumps(f"{name}={value}; Path=/; Max-Age={age}; SameSite=Strict")
    return f'<script>document.cookie = {cookie} + (location.protocol === "https:" ? "; Secure" : "");</script>'


def sign_out(project: Project) -> None:
    """Ends the session everywhere (the token is deleted) and has the browser forget the cookie."""
    with project.session() as session:
        close_session(session, st.session_state.pop(TOKEN_KEY, None))
    st.session_state.pop(SESSION_KEY, None)
    st.session_state[_COOKIE_TODO_KEY] = "clear"


def _sign_in(project: Project, user: User) -> None:
    with project.session() as session:
        token = open_session(session, user.name)
    st.session_state[SESSION_KEY], st.session_state[TOKEN_KEY] = user, token
    st.session_state[_COOKIE_TODO_KEY] = "set"


def _user_for(project: Project, token: str | None) -> User | None:
    if not token:
        return None
    with project.session() as session:
        reviewer = reviewer_for_token(session, token)
        return User(reviewer.name, reviewer.role) if reviewer is not None else None


def _resume(project: Project) -> User | None:
    """The reviewer of this browser's session (kept in this connection, else the cookie), if still valid;
    the role is read afresh, so a changed role applies on the next page."""
    token = st.session_state.get(TOKEN_KEY)
    user = _user_for(project, token)
    if user is None:
        token = _browser_token(project)
        user = _user_for(project, token)
    if user is None:
        st.session_state.pop(SESSION_KEY, None)
        st.session_state.pop(TOKEN_KEY, None)
        return None
    st.session_state[SESSION_KEY], st.session_state[TOKEN_KEY] = user, token
    return user


def _write_cookie(project: Project) -> None:
    todo = st.session_state.pop(_COOKIE_TODO_KEY, None)
    if todo is not None:
        token = st.session_state.get(TOKEN_KEY) if todo == "set" else None
        st.sidebar.html(_cookie_script(project, token), unsafe_allow_javascript=True, width="content")


def forwarded_client(forwarded_for: str, trusted_proxies: int) -> str | None:
    """The address the outermost of `trusted_proxies` proxies saw, from an X-Forwarded-For header value."""
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    return hops[-trusted_proxies] if 0 < trusted_proxies <= len(hops) else None


def client_address() -> str | None:
    """The browser's address (None on the server machine itself), for the per-client sign-in backoff."""
    trusted = os.environ.get(TRUSTED_PROXIES_VARIABLE, "0")
    header = st.context.headers.get("X-Forwarded-For")
    if trusted.isdigit() and isinstance(header, str) and (forwarded := forwarded_client(header, int(trusted))):
        return forwarded
    address = getattr(st.context, "ip_address", None)
    return address if isinstance(address, str) else None  # AppTest has no connection (and answers a mock)


def refusal_message(result: SignInResult) -> str:
    wait = math.ceil(result.retry_after)
    if result.throttled:
        return f"Too many failed sign-ins for this name or from this address: try again in {wait} s."
    return "Unknown reviewer or wrong password." + (f" Wait {wait} s before the next try." if wait > 0 else "")


def _password_form(project: Project) -> None:
    with st.form("sign_in"):
        name = st.text_input("Reviewer name", key="sign_in_name")
        password = st.text_input("Password", type="password", key="sign_in_password")
        if st.form_submit_button("Sign in", type="primary"):
            result = sign_in(project, name, password, client_address())
            if not result.signed_in:
                st.error(refusal_message(result))
            else:
                _sign_in(project, User(result.name, result.role))
                st.rerun()


def _local_form(project: Project) -> None:
    with project.session() as session:
        reviewers = [(r.name, r.role) for r in list_reviewers(session)]
    if len(reviewers) == 1:  # a one-person review: no login screen at all
        _sign_in(project, User(*reviewers[0]))
        st.rerun()
    st.caption("Local mode: no reviewer of this project has a password.")
    if reviewers:
        roles = dict(reviewers)
        name = st.selectbox("Continue as", list(roles), key="local_name")
        if st.button("Continue", type="primary"):
            _sign_in(project, User(name, roles[name]))
            st.rerun()
        return
    with st.form("first_reviewer"):
        name = st.text_input("Your name (you become the lead of this project)", key="first_name")
        if st.form_submit_button("Start", type="primary"):
            try:
                with project.session() as session:
                    add_reviewer(session, name, role="lead", actor=name.strip() or "local")
            except ReviewerError as exc:
                st.error(md(exc))
            else:
                _sign_in(project, User(name.strip(), "lead"))
                st.rerun()


def require_user(project: Project) -> User:
    """The signed-in reviewer; otherwise shows the sign-in screen and stops the page there."""
    user = _resume(project)
    _write_cookie(project)
    if user is not None:
        return user
    st.title("Sign in")
    st.caption(f"Project: {md_code(project.path)}")
    if passwords_in_use(project):
        _password_form(project)
    else:
        _local_form(project)
    st.stop()
