"""One row per record at full text: its report state and the full-text decision so far (for lists and pages)."""

from __future__ import annotations

import pandas as pd

from screening.decisions.queries import record_status
from screening.fulltext.candidates import passed_title_abstract
from screening.fulltext.reports import current_reports
from screening.store.project import Project
from screening.store.records_table import records_frame

OVERVIEW_COLUMNS = ["record_id", "source_id", "title", "status", "n_pages", "reason", "original_name", "note",
                    "full_text_status"]


def full_text_overview(project: Project) -> pd.DataFrame:
    """Records that passed title/abstract; status is attached, not_retrieved or missing."""
    passed = passed_title_abstract(record_status(project, "title_abstract"))
    records = records_frame(project)
    records = records[records["id"].isin(passed)].rename(columns={"id": "record_id"})
    reports = current_reports(project).drop(columns=["source_id"])
    table = records[["record_id", "source_id", "title"]].merge(reports, on="record_id", how="left")
    table["status"] = table["status"].fillna("missing")
    decided = record_status(project, "full_text").set_index("record_id")["status"]
    table["full_text_status"] = table["record_id"].map(decided).fillna("not screened")
    table["n_pages"] = table["n_pages"].astype("Int64")
    return table[OVERVIEW_COLUMNS].reset_index(drop=True)
