"""The lead's and advisory group's pages: contested records, agreement, team, project and progress."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from sqlalchemy import select

from screening.decisions.queries import conflicts, current_decisions, latest_consensus, pending_records
from screening.decisions.reviewers import authenticate
from screening.measures.agreement import overall_agreement, pairwise_agreement
from screening.records.errors import ImportFormatError
from screening.records.service import import_file
from screening.store.schema import Assignment, Record
from screening.store.settings import blind_mode, required_reviewers, set_setting
from tests.app_helpers import FIXTURES, PROTOCOL, decide, go, make_project, open_app, page_text, sign_in

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")

STAGE = "title_abstract"


def _ids(project):  # type: ignore[no-untyped-def]
    with project.session() as session:
        return list(session.scalars(select(Record.id).order_by(Record.id)))


def _dual_project(tmp_path):  # type: ignore[no-untyped-def]
    project = make_project(tmp_path / "p", {"ann": "reviewer", "bob": "reviewer", "lead": "lead",
                                            "ada": "advisor"})
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
    return project


def test_contested_records_are_resolved_by_consensus(tmp_path, monkeypatch):
    project = _dual_project(tmp_path)
    ids = _ids(project)
    decide(project, "ann", ids[0], "include", reasons=["I2"], note="reports clearance")
    decide(project, "bob", ids[0], "exclude", reasons=["E2"], note="case report, no PK")
    decide(project, "ann", ids[1], "exclude")
    decide(project, "bob", ids[1], "maybe", note="unsure about population")
    decide(project, "ann", ids[2], "exclude")
    decide(project, "bob", ids[2], "exclude")  # agreed: not contested

    at = go(sign_in(open_app(project.path, monkeypatch), "ada"), "Contested")
    table = at.dataframe[0].value
    assert len(table) == 2 and table["reasons"].tolist()[0] == "E2, I2"
    text = page_text(at)
    for shown in ("reports clearance", "case report, no PK", "E2", "No PK data or PK/PD relationship",
                  "The bispecific monoclonal antibody emicizumab"):  # decisions, reasons, concept definition
        assert shown in text

    at.multiselect(key="contested_reasons").set_value(["E2"]).run()
    assert len(at.dataframe[0].value) == 1
    at.multiselect(key="contested_reasons").set_value([]).run()
    at.multiselect(key="contested_reviewers").set_value(["bob"]).run()
    assert len(at.dataframe[0].value) == 2

    at.selectbox(key="contested_record").set_value(ids[0]).run()
    at.text_area(key=f"consensus_note_{ids[0]}").input("Group: modelled PK counts as PK data")
    at.radio(key=f"consensus_decision_{ids[0]}").set_value("include")
    at.multiselect(key=f"consensus_reasons_{ids[0]}").set_value(["I2"])
    at.button[[b.label for b in at.button].index("Record consensus")].click().run()
    assert not at.exception and "Consensus recorded by ada: include" in at.success[0].value

    consensus = latest_consensus(project, STAGE).set_index("record_id").loc[ids[0]]
    assert (consensus["decision"], consensus["recorded_by"], consensus["reasons"]) == ("include", "ada", "I2")
    assert consensus["note"] == "Group: modelled PK counts as PK data"
    assert list(conflicts(project, STAGE)["record_id"]) == [ids[1]]
    assert len(at.dataframe[0].value) == 1  # the resolved record left the contested list


def test_agreement_page_shows_the_library_numbers(tmp_path, monkeypatch):
    project = _dual_project(tmp_path)
    ids = _ids(project)
    ann = ["include"] * 6 + ["exclude"] * 14
    bob = ["include"] * 4 + ["exclude"] * 2 + ["include"] * 3 + ["exclude"] * 10 + ["maybe"]
    for record_id, a, b in zip(ids[:20], ann, bob, strict=True):
        decide(project, "ann", record_id, a)
        decide(project, "bob", record_id, b)
    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Agreement")
    decisions = current_decisions(project, STAGE, viewer="lead")
    expected = pairwise_agreement(decisions)[0]
    row = at.dataframe[0].value.iloc[0]
    assert row["reviewers"] == "ann × bob" and row["records"] == 20
    assert row["Cohen's κ"] == f"{expected.cohen_kappa:.2f}"
    assert row["PABAK"] == f"{expected.pabak:.2f}" and row["Gwet's AC1"] == f"{expected.gwet_ac1:.2f}"
    assert row["agreement"] == f"{expected.percent_agreement:.2f}" == "0.70"  # 14 of 20 agree
    overall = overall_agreement(decisions)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Krippendorff's α"] == f"{overall.krippendorff_alpha:.2f}"
    assert metrics["Fleiss' κ"] == f"{overall.fleiss_kappa:.2f}"
    model = at.dataframe[-1].value
    assert model["reviewers"].tolist() == ["ann × model", "bob × model"]
    assert model["records"].tolist() == [20, 20]


def test_team_page_sets_dual_screening_adds_reviewers_and_assigns_batches(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"lead": "lead", "ann": "reviewer", "bob": "reviewer"})
    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Team")
    at.radio(key="setting_required").set_value(2).run()
    at.toggle(key="setting_blind").set_value(False).run()
    with project.session() as session:
        assert required_reviewers(session) == 2 and blind_mode(session) is False

    at.text_input(key="new_reviewer_name").input("cy")
    at.selectbox(key="new_reviewer_role").set_value("advisor")
    at.text_input(key="new_reviewer_password").input("s3cret! and longer")
    at.button[[b.label for b in at.button].index("Add reviewer")].click().run()
    assert "Added cy (advisor)." in at.success[0].value
    assert "cy" in at.dataframe[0].value["name"].tolist()

    at.multiselect(key="assign_reviewers").set_value(["ann", "bob"])
    at.number_input(key="assign_size").set_value(10)
    at.button[[b.label for b in at.button].index("Assign next batch")].click().run()
    assert "Assigned 10 records (20 assignments)." in at.success[0].value
    with project.session() as session:
        assigned = session.scalars(select(Assignment.record_id)).all()
    assert len(assigned) == 20 and len(set(assigned)) == 10
    assert pending_records(project, "ann") == pending_records(project, "bob") == sorted(set(assigned))

    at.selectbox(key="password_reviewer").set_value("lead")
    at.text_input(key="password_value").input("lead-pass of the team")
    at.button[[b.label for b in at.button].index("Set password")].click().run()
    assert "Password set for lead." in at.success[0].value
    with project.session() as session:
        assert authenticate(session, "lead", "lead-pass of the team") is not None


def test_project_page_imports_with_the_cli_messages(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"lead": "lead"})
    broken = tmp_path / "broken.ris"
    broken.write_text("TY  - JOUR\nTI  - A title without end\nER  -\nTY  - JOUR\nXX  broken line\n",
                      encoding="utf-8")
    with pytest.raises(ImportFormatError) as cli_error:  # what `screening import` prints after "error: "
        import_file(make_project(tmp_path / "q"), broken)

    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Project")
    at.file_uploader(key="import_files").set_value([("broken.ris", broken.read_bytes(), "text/plain")])
    at.button(key="import_button").click().run()
    assert at.error[0].value.endswith(str(cli_error.value).split(": ", 1)[1])
    assert at.error[0].value.startswith("error: ") and "broken.ris" in at.error[0].value

    csv = pd.read_csv(FIXTURES / "donners_2021_sample.csv").head(5)
    csv["record_id"] = csv["record_id"] + "-new"
    at.file_uploader(key="import_files").set_value([("more.csv", csv.to_csv(index=False).encode(), "text/csv")])
    at.button(key="import_button").click().run()
    assert at.success[0].value == "more.csv: 5 records imported as csv"


def test_protocol_editor_validates_before_saving(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"lead": "lead"})
    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Project")
    original = project.protocol_path.read_text(encoding="utf-8")
    at.text_area(key="protocol_text").input(original.replace("  - code: E3\n", "  - cod: E3\n"))
    at.button(key="protocol_save").click().run()
    assert "the protocol was not saved" in at.error[0].value
    assert any("line" in m.value and "cod" in m.value for m in at.markdown)
    assert project.protocol_path.read_text(encoding="utf-8") == original

    at.text_area(key="protocol_text").input(original.replace("Data on humans", "Data on human participants"))
    at.button(key="protocol_save").click().run()
    assert not at.error and "Data on human participants" in project.protocol_path.read_text(encoding="utf-8")
    assert PROTOCOL.read_text(encoding="utf-8") == original  # the fixture itself is untouched


def test_progress_page_counts_and_exports(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"lead": "lead"})
    ids = _ids(project)
    for record_id in ids[:8]:
        decide(project, "lead", record_id, "exclude")
    decide(project, "lead", ids[8], "include")
    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Progress")
    prisma = at.dataframe[0].value.set_index("field")["value"]  # PRISMA2020 fields; 31 records still await
    assert prisma["database_results"] == "40" and prisma["records_screened"] == "9"
    assert prisma["records_excluded"] == "8" and prisma["dbr_sought_reports"] == "1"
    assert "31 record(s) still await a title/abstract outcome" in " ".join(w.value for w in at.warning)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Stopping"] == "continue" and "Includes left (est.)" in metrics
    # one include found: a sample must rule out a single hidden include among 31 unread (P(miss) = 1/31 <= 0.04)
    assert metrics["Records to screen before 'stop'"] == "30"
    assert "Screened 9 / 40, includes found 1" in " ".join(c.value for c in at.caption)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Stopping report (Markdown)", "Stopping report (HTML, print to PDF)",
                      "CSV (all decisions)", "Excel (all decisions)", "RIS", "ASReview CSV"]
    exported = pd.read_csv(io.BytesIO(_export(at, project)))
    assert (exported["final_title_abstract"] == "exclude").sum() == 8


def _export(at, project) -> bytes:  # type: ignore[no-untyped-def]
    """The bytes the CSV download button serves (the same function the button calls)."""
    from screening.app.context import Context, User
    from screening.app.pages.progress import _export_bytes

    return _export_bytes(Context(project, User("lead", "lead"), STAGE, project.load_protocol()), "csv")


def test_project_page_finds_and_splits_duplicate_groups(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"lead": "lead"})
    again = pd.read_csv(FIXTURES / "donners_2021_sample.csv").head(3)  # the same works from another source
    again["record_id"] = ["other-1", "other-2", "other-3"]
    again.to_csv(tmp_path / "second_search.csv", index=False)
    import_file(project, tmp_path / "second_search.csv")

    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Project")
    at.button(key="run_dedup").click().run()
    assert at.success[0].value.startswith("Found 3 duplicate groups: 3 duplicates removed, 40 unique")
    assert len(at.expander) >= 3
    group_keys = [b.key for b in at.button if (b.key or "").startswith("undo_group_")]
    assert len(group_keys) == 3
    at.button(key=group_keys[0]).click().run()
    assert "split" in at.success[0].value
    with project.session() as session:
        duplicates = session.scalars(select(Record.id).where(Record.duplicate_of.is_not(None))).all()
    assert len(duplicates) == 2
