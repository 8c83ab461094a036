"""Projects and AppTest drivers for the app tests: real records (CC0 Donners_2021 sample), real database."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Dataframe

from screening.decisions.record import record_decision
from screening.decisions.reviewers import add_reviewer
from screening.records.service import import_file
from screening.store.project import Project

FIXTURES = Path(__file__).parent / "fixtures" / "app"
APP = Path(__file__).parents[1] / "app.py"
RECORDS_CSV = FIXTURES / "donners_2021_sample.csv"
PROTOCOL = FIXTURES / "protocol.yaml"
PASSWORD = "correct horse battery"


def make_project(folder: Path, reviewers: dict[str, str] | None = None, passwords: bool = True) -> Project:
    """A project with the 40 fixture records, the test protocol and the named reviewers (name -> role)."""
    project = Project.init(folder, protocol=PROTOCOL)
    import_file(project, RECORDS_CSV)
    with project.session() as session:
        # Leads first: nobody else may get a password before a lead has one.
        for name, role in sorted((reviewers or {}).items(), key=lambda item: item[1] != "lead"):
            add_reviewer(session, name, role=role, password=PASSWORD if passwords else None)
    return project


def decide(project: Project, reviewer: str, record_id: int, decision: str, **kwargs) -> None:
    with project.session() as session:
        record_decision(session, reviewer=reviewer, record_id=record_id, decision=decision, **kwargs)


def open_app(project_dir: Path, monkeypatch) -> AppTest:  # type: ignore[no-untyped-def]
    """The real app.py against `project_dir` (found through $SCREENING_PROJECT, as `make run` could)."""
    monkeypatch.setenv("SCREENING_PROJECT", str(project_dir))
    monkeypatch.setenv("SCREENING_APP_ENCODER", "tfidf")  # no background MiniLM build in unit tests
    return AppTest.from_file(str(APP), default_timeout=180).run()


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    at.button[0].click().run()
    return at


# AppTest.switch_page only reaches file pages; the app's pages are callables registered by st.navigation, so
# these read AppTest's registry of them (page hash -> PageInfo with the page's title and url path).
def page_titles(at: AppTest) -> list[str]:
    """The pages the navigation offers the signed-in reviewer, in order."""
    return [str(info["page_name"]) for info in at._registered_pages.values()]


def current_page(at: AppTest) -> str:
    return str(at._registered_pages[at._finished_page_script_hash]["page_name"])


def go(at: AppTest, page: str) -> AppTest:
    """Open a page as a click in the sidebar's page list would."""
    hashes = {str(info["page_name"]): page_hash for page_hash, info in at._registered_pages.items()}
    at._page_hash = hashes[page]
    at.run()
    at._page_hash = ""  # later runs stay where this one finished (or where st.switch_page went)
    assert not at.exception, [e.value for e in at.exception]
    assert current_page(at) == page
    return at


def page_text(at: AppTest) -> str:
    """Everything the page sends to the browser (element protos and table contents), as one string."""
    parts: list[str] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        if isinstance(node, Dataframe):
            parts.append(node.value.to_csv())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def shown(markdown: str) -> str:
    """The text a Markdown string from the app shows: backslash escapes (screening/app/escape.py) removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def shown_record_source_id(at: AppTest) -> str:
    """The source id of the record on the Screen page (printed in the ranking caption)."""
    for caption in at.caption:
        if "· record `" in caption.value:
            return caption.value.split("· record `")[1].rstrip("`")
    raise AssertionError("no record shown on the Screen page")


def records(project: Project) -> pd.DataFrame:
    from screening.store.records_table import records_frame

    return records_frame(project)
