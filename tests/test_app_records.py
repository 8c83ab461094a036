"""The Records page (issue 13 item 2): search, filters, open a record on Screen and re-decide it; blind holds."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from screening.decisions.queries import current_decisions
from screening.decisions.records_view import RecordFilter, records_list
from screening.decisions.tags import set_tags
from screening.store.schema import AuditEntry, Decision
from screening.store.settings import set_setting
from tests.app_helpers import (
    current_page,
    decide,
    go,
    make_project,
    open_app,
    records,
    shown_record_source_id,
    sign_in,
)

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def test_search_filter_open_on_screen_and_re_decide(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"solo": "lead"}, passwords=False)
    frame = records(project)
    target = frame.iloc[5]
    decide(project, "solo", int(target["id"]), "include", reasons=["I1"])
    decide(project, "solo", int(frame.iloc[6]["id"]), "exclude", reasons=["E2"])
    set_tags(project, "solo", int(target["id"]), ["check methods"])
    word = max(str(target["title"]).split(), key=len)
    found = records_list(project, "title_abstract", "solo", RecordFilter(text=word.upper()))
    assert int(target["id"]) in set(found["id"])
    for chosen in (RecordFilter(decisions=["include"]), RecordFilter(reasons=["I1"]),
                   RecordFilter(tags=["check methods"])):
        assert records_list(project, "title_abstract", "solo", chosen)["id"].tolist() == [int(target["id"])]
    assert len(records_list(project, "title_abstract", "solo", RecordFilter(decisions=["undecided"]))) == 38

    at = go(open_app(project.path, monkeypatch), "Records")
    at.multiselect(key="records_dec").set_value(["include"]).run()
    assert at.dataframe[0].value["id"].tolist() == [int(target["id"])]
    at.button(key="records_open").click().run()
    assert not at.exception and at.query_params.get("record") in (str(target["id"]), [str(target["id"])])
    assert current_page(at) == "Screen"
    assert shown_record_source_id(at) == target["source_id"]
    assert any("Opened from the Records list (your current decision: **include**)" in i.value for i in at.info)
    at.button(key="btn_exclude").click().run()
    mine = current_decisions(project, "title_abstract").set_index("record_id")
    assert mine.loc[int(target["id"]), "decision"] == "exclude"
    with project.session() as session:
        rows = session.scalars(select(Decision.decision).where(Decision.record_id == int(target["id"]))).all()
        audited = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == int(target["id"]))).all()
    assert rows == ["include", "exclude"] and audited  # a new row; the old one stays
    assert "record" not in at.query_params and shown_record_source_id(at) != target["source_id"]


def test_a_blind_reviewer_sees_only_their_own_and_resolved_decisions(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"ann": "reviewer", "bob": "reviewer", "lead": "lead"})
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
    ids = [int(i) for i in records(project)["id"]]
    decide(project, "bob", ids[0], "exclude", reasons=["E1"])
    set_tags(project, "bob", ids[0], ["probably out"])
    decide(project, "ann", ids[1], "include")
    decide(project, "bob", ids[1], "include")  # resolved: both may see it
    seen = records_list(project, "title_abstract", "ann", RecordFilter())
    assert "bob" not in " ".join(seen.loc[seen["id"] == ids[0], "decisions"].fillna(""))
    assert "bob: include" in seen.loc[seen["id"] == ids[1], "decisions"].iloc[0]
    assert records_list(project, "title_abstract", "ann", RecordFilter(decisions=["exclude"])).empty
    assert records_list(project, "title_abstract", "ann", RecordFilter(reasons=["E1"])).empty
    assert seen["conflict"].isna().all() and seen["tags"].eq("").all()
    at = go(sign_in(open_app(project.path, monkeypatch), "ann"), "Records")
    assert at.multiselect(key="records_reviewers").options == ["ann", "bob"]  # bob only through the resolved one
    assert "conflict" not in at.dataframe[0].value.columns
    assert not [t for t in at.toggle if t.key == "records_conflict"]
