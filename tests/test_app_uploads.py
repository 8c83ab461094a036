"""Uploads on the Project page: safe unique stored names, no symlink followed, every file's message shown."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from sqlalchemy import func, select

from screening.app.uploads import IMPORT_DIR, MAX_NAME_BYTES, UploadError, safe_name, store_upload
from screening.records.fuzz import bombs
from screening.store.schema import ImportBatch, Record
from tests.app_helpers import FIXTURES, go, make_project, open_app, shown, sign_in


@pytest.mark.parametrize("name, stored", [
    ("../../etc/passwd.ris", "passwd.ris"), ("..", "upload"), ("C:\\Users\\ann\\scopus.csv", "scopus.csv"),
    (".hidden.ris", "hidden.ris"), ("a\0b<script>.ris", "a_b_script_.ris"), ("Müller 2021 (v2).nbib",
                                                                              "Müller 2021 (v2).nbib"),
])
def test_safe_name_keeps_a_plain_name_inside_the_folder(name, stored):
    assert safe_name(name) == stored


def test_long_names_are_shortened_keeping_the_extension():
    name = safe_name("é" * 300 + ".ris")
    assert name.endswith(".ris") and len(name.encode()) <= MAX_NAME_BYTES


def test_a_second_upload_of_a_name_gets_its_own_file(tmp_path):
    first = store_upload(tmp_path, "savedrecs.txt", b"one")
    second = store_upload(tmp_path, "savedrecs.txt", b"two")
    assert (first.name, second.name) == ("savedrecs.txt", "savedrecs-2.txt")
    assert first.read_bytes() == b"one" and second.read_bytes() == b"two"


def test_a_symlink_in_the_folder_is_never_written_through(tmp_path):
    outside = tmp_path / "outside.ris"
    outside.write_bytes(b"keep me")
    (tmp_path / IMPORT_DIR).mkdir()
    os.symlink(outside, tmp_path / IMPORT_DIR / "export.ris")
    stored = store_upload(tmp_path, "export.ris", b"upload")
    assert stored.name == "export-2.ris" and not stored.is_symlink()
    assert outside.read_bytes() == b"keep me"


def test_a_symlinked_folder_is_refused_with_a_clear_message(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    project_dir = tmp_path / "p"
    project_dir.mkdir()
    os.symlink(elsewhere, project_dir / IMPORT_DIR)
    with pytest.raises(UploadError, match=r"^export.ris: could not be stored: the project's imports/ folder"):
        store_upload(project_dir, "export.ris", b"upload")
    assert list(elsewhere.iterdir()) == []


def test_project_page_reports_every_file_of_a_batch_and_commits_each_good_one(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"lead": "lead"})
    new = pd.read_csv(FIXTURES / "donners_2021_sample.csv").head(5)
    new["record_id"] = new["record_id"] + "-new"
    bad_name, bad = bombs.xlsx_bad_cell_value()  # a traceback inside openpyxl's row reader before
    long_name = "../" + "x" * 300 + ".csv"
    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Project")
    at.file_uploader(key="import_files").set_value([
        ("first.csv", new.to_csv(index=False).encode(), "text/csv"),
        (bad_name, bad, "application/octet-stream"),
        (long_name, new.assign(record_id=new["record_id"] + "2").to_csv(index=False).encode(), "text/csv"),
        ("first.csv", new.to_csv(index=False).encode(), "text/csv"),  # the same file again
    ])
    at.button(key="import_button").click().run()
    assert not at.exception
    assert [shown(m.value) for m in at.success] == [
        "first.csv: 5 records imported as csv",
        f"{safe_name(long_name)}: 5 records imported as csv",
        "first-2.csv: already imported, nothing added",
    ]
    assert [shown(m.value) for m in at.error] == [
        f"error: {bad_name}, line 2: worksheet 'Sheet' is damaged after row 1 (could not convert string to float: "
        "'not a number')"]
    with project.session() as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == 3  # the fixture, first.csv, the long name
        assert session.scalar(select(func.count(Record.id))) == 50
    stored = sorted(path.name for path in (project.path / IMPORT_DIR).iterdir())
    assert stored == sorted(["first.csv", safe_name(long_name)])  # refused and repeated files are not kept
    assert str(project.path) not in " ".join(m.value for m in [*at.success, *at.error])


def test_project_page_never_overwrites_or_follows_a_link_and_names_bad_names(tmp_path, monkeypatch):
    project = make_project(tmp_path / "p", {"lead": "lead"})
    outside = tmp_path / "outside.csv"
    outside.write_text("not yours\n", encoding="utf-8")
    (project.path / IMPORT_DIR).mkdir()
    os.symlink(outside, project.path / IMPORT_DIR / "export.csv")
    rows = pd.read_csv(FIXTURES / "donners_2021_sample.csv").head(4)
    first, second = (rows.assign(record_id=rows["record_id"] + tag).to_csv(index=False).encode() for tag in "ab")
    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Project")
    at.file_uploader(key="import_files").set_value([
        ("export.csv", first, "text/csv"), ("export.csv", second, "text/csv"), ("..", first, "text/csv")])
    at.button(key="import_button").click().run()
    assert not at.exception
    assert [shown(m.value) for m in at.success] == ["export-2.csv: 4 records imported as csv",
                                             "export-3.csv: 4 records imported as csv"]
    assert [shown(m.value) for m in at.error] == [
        "error: upload, line 1: cannot tell the format of this text file: expected RIS ('TY  - '), MEDLINE "
        "('PMID- '), BibTeX ('@article{') or a tab-delimited header"]
    assert outside.read_text(encoding="utf-8") == "not yours\n"
    assert (project.path / IMPORT_DIR / "export-2.csv").read_bytes() == first
    assert (project.path / IMPORT_DIR / "export-3.csv").read_bytes() == second


def test_an_import_empties_the_uploader_keeps_its_messages_and_runs_dedup(tmp_path, monkeypatch):
    from screening.dedup.service import list_groups

    project = make_project(tmp_path / "p", {"lead": "lead"})
    copies = pd.read_csv(FIXTURES / "donners_2021_sample.csv").head(3)
    copies["record_id"] = copies["record_id"] + "-copy"  # the same works from another database
    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Project")
    at.file_uploader(key="import_files").set_value([("copies.csv", copies.to_csv(index=False).encode(), "text/csv"),
                                                     ("bad.ris", b"not a ris file\n", "text/plain")])
    at.button(key="import_button").click().run()
    messages = ([shown(m.value) for m in at.success], [shown(m.value) for m in at.error])
    assert messages[0] == ["copies.csv: 3 records imported as csv"] and len(messages[1]) == 1
    assert any(shown(i.value).startswith("Found 3 duplicate groups: 3 duplicates removed") for i in at.info)
    assert len(list_groups(project)) == 3  # dedup ran; each group can be split under Duplicates
    assert at.file_uploader(key="import_files-1").value in (None, [])  # a fresh, empty uploader
    at.button(key="run_dedup").click().run()  # another click: the import's messages stay
    assert ([shown(m.value) for m in at.success if "imported" in m.value],
            [shown(m.value) for m in at.error]) == messages
    at.button(key="import_button").click().run()  # nothing chosen: nothing re-imported, nothing repeated
    assert any("Choose one or more files first." in i.value for i in at.info)
    assert [shown(m.value) for m in at.error] == messages[1]
    with project.session() as session:
        assert session.scalar(select(func.count(ImportBatch.id))) == 2
