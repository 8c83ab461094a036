"""The searchable list of records (the app's Records page): text search and filters over what the viewer
may see. Blind mode holds because every decision comes from `current_decisions(viewer=...)` (own decisions
and resolved records), tags from `visible_tags`, and the conflict filter exists only in the team view."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from screening.decisions.queries import conflicts, current_decisions, is_blind_view
from screening.decisions.tags import visible_tags
from screening.store.project import Project
from screening.store.records_table import records_frame


@dataclass(frozen=True)
class RecordFilter:
    text: str = ""
    decisions: list[str] = field(default_factory=list)  # include / exclude / maybe / undecided
    reasons: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    conflict_only: bool = False


def records_list(project: Project, stage: str, viewer: str, chosen: RecordFilter) -> pd.DataFrame:
    """One row per kept record: id, source_id, title, authors, year, decisions (as the viewer may see them,
    "reviewer: decision"), reasons, tags, conflict (None in a blind view); filtered by ``chosen``."""
    frame = records_frame(project)[["id", "source_id", "title", "abstract", "authors", "year"]].copy()
    decisions = current_decisions(project, stage, viewer=viewer)
    blind = is_blind_view(project, viewer)
    tags = visible_tags(project, viewer)
    by_record = decisions.groupby("record_id")
    frame["decisions"] = frame["id"].map(by_record.apply(
        lambda rows: ", ".join(f"{r.reviewer}: {r.decision}" for r in rows.itertuples())) if len(decisions) else {})
    frame["reasons"] = frame["id"].map(by_record["reasons"].apply(
        lambda values: ", ".join(sorted({c for v in values.dropna() for c in str(v).split(",") if c})))
        if len(decisions) else {})
    frame["tags"] = frame["id"].map(lambda rid: ", ".join(tags.get(int(rid), [])))
    contested = set() if blind else set(conflicts(project, stage)["record_id"].astype(int))
    frame["conflict"] = None if blind else frame["id"].isin(contested)
    keep = pd.Series(True, index=frame.index)
    if chosen.text.strip():
        needle = chosen.text.strip().lower()
        haystack = (frame["title"].fillna("") + " " + frame["abstract"].fillna("") + " "
                    + frame["authors"].fillna("")).str.lower()
        keep &= haystack.str.contains(needle, regex=False)
    if chosen.decisions:
        seen = decisions.groupby("record_id")["decision"].apply(set).to_dict()
        keep &= frame["id"].map(lambda rid: bool(seen.get(rid, {"undecided"}) & set(chosen.decisions)))
    if chosen.reasons:
        keep &= frame["reasons"].fillna("").map(lambda v: bool(set(v.split(", ")) & set(chosen.reasons)))
    if chosen.reviewers:
        who = decisions.groupby("record_id")["reviewer"].apply(set).to_dict()
        keep &= frame["id"].map(lambda rid: bool(who.get(rid, set()) & set(chosen.reviewers)))
    if chosen.tags:
        keep &= frame["id"].map(lambda rid: bool(set(tags.get(int(rid), [])) & set(chosen.tags)))
    if chosen.conflict_only and not blind:
        keep &= frame["conflict"].astype(bool)
    return frame[keep].drop(columns=["abstract"]).reset_index(drop=True)
