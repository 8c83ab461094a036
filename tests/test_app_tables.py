"""The app's tables reach the browser neutralised (their toolbar offers them as a CSV download)."""

from __future__ import annotations

import pytest

from tests.app_helpers import go, make_project, open_app, sign_in

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def test_app_tables_hand_the_browser_neutralised_data(tmp_path, monkeypatch):
    """Streamlit's "Download as CSV" exports the data it was given: a name that is a formula is defused."""
    hostile = '=HYPERLINK("http://evil.example","x")'
    project = make_project(tmp_path / "p", {"lead": "lead", hostile: "reviewer"})
    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Team")
    names = next(frame.value for frame in at.dataframe if "name" in frame.value.columns)["name"].tolist()
    assert "'" + hostile in names and hostile not in names


def test_progress_page_excel_button_serves_a_workbook_of_every_record(tmp_path):
    import io

    import openpyxl

    from screening.app.context import Context, User
    from screening.app.pages.progress import _export_bytes

    project = make_project(tmp_path / "p", {"lead": "lead"})
    data = _export_bytes(Context(project, User("lead", "lead"), "title_abstract", project.load_protocol()), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.max_row == 41 and sheet["A1"].value == "record_id"
