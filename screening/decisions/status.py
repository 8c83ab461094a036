"""Project counts for `screening status` and the PRISMA flow, as the team or one blind reviewer may see them."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from screening.decisions.queries import (
    current_decisions,
    is_blind_view,
    latest_consensus,
    record_status,
    resolved_records,
    training_labels,
)
from screening.store.project import Project
from screening.store.schema import STAGES, Record

# The one definition of "screened", used by `screening status`, the Screen and Progress pages.
SCREENED = ("A record counts as screened once it has a decision (include, exclude or maybe) that you may see: "
            "on Screen your own, on Progress every decision of your view. Maybes are shown apart: they are not "
            "labels, so the model and the stopping rules use only includes and excludes, and PRISMA counts a "
            "record as screened once it has its title/abstract outcome.")


def screened_in_view(project: Project, stage: str, viewer: str | None = None) -> tuple[int, int]:
    """(records screened, of which not labelled: maybes) in ``viewer``'s view, as `screening status` counts.

    Not labelled: screened records the ranker has no include/exclude label for (a maybe, or in a team view
    a record whose only decisions so far are maybes).
    """
    blind = is_blind_view(project, viewer)
    screened = _stage_counts(project, stage, viewer, blind)["screened"]
    return screened, max(screened - len(training_labels(project, stage, viewer)), 0)


NO_REASON = "(no reason given)"


def exclusion_reasons(project: Project, stage: str) -> pd.DataFrame:
    """Records finally excluded at ``stage`` per reason (team view: every decision; one record may count
    under several reasons): a consensus's reasons, else those the excluding reviewers gave."""
    per_record = record_status(project, stage)
    excluded = set(per_record.loc[per_record["final"] == "exclude", "record_id"].astype(int))
    counts: dict[str, int] = {}
    if excluded:
        consensus = latest_consensus(project, stage).set_index("record_id")
        decisions = current_decisions(project, stage)
        for record_id in sorted(excluded):
            if record_id in consensus.index:
                given = consensus.at[record_id, "reasons"]
                codes = set(str(given).split(",")) if isinstance(given, str) else set()
            else:
                rows = decisions[(decisions["record_id"] == record_id) & (decisions["decision"] == "exclude")]
                codes = {c for value in rows["reasons"].dropna() for c in str(value).split(",")}
            for code in sorted(c for c in codes if c) or [NO_REASON]:
                counts[code] = counts.get(code, 0) + 1
    return pd.DataFrame(sorted(counts.items(), key=lambda item: (-item[1], item[0])), columns=["reason", "records"])


def irrelevant_since_last_include(decisions: pd.DataFrame) -> int:
    """Excludes among one reviewer's current decisions made after their newest include (all, with none).

    ASReview's stopping cue: a long run of irrelevant records suggests most relevant ones have been found.
    Maybes neither break nor lengthen the run.
    """
    if decisions.empty:
        return 0
    ordered = decisions.sort_values(["created_at", *(["decision_id"] if "decision_id" in decisions else [])])
    kinds = ordered["decision"].tolist()
    last = max((i for i, kind in enumerate(kinds) if kind == "include"), default=-1)
    return sum(kind == "exclude" for kind in kinds[last + 1:])


def _stage_counts(project: Project, stage: str, viewer: str | None, blind: bool) -> dict:
    """Screened, decisions, includes/excludes and (team view only) conflicts at one stage.

    A blind view counts the viewer's own decisions and resolved records only: conflicts and records still
    awaiting a decision are None there, since both would reveal other reviewers' unresolved decisions.
    """
    decisions = current_decisions(project, stage, viewer=viewer)
    per_record = record_status(project, stage)
    finals = per_record["final"].value_counts().to_dict()  # finals exist only for resolved records
    if blind:
        screened = set(decisions["record_id"].astype(int)) | resolved_records(per_record)
        decisions = decisions[decisions["reviewer"] == viewer]
    else:
        screened = set(per_record.loc[per_record["n_decisions"] > 0, "record_id"].astype(int))
    return {
        "screened": len(screened),
        "decisions": len(decisions),
        "by_reviewer": {str(k): int(v) for k, v in decisions["reviewer"].value_counts().sort_index().items()},
        "included": int(finals.get("include", 0)),
        "excluded": int(finals.get("exclude", 0)),
        "conflicts": None if blind else int((per_record["status"] == "conflict").sum()),
        "in_progress": None if blind else int((per_record["status"] == "in_progress").sum()),
    }


def project_status(project: Project, viewer: str | None = None) -> dict:
    """Records, duplicates, decisions, includes and conflicts, and who screened how many at each stage.

    ``viewer``: the reviewer asking; in blind mode a plain reviewer gets the blind view (see `_stage_counts`).
    """
    with project.session() as session:
        records = session.scalar(select(func.count(Record.id))) or 0
        duplicates = session.scalar(select(func.count(Record.id)).where(Record.duplicate_of.is_not(None))) or 0
    blind = is_blind_view(project, viewer)
    status: dict = {"records": records, "unique_records": records - duplicates, "duplicates": duplicates,
                    "decisions": 0, "included": 0, "excluded": 0, "conflicts": 0, "stages": {},
                    "view": f"blind: {viewer}" if blind else "team"}
    for stage in STAGES:
        stage_counts = _stage_counts(project, stage, viewer, blind)
        status["stages"][stage] = stage_counts
        status["decisions"] += stage_counts["decisions"]
    title_stage = status["stages"]["title_abstract"]
    full_stage = status["stages"]["full_text"]
    # A record counts as included at the furthest stage that has decided on it.
    status["included"] = full_stage["included"] if full_stage["screened"] else title_stage["included"]
    status["excluded"] = title_stage["excluded"] + full_stage["excluded"]
    status["conflicts"] = None if blind else title_stage["conflicts"] + full_stage["conflicts"]
    return status
