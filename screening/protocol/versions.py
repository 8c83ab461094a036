"""Protocol edits that keep every version: validated, saved atomically, audited old hash -> new hash.

Why: the protocol decides what the ranker looks for and which reason codes exist; an edit that simply
overwrote ``protocol.yaml`` left no trace of what the team screened against before, nor a way back.
Every text the file has had is a row of ``protocol_versions`` (hash, who, when); saving and restoring
are audited; the file is replaced in one step, inside the same transaction as its version row, so a
failed write leaves neither.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from screening.output_files import OutputPathError, write_atomically
from screening.protocol.errors import ProtocolError
from screening.protocol.load import MARKDOWN_SUFFIXES
from screening.protocol.markdown_criteria import parse_markdown_protocol
from screening.protocol.schema import Protocol
from screening.protocol.yaml_protocol import parse_yaml_protocol
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.schema import ProtocolVersion

FOUND_BY = "(file on disk)"  # saved_by of a version found on disk rather than saved here


@dataclass(frozen=True)
class ProtocolVersionInfo:
    """One kept version of the protocol file, detached from the database session."""

    id: int
    sha256: str
    origin: str
    saved_by: str
    saved_at: datetime
    restored_from: int | None
    text: str


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def validate_protocol_text(text: str, file: str) -> Protocol:
    """Parse ``text`` exactly as load_protocol would parse the file ``file`` (raises ProtocolError)."""
    parse = parse_markdown_protocol if file.lower().endswith(MARKDOWN_SUFFIXES) else parse_yaml_protocol
    return parse(text, file)


def _info(row: ProtocolVersion) -> ProtocolVersionInfo:
    return ProtocolVersionInfo(row.id, row.sha256, row.origin, row.saved_by, row.saved_at, row.restored_from,
                               row.text)


def _latest(session: Session) -> ProtocolVersion | None:
    return session.scalars(select(ProtocolVersion).order_by(ProtocolVersion.id.desc()).limit(1)).one_or_none()


def _protocol_file(project: Project):  # type: ignore[no-untyped-def]
    if project.protocol_path is None:
        raise ProtocolError(str(project.path), "this project has no protocol file "
                                               "(create the project with 'screening init --protocol FILE')")
    return project.protocol_path


def _track_file_on_disk(session: Session, project: Project) -> ProtocolVersion | None:
    """Record the file as found when it is not the newest kept version (first edit, or edited outside)."""
    path = _protocol_file(project)
    if not path.exists():
        return _latest(session)
    text = path.read_text(encoding="utf-8")
    latest = _latest(session)
    if latest is not None and latest.sha256 == text_hash(text):
        return latest
    found = ProtocolVersion(file_name=path.name, sha256=text_hash(text), text=text, origin="found",
                            saved_by=FOUND_BY)
    session.add(found)
    session.flush()
    return found


def _save(project: Project, text: str, actor: str, origin: str,
          restored_from: int | None = None) -> ProtocolVersionInfo | None:
    path = _protocol_file(project)
    validate_protocol_text(text, str(path))
    with project.session() as session:
        previous = _track_file_on_disk(session, project)
        if previous is not None and previous.sha256 == text_hash(text):
            return None  # the file already has this text: nothing to save
        row = ProtocolVersion(file_name=path.name, sha256=text_hash(text), text=text, origin=origin,
                              saved_by=actor, restored_from=restored_from)
        session.add(row)
        session.flush()
        audit(session, actor, f"{origin}_protocol", "protocol", row.id,
              {"sha256": previous.sha256 if previous else None, "version": previous.id if previous else None},
              {"sha256": row.sha256, "version": row.id, "file": path.name, "restored_from": restored_from})
        try:
            write_atomically(path, text.encode("utf-8"))
        except OutputPathError as error:
            raise ProtocolError(str(path), f"could not be saved: {error}") from error
        return _info(row)


def save_protocol(project: Project, text: str, actor: str) -> ProtocolVersionInfo | None:
    """Validate and save an edited protocol; the version it replaces is kept. None when nothing changed."""
    return _save(project, text, actor, "edit")


def restore_protocol(project: Project, version_id: int, actor: str) -> ProtocolVersionInfo | None:
    """Save an earlier version's text again (a new version; nothing in between is lost)."""
    with project.session() as session:
        row = session.get(ProtocolVersion, version_id)
        if row is None:
            raise ProtocolError(str(_protocol_file(project)), f"there is no protocol version {version_id}")
        text = row.text
    return _save(project, text, actor, "restore", restored_from=version_id)


def protocol_versions(project: Project) -> list[ProtocolVersionInfo]:
    """Every kept version, newest first."""
    with project.session() as session:
        return [_info(row) for row in session.scalars(select(ProtocolVersion).order_by(ProtocolVersion.id.desc()))]


def current_protocol_hash(project: Project) -> str | None:
    """sha256 of the protocol file as it is now (None without one), to mark the version in force."""
    path = project.protocol_path
    return text_hash(path.read_text(encoding="utf-8")) if path is not None and path.exists() else None
