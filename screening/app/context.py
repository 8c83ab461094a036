"""What every page needs: the open project, the signed-in reviewer, the stage and the protocol."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from screening.store.project import Project

if TYPE_CHECKING:
    from screening.protocol.schema import Protocol

STAGE_LABELS = {"title_abstract": "Title / abstract", "full_text": "Full text"}


@dataclass(frozen=True)
class User:
    """The signed-in reviewer; pages pass `name` as the viewer to every decision query (blind mode)."""

    name: str
    role: str

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"

    @property
    def can_resolve(self) -> bool:
        """Leads and advisory-group members work through contested records."""
        return self.role in ("lead", "advisor")


@dataclass(frozen=True)
class Context:
    project: Project
    user: User
    stage: str
    protocol: Protocol | None
    screen_page: st.Page | None = None  # where a record opens (``?record=ID``); None outside the navigation


@st.cache_resource(show_spinner=False)
def open_project(path: str) -> Project:
    """One engine per project folder for the whole server (SQLite WAL lets reviewers write concurrently)."""
    return Project.open(path)


@st.cache_data(show_spinner=False, max_entries=16)
def _protocol_at(path: str, mtime_ns: int) -> Protocol:
    from screening.protocol.load import load_protocol

    return load_protocol(Path(path))


def load_protocol(project: Project) -> Protocol | None:
    """The project's protocol, re-read only when its file changes (edits on the Project page)."""
    path = project.protocol_path
    if path is None or not path.exists():
        return None
    return _protocol_at(str(path), path.stat().st_mtime_ns)
