"""The included studies with their appraisal and extraction, scored and sorted (the reference review's Table 4).

A study is included when its full-text decision is include and its appraisal did not exclude it. Its
total score is the sum of its scored choices (the ladder of co-production and the spectrum of
involvement in the reference protocol).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import pandas as pd

from screening.appraisal.results import appraisal_results
from screening.appraisal.scores import included_at_full_text
from screening.extraction.form import extraction_form, field_score
from screening.extraction.store import all_extractions
from screening.protocol.schema import Protocol
from screening.spreadsheet import csv_bytes, xlsx_bytes
from screening.store.project import Project
from screening.store.records_table import records_frame

EXPORT_FORMATS = ("csv", "xlsx")
SORT_COLUMNS = ("total_score", "appraisal_total", "year", "source_id")


def included_studies(project: Project, protocol: Protocol, sort_by: str = "total_score") -> pd.DataFrame:
    """One row per included study: bibliographic fields, appraisal total and items, fields and scores."""
    if sort_by not in SORT_COLUMNS:
        raise ValueError(f"sort by one of {', '.join(SORT_COLUMNS)}, got '{sort_by}'")
    form = extraction_form(protocol)
    included = included_at_full_text(project)
    records = records_frame(project)
    table = records.loc[records["id"].isin(included), ["id", "source_id", "title", "authors", "year", "journal",
                                                        "doi"]].rename(columns={"id": "record_id"})
    if protocol.appraisal is not None:
        results = appraisal_results(project, protocol.appraisal.active)
        table = table[~table["record_id"].isin(results.loc[results["excluded"].eq(True), "record_id"])]
        keep = ["record_id", "status", "total"] + [c for c in results.columns if c.startswith("item_")]
        results = results[keep].rename(columns={"status": "appraisal_status", "total": "appraisal_total"})
        table = table.merge(results, on="record_id", how="left")
    else:
        table["appraisal_total"] = pd.NA
    values = all_extractions(project)
    wide = {rid: dict(zip(g["field"], g["value"], strict=True)) for rid, g in values.groupby("record_id")}
    scored = [f for f in form.fields if f.scored]
    for field in form.fields:
        table[field.name] = table["record_id"].map(lambda r, f=field: _cell(wide.get(r, {}).get(f.name)))
    for field in scored:
        table[f"{field.name}_score"] = table["record_id"].map(
            lambda r, f=field: field_score(f, wide.get(r, {}).get(f.name)))
    score_columns = [f"{f.name}_score" for f in scored]
    table["total_score"] = table[score_columns].sum(axis=1, min_count=1) if score_columns else pd.NA
    ascending = sort_by in ("source_id",)
    table = table.sort_values([sort_by, "source_id"], ascending=[ascending, True], na_position="last")
    return table.drop(columns=["record_id"]).reset_index(drop=True)


def _cell(value: object) -> object:
    return "; ".join(map(str, value)) if isinstance(value, list) else value


def export_included(table: pd.DataFrame, fmt: str, out: str | Path | BinaryIO) -> int:
    """Write the table as CSV or XLSX (cells a spreadsheet would run as formulas are neutralised)."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"format must be one of {', '.join(EXPORT_FORMATS)}, got '{fmt}'")
    data = csv_bytes(table) if fmt == "csv" else xlsx_bytes(table, sheet_name="included studies")
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)
    return len(table)
