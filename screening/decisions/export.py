"""Exporting records with every reviewer's and the final decision (CSV, XLSX, RIS, ASReview CSV).

CSV and XLSX hold every record, removed duplicates included (``duplicate_of`` names the kept record),
with each reviewer's decision, reasons and note, and the consensus (decision, reasons, note, who) per
stage. RIS and ASReview hold one entry per work: removed duplicates are not separate entries, their
source ids are listed on the kept record (``duplicate_ids``; in RIS a note). The RIS file reads back
with ``screening import`` to the same titles, DOIs, PMIDs and source ids. Spreadsheet formats go through
screening.spreadsheet (formula neutralisation); every file is written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import rispy

from screening.decisions.queries import current_decisions, latest_consensus, record_status
from screening.output_files import check_output_path, write_atomically
from screening.spreadsheet import csv_bytes, xlsx_bytes
from screening.store.project import Project
from screening.store.records_table import records_frame
from screening.store.schema import STAGES

FORMATS = ("csv", "xlsx", "ris", "asreview")
DUPLICATES_NOTE = "duplicates removed (source ids): "


@dataclass(frozen=True)
class ExportSummary:
    records: int  # rows (CSV, XLSX) or works (RIS, ASReview) written
    duplicates_listed: int  # removed duplicates listed on their kept record instead of written as works


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its "1." line before each record, which is not RIS (no importer reads it)."""

    def set_header(self, count: int) -> str:
        return ""


def _unique_column(table: pd.DataFrame, name: str) -> str:
    """A reviewer named e.g. "final" must not overwrite the final decision column: mark theirs."""
    return name if name not in table.columns else f"{name} (reviewer)"


def decision_table(project: Project, viewer: str | None = None) -> pd.DataFrame:
    """All records (duplicates included), one row each, with per-reviewer and consensus columns per stage.

    ``viewer``: the decisions this reviewer may see (blind mode: their own and those on resolved records).

    ``record_id`` is the source id (what other tools and `import-decisions` use); ``duplicate_of`` is the
    source id of the kept record; ``duplicate_ids`` lists, on a kept record, its removed duplicates.
    """
    records = records_frame(project, include_duplicates=True)
    source_by_id = dict(zip(records["id"], records["source_id"], strict=True))
    table = records[["id", "source_id", "title", "abstract", "authors", "year", "journal", "doi", "pmid",
                     "keywords", "label_included"]].rename(columns={"source_id": "record_id"})
    kept_of = records["duplicate_of"]
    table["duplicate_of"] = kept_of.map(lambda v: source_by_id.get(v, "") if pd.notna(v) else "")
    duplicates = records.loc[kept_of.notna()].groupby("duplicate_of")["source_id"].agg("; ".join)
    table["duplicate_ids"] = table["id"].map(duplicates).fillna("")
    for stage in STAGES:
        table[f"final_{stage}"] = table["id"].map(record_status(project, stage).set_index("record_id")["final"])
        consensus = latest_consensus(project, stage).set_index("record_id")
        for field, suffix in (("decision", ""), ("reasons", "_reasons"), ("note", "_note"),
                              ("recorded_by", "_by")):
            table[f"consensus_{stage}{suffix}"] = table["id"].map(consensus[field])
        for reviewer, rows in current_decisions(project, stage, viewer=viewer).groupby("reviewer"):
            rows = rows.set_index("record_id")
            for field, suffix in (("decision", ""), ("reasons", "_reasons"), ("note", "_note")):
                table[_unique_column(table, f"{reviewer}_{stage}{suffix}")] = table["id"].map(rows[field])
    decided = [c for c in table.columns if c not in ("id", "year", "label_included")]
    table[decided] = table[decided].astype(object).where(table[decided].notna(), "")
    return table.drop(columns=["id"])


def _works(table: pd.DataFrame) -> pd.DataFrame:
    """One row per work: removed duplicates are dropped (their ids are on the kept record)."""
    return table[table["duplicate_of"] == ""]


def _final(row: dict) -> str:
    """The decision at the furthest stage that has one."""
    return row["final_full_text"] or row["final_title_abstract"]


def _one_line(value: object) -> str:
    """RIS values are one line each: a line break could start what reads as a new tag."""
    return " ".join(str(value).split()) if isinstance(value, str) else ""


def _ris_entry(row: dict) -> dict:
    entry: dict = {"type_of_reference": "JOUR", "id": _one_line(row["record_id"]), "title": _one_line(row["title"]),
                   "authors": [a for a in _one_line(row["authors"]).split("; ") if a],
                   "secondary_title": _one_line(row["journal"]), "doi": _one_line(row["doi"]),
                   "keywords": [k for k in _one_line(row["keywords"]).split("; ") if k],
                   "abstract": _one_line(row["abstract"]),
                   "notes": [f"screening decision: {_final(row) or 'undecided'}"]}
    if pd.notna(row["year"]):
        entry["year"] = str(row["year"])
    if _one_line(row["pmid"]):  # the importer reads AN as a PMID when the database is PubMed
        entry["accession_number"] = _one_line(row["pmid"])
        entry["name_of_database"] = "PubMed"
    if row["duplicate_ids"]:
        entry["notes"].append(DUPLICATES_NOTE + _one_line(row["duplicate_ids"]))
    return {key: value for key, value in entry.items() if value not in ("", [])}


def _asreview(works: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "record_id": works["record_id"], "title": works["title"], "abstract": works["abstract"],
        "authors": works["authors"], "year": works["year"], "doi": works["doi"], "pmid": works["pmid"],
        "keywords": works["keywords"],
        "included": works["final_full_text"].where(works["final_full_text"] != "", works["final_title_abstract"])
        .map({"include": 1, "exclude": 0}).astype("Int64"),
        "duplicate_ids": works["duplicate_ids"],
    })


def export_bytes(project: Project, fmt: str, viewer: str | None = None) -> tuple[bytes, ExportSummary]:
    """The export file's content and what it holds (as ``viewer`` may see it; None: everything)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got '{fmt}'")
    table = decision_table(project, viewer)
    works = _works(table)
    listed = len(table) - len(works)
    if fmt == "csv":
        return csv_bytes(table), ExportSummary(len(table), 0)
    if fmt == "xlsx":
        return xlsx_bytes(table), ExportSummary(len(table), 0)
    if fmt == "asreview":
        return csv_bytes(_asreview(works)), ExportSummary(len(works), listed)
    text = rispy.dumps([_ris_entry(row) for row in works.to_dict("records")], implementation=_RisWriter)
    return text.encode("utf-8"), ExportSummary(len(works), listed)


def export_project(project: Project, fmt: str, out: str | Path, viewer: str | None = None) -> ExportSummary:
    """Write the export file (checked path, atomic write); raises ValueError with a clear message."""
    check_output_path(out)  # before the work: a bad path fails at once
    data, summary = export_bytes(project, fmt, viewer)
    write_atomically(out, data)
    return summary
