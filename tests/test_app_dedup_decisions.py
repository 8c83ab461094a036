"""In the app: a record decided on two copies is one contested work after dedup, and the lead settles it."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from screening.decisions.queries import conflicts, latest_consensus
from screening.records.service import import_file
from screening.store.schema import Record
from screening.store.settings import set_setting
from tests.app_helpers import FIXTURES, decide, go, make_project, open_app, sign_in

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def test_a_conflict_decided_on_a_copy_is_settled_on_the_kept_record(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "bob": "reviewer", "lead": "lead"})
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
    again = pd.read_csv(FIXTURES / "donners_2021_sample.csv").head(1)  # the same work from another search
    again["record_id"] = ["other-1"]
    again.to_csv(tmp_path / "second_search.csv", index=False)
    import_file(project, tmp_path / "second_search.csv")
    with project.session() as session:
        (original, kept_source), (copy, _) = session.execute(
            select(Record.id, Record.source_id).where(Record.title == again["title"].iloc[0]).order_by(Record.id)).all()
    decide(project, "ann", original, "include")
    decide(project, "ann", copy, "include")
    decide(project, "bob", copy, "exclude", reasons=["E2"])

    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Project")
    at.button(key="run_dedup").click().run()
    assert at.success[0].value.startswith("Found 1 duplicate group: 1 duplicate removed")
    assert list(conflicts(project)["record_id"]) == [original]  # the copy's conflict moved to the kept record

    go(at, "Contested")
    assert at.dataframe[0].value["source_id"].tolist() == [kept_source]
    at.selectbox(key="contested_record").set_value(original).run()
    at.radio(key=f"consensus_decision_{original}").set_value("exclude")
    at.button[[b.label for b in at.button].index("Record consensus")].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert latest_consensus(project, "title_abstract")["record_id"].tolist() == [original]
    assert conflicts(project).empty
