"""The Streamlit app: sign-in, sidebar navigation and the pages (app.py at the repo root calls `run`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import streamlit as st

from screening.app import auth
from screening.app.context import STAGE_LABELS, Context, User, load_protocol, open_project
from screening.app.escape import md, md_list
from screening.app.pages import (
    advisory,
    agreement,
    appraisal,
    contested,
    extraction,
    fulltexts,
    progress,
    project,
    records,
    screen,
    team,
)
from screening.protocol.errors import ProtocolError
from screening.store.project import ProjectError
from screening.store.schema import STAGES

Page = Callable[[Context], None]
PAGE_KEY = "page"


def pages_for(user: User) -> dict[str, Page]:
    """The pages this reviewer may open; contested records and team settings need a privileged role."""
    pages: dict[str, Page] = {"Screen": screen.render, "Records": records.render}
    if user.can_resolve:
        pages["Contested"] = contested.render
    pages["Full texts"] = fulltexts.render
    if user.can_resolve:
        pages["Advisory"] = advisory.render
    pages["Appraisal"] = appraisal.render
    pages["Extraction"] = extraction.render
    pages["Agreement"] = agreement.render
    pages["Progress"] = progress.render
    pages["Project"] = project.render
    if user.is_lead:
        pages["Team"] = team.render
    return pages


def _sidebar(user: User, pages: dict[str, Page]) -> tuple[str, str]:
    with st.sidebar:
        st.markdown(f"**{md(user.name)}** · {user.role}")
        page = st.radio("Page", list(pages), key=PAGE_KEY)
        stage = st.selectbox("Stage", STAGES, format_func=STAGE_LABELS.get, key="stage")
        if st.button("Sign out", key="sign_out"):
            auth.sign_out()
            st.rerun()
    return page, stage


def run(project_dir: Path | None) -> None:
    st.set_page_config(page_title="Screening", page_icon=":material/fact_check:", layout="wide")
    if project_dir is None:
        st.error("No project given: run `streamlit run app.py -- --project DIR` or set SCREENING_PROJECT.")
        st.stop()
        return  # st.stop() only raises inside a Streamlit runtime
    try:
        proj = open_project(str(project_dir))
    except ProjectError as error:
        st.error(md(error))
        st.stop()
        return
    user = auth.require_user(proj)
    try:
        protocol = load_protocol(proj)
    except ProtocolError as error:
        st.error(f"The protocol could not be loaded: {md(error.file)}\n\n{md_list(error.problems)}")
        protocol = None
    pages = pages_for(user)
    page, stage = _sidebar(user, pages)
    pages[page](Context(project=proj, user=user, stage=stage, protocol=protocol))
