"""Project counts for `screening status` and the PRISMA flow."""

from __future__ import annotations

from sqlalchemy import func, select

from screening.decisions.queries import current_decisions, record_status
from screening.store.project import Project
from screening.store.schema import STAGES, Record


def project_status(project: Project) -> dict:
    """Records, duplicates, decisions, includes and conflicts, and who screened how many at each stage."""
    with project.session() as session:
        records = session.scalar(select(func.count(Record.id))) or 0
        duplicates = session.scalar(select(func.count(Record.id)).where(Record.duplicate_of.is_not(None))) or 0
    status: dict = {"records": records, "unique_records": records - duplicates, "duplicates": duplicates,
                    "decisions": 0, "included": 0, "excluded": 0, "conflicts": 0, "stages": {}}
    for stage in STAGES:
        decisions = current_decisions(project, stage)
        per_record = record_status(project, stage)
        finals = per_record["final"].value_counts().to_dict()
        stage_counts = {
            "screened": int(per_record.loc[per_record["n_decisions"] > 0, "record_id"].nunique()),
            "decisions": len(decisions),
            "by_reviewer": {str(k): int(v) for k, v in decisions["reviewer"].value_counts().sort_index().items()},
            "included": int(finals.get("include", 0)),
            "excluded": int(finals.get("exclude", 0)),
            "conflicts": int((per_record["status"] == "conflict").sum()),
            "in_progress": int((per_record["status"] == "in_progress").sum()),
        }
        status["stages"][stage] = stage_counts
        status["decisions"] += stage_counts["decisions"]
    title_stage = status["stages"]["title_abstract"]
    full_stage = status["stages"]["full_text"]
    # A record counts as included at the furthest stage that has decided on it.
    status["included"] = full_stage["included"] if full_stage["screened"] else title_stage["included"]
    status["excluded"] = title_stage["excluded"] + full_stage["excluded"]
    status["conflicts"] = title_stage["conflicts"] + full_stage["conflicts"]
    return status
