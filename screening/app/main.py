"""The Streamlit app: sign-in, sidebar navigation and the pages (app.py at the repo root calls `run`).

Pages are Streamlit's own (`st.navigation`), so each has an address (``/records``, ``/agreement``, ...) that
back, bookmarks and shared links reach; the Screen page is the default and opens ``?record=ID``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from screening.app import auth
from screening.app.context import STAGE_LABELS, Context, User, load_protocol, open_project
from screening.app.escape import md, md_list
from screening.protocol.errors import ProtocolError
from screening.store.project import Project, ProjectError
from screening.store.schema import STAGES

Render = Callable[[Context], None]
SCREEN = "Screen"


def pages_for(user: User) -> dict[str, str]:
    """The pages this reviewer may open (title -> module in `screening.app.pages`); contested records and
    team settings need a privileged role."""
    pages = {SCREEN: "screen", "Records": "records"}
    if user.can_resolve:
        pages["Contested"] = "contested"
    pages["Full texts"] = "fulltexts"
    if user.can_resolve:
        pages["Advisory"] = "advisory"
    pages |= {"Appraisal": "appraisal", "Extraction": "extraction", "Agreement": "agreement",
              "Progress": "progress", "Project": "project"}
    if user.is_lead:
        pages["Team"] = "team"
    return pages


def _render(module: str) -> Render:
    """A page's `render`, imported when the page is first opened: the first record then does not wait for
    the statistics and PRISMA pages' libraries (scipy, statsmodels, matplotlib: 1.1-1.5 s here)."""
    return importlib.import_module(f"screening.app.pages.{module}").render


def url_path(title: str) -> str:
    """A page's address: its title in lower case, words joined by hyphens ("Full texts" -> "full-texts")."""
    return "-".join(title.lower().split())


def _navigation(modules: dict[str, str], context: Callable[[st.Page], Context]) -> st.Page:
    """Streamlit's navigation over the pages; each renders with this run's context (which carries the
    Screen page, so other pages can open a record there)."""
    pages: dict[str, st.Page] = {}

    def page(title: str, module: str) -> st.Page:
        def show() -> None:
            _render(module)(context(pages[SCREEN]))
        return st.Page(show, title=title, url_path=url_path(title), default=title == SCREEN)

    pages.update((title, page(title, module)) for title, module in modules.items())
    return st.navigation(list(pages.values()), position="sidebar")


def _sidebar(project: Project, user: User) -> str:
    with st.sidebar:
        st.markdown(f"**{md(user.name)}** · {user.role}")
        stage = st.selectbox("Stage", STAGES, format_func=STAGE_LABELS.get, key="stage")
        if st.button("Sign out", key="sign_out"):
            auth.sign_out(project)
            st.rerun()
    return stage


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
    stage = _sidebar(proj, user)  # Streamlit draws the page list above the sidebar's own widgets
    _navigation(pages_for(user), lambda screen_page: Context(
        project=proj, user=user, stage=stage, protocol=protocol, screen_page=screen_page)).run()
