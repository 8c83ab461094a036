"""Protocol edits keep every version, audit old hash -> new hash, and an earlier version can be restored."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from screening.protocol.errors import ProtocolError
from screening.protocol.versions import (
    FOUND_BY,
    protocol_versions,
    restore_protocol,
    save_protocol,
    text_hash,
)
from screening.store.schema import AuditEntry
from tests.app_helpers import PROTOCOL, go, make_project, open_app, sign_in


def _audit(project, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with project.session() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_an_edit_keeps_the_replaced_version_and_is_audited(tmp_path):
    project = make_project(tmp_path / "p", {"lead": "lead"})
    original = project.protocol_path.read_text(encoding="utf-8")
    edited = original.replace("Data on humans", "Data on human participants")
    saved = save_protocol(project, edited, actor="lead")
    assert project.protocol_path.read_text(encoding="utf-8") == edited
    versions = protocol_versions(project)
    assert [(v.origin, v.saved_by) for v in versions] == [("edit", "lead"), ("found", FOUND_BY)]
    assert versions[1].text == original and versions[0].sha256 == text_hash(edited) == saved.sha256
    (entry,) = _audit(project, "edit_protocol")
    assert entry.actor == "lead"
    assert json.loads(entry.old)["sha256"] == text_hash(original)
    assert json.loads(entry.new)["sha256"] == text_hash(edited)
    assert save_protocol(project, edited, actor="lead") is None  # same text: no new version
    assert len(protocol_versions(project)) == 2


def test_an_invalid_edit_writes_nothing(tmp_path):
    project = make_project(tmp_path / "p", {"lead": "lead"})
    original = project.protocol_path.read_text(encoding="utf-8")
    with pytest.raises(ProtocolError, match="cod"):
        save_protocol(project, original.replace("  - code: E3\n", "  - cod: E3\n"), actor="lead")
    assert project.protocol_path.read_text(encoding="utf-8") == original
    assert protocol_versions(project) == [] and _audit(project, "edit_protocol") == []


def test_restore_saves_an_earlier_text_as_a_new_version(tmp_path):
    project = make_project(tmp_path / "p", {"lead": "lead"})
    original = project.protocol_path.read_text(encoding="utf-8")
    save_protocol(project, original.replace("Data on humans", "Data on adults"), actor="lead")
    first = protocol_versions(project)[-1]
    restored = restore_protocol(project, first.id, actor="lead")
    assert project.protocol_path.read_text(encoding="utf-8") == original
    assert (restored.origin, restored.restored_from) == ("restore", first.id)
    assert len(protocol_versions(project)) == 3
    (entry,) = _audit(project, "restore_protocol")
    assert json.loads(entry.new)["restored_from"] == first.id
    with pytest.raises(ProtocolError, match="no protocol version 99"):
        restore_protocol(project, 99, actor="lead")


def test_an_edit_made_outside_the_app_is_kept_before_the_next_save(tmp_path):
    project = make_project(tmp_path / "p", {"lead": "lead"})
    original = project.protocol_path.read_text(encoding="utf-8")
    save_protocol(project, original.replace("Data on humans", "Data on adults"), actor="lead")
    by_hand = original.replace("Data on humans", "Data on children")
    project.protocol_path.write_text(by_hand, encoding="utf-8")
    save_protocol(project, original, actor="lead")
    assert [v.origin for v in protocol_versions(project)] == ["edit", "found", "edit", "found"]
    assert protocol_versions(project)[1].text == by_hand


def test_project_page_saves_lists_and_restores_versions(tmp_path, monkeypatch, fresh_streamlit_caches):
    project = make_project(tmp_path / "p", {"lead": "lead"})
    original = project.protocol_path.read_text(encoding="utf-8")
    at = go(sign_in(open_app(project.path, monkeypatch), "lead"), "Project")
    at.text_area(key="protocol_text").input(original.replace("Data on humans", "Data on adults"))
    at.button(key="protocol_save").click().run()
    assert not at.exception and at.success[0].value.startswith("Protocol saved as version 2")
    history = next(frame.value for frame in at.dataframe if "sha256" in frame.value.columns)
    assert history["version"].tolist() == [2, 1] and history["in force"].tolist() == [True, False]
    assert history["by"].tolist() == ["lead", FOUND_BY]
    at.selectbox(key="protocol_version").set_value(1).run()
    assert at.code[0].value == original.rstrip("\n")  # st.code drops the final newline
    at.button(key="protocol_restore").click().run()
    assert not at.exception and at.success[0].value.startswith("Version 1 restored as version 3")
    assert project.protocol_path.read_text(encoding="utf-8") == original
    assert at.text_area(key="protocol_text").value == original
    assert PROTOCOL.read_text(encoding="utf-8") == original
