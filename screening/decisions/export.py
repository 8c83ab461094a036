"""Exporting records with every reviewer's and the final decision (CSV, RIS, ASReview CSV)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import rispy

from screening.decisions.queries import current_decisions, record_status
from screening.store.project import Project
from screening.store.records_table import records_frame
from screening.store.schema import STAGES

FORMATS = ("csv", "ris", "asreview")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: object) -> object:
    """Prefix a quote to text a spreadsheet would run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def decision_table(project: Project) -> pd.DataFrame:
    """All records (duplicates included) with duplicate_of as a source id, final and per-reviewer decisions."""
    records = records_frame(project, include_duplicates=True)
    source_by_id = dict(zip(records["id"], records["source_id"], strict=True))
    table = records[["id", "source_id", "title", "abstract", "authors", "year", "journal", "doi", "pmid",
                     "keywords", "label_included"]].copy()
    table["duplicate_of"] = records["duplicate_of"].map(lambda v: source_by_id.get(v, "") if pd.notna(v) else "")
    for stage in STAGES:
        finals = record_status(project, stage).set_index("record_id")["final"]
        table[f"final_{stage}"] = table["id"].map(finals).fillna("")
        decisions = current_decisions(project, stage)
        for reviewer, rows in decisions.groupby("reviewer"):
            table[f"{reviewer}_{stage}"] = table["id"].map(rows.set_index("record_id")["decision"]).fillna("")
            reasons = rows.set_index("record_id")["reasons"]
            table[f"{reviewer}_{stage}_reasons"] = table["id"].map(reasons).fillna("")
    return table.drop(columns=["id"])


def _final(row: pd.Series) -> str:
    return row["final_full_text"] or row["final_title_abstract"]


def export_project(project: Project, fmt: str, out: str | Path) -> int:
    """Write the export file; returns the number of records written."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    table = decision_table(project)
    out = Path(out)
    if fmt == "csv":
        table.map(neutralise_formula).to_csv(out, index=False)
    elif fmt == "asreview":
        asreview = pd.DataFrame({
            "record_id": table["source_id"], "title": table["title"], "abstract": table["abstract"],
            "authors": table["authors"], "year": table["year"], "doi": table["doi"],
            "included": table.apply(_final, axis=1).map({"include": 1, "exclude": 0}).astype("Int64"),
        })
        asreview.map(neutralise_formula).to_csv(out, index=False)
    else:
        entries = []
        for row in table.to_dict("records"):
            entry = {"type_of_reference": "JOUR", "id": row["source_id"], "title": row["title"] or "",
                     "abstract": row["abstract"] or "", "authors": (row["authors"] or "").split("; "),
                     "doi": row["doi"] or "", "journal_name": row["journal"] or "",
                     "keywords": [k for k in (row["keywords"] or "").split("; ") if k],
                     "notes": [f"screening decision: {_final(row) or 'undecided'}"]}
            if pd.notna(row["year"]):
                entry["year"] = str(row["year"])
            entries.append({k: v for k, v in entry.items() if v not in ("", [], [""])})
        out.write_text(rispy.dumps(entries), encoding="utf-8")
    return len(table)
