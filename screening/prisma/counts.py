"""PRISMA 2020 flow counts, computed from the database (never typed), with the R package's field names.

The fields are those of the PRISMA2020 R package's data template (Haddaway et al. 2022), so the JSON can
feed that tool too. Counting rules:

- Each kept record (after dedup) belongs to one column: databases and registers when any record of its
  duplicate group came from a database or register search, else other methods (websites,
  organisations, citation searching). A study found both ways is counted once, on the left.
- `duplicates`: database and register records removed by dedup.
- Title/abstract (left column only, as in PRISMA 2020): `records_screened` = records with an outcome
  (excluded, or passed on to full text, see `screening.fulltext.candidates`); `records_excluded`.
- Per column: reports sought = records passed on to full text; assessed = those with a final full-text
  decision; not retrieved = the rest marked 'not retrieved'; excluded with one reason each (the
  consensus reason, else the reviewers' common reason), plus reason "quality" for studies whose
  appraisal total is under the checklist's threshold; studies included = the rest. One report per study.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select

from screening.appraisal.results import QUALITY_REASON, quality_excluded
from screening.decisions.queries import current_decisions, latest_consensus, record_status
from screening.fulltext.candidates import current_report_states, passed_title_abstract
from screening.protocol.schema import Protocol
from screening.sources.batches import batch_sources
from screening.sources.kinds import flow_column
from screening.store.project import Project
from screening.store.schema import Record

FIELDS = ("database_results", "database_specific_results", "register_results", "register_specific_results",
          "website_results", "organisation_results", "citations_results", "duplicates", "excluded_automatic",
          "excluded_other", "records_screened", "records_excluded", "dbr_sought_reports",
          "dbr_notretrieved_reports", "other_sought_reports", "other_notretrieved_reports", "dbr_assessed",
          "dbr_excluded", "other_assessed", "other_excluded", "new_studies", "new_reports", "total_studies",
          "total_reports", "previous_studies", "previous_reports")


@dataclass
class Column:
    """The full-text part of one column of the flow diagram."""

    sought: set[int] = field(default_factory=set)
    not_retrieved: set[int] = field(default_factory=set)
    assessed: set[int] = field(default_factory=set)
    excluded: dict[str, set[int]] = field(default_factory=dict)  # reason -> records, in protocol order
    included: set[int] = field(default_factory=set)

    @property
    def n_excluded(self) -> int:
        return sum(len(ids) for ids in self.excluded.values())


@dataclass
class PrismaFlow:
    identified: dict[str, int]  # per source type
    by_database: dict[str, int]
    by_register: dict[str, int]
    duplicates: int
    kept_dbr: set[int]
    kept_other: set[int]
    other_already_found: int  # other-methods records whose study the databases also found
    screened: set[int]
    screen_excluded: set[int]
    other_screen_excluded: set[int]
    dbr: Column
    other: Column
    reason_conflicts: list[str] = field(default_factory=list)
    unappraised: int = 0

    def fields(self) -> dict[str, int | str]:
        """The PRISMA2020 template's fields (reasons and per-database counts as 'name, n; name, n')."""
        new = len(self.dbr.included) + len(self.other.included)
        values: dict[str, int | str] = {
            "database_results": self.identified.get("database", 0),
            "database_specific_results": _listing(self.by_database),
            "register_results": self.identified.get("register", 0),
            "register_specific_results": _listing(self.by_register),
            "website_results": self.identified.get("website", 0),
            "organisation_results": self.identified.get("organisation", 0),
            "citations_results": self.identified.get("citation", 0),
            "duplicates": self.duplicates, "excluded_automatic": 0, "excluded_other": 0,
            "records_screened": len(self.screened), "records_excluded": len(self.screen_excluded),
            "dbr_sought_reports": len(self.dbr.sought), "dbr_notretrieved_reports": len(self.dbr.not_retrieved),
            "other_sought_reports": len(self.other.sought),
            "other_notretrieved_reports": len(self.other.not_retrieved),
            "dbr_assessed": len(self.dbr.assessed), "dbr_excluded": _listing(_sizes(self.dbr.excluded)),
            "other_assessed": len(self.other.assessed), "other_excluded": _listing(_sizes(self.other.excluded)),
            "new_studies": new, "new_reports": new, "total_studies": new, "total_reports": new,
            "previous_studies": 0, "previous_reports": 0,
        }
        return {name: values[name] for name in FIELDS}


def _sizes(groups: dict[str, set[int]]) -> dict[str, int]:
    return {name: len(ids) for name, ids in groups.items() if ids}


def _listing(counts: dict[str, int]) -> str:
    return "; ".join(f"{name}, {n}" for name, n in counts.items())


def _columns(project: Project) -> tuple[pd.DataFrame, dict[str, int], dict[str, int], dict[str, int]]:
    with project.session() as session:
        sources = batch_sources(session)
        rows = session.execute(select(Record.id, Record.import_id, Record.duplicate_of)).all()
    records = pd.DataFrame(rows, columns=["id", "import_id", "duplicate_of"])
    records["source_type"] = records["import_id"].map(lambda i: sources[i].source_type)
    records["source_name"] = records["import_id"].map(lambda i: sources[i].source_name)
    records["kept_id"] = records["duplicate_of"].fillna(records["id"]).astype(int)
    identified = records["source_type"].value_counts().to_dict()
    per_name = {kind: records.loc[records["source_type"] == kind, "source_name"].value_counts().sort_index().to_dict()
                for kind in ("database", "register")}
    return records, identified, per_name["database"], per_name["register"]


def _exclusion_reason(record_id: int, consensus: pd.DataFrame, decisions: pd.DataFrame, order: list[str],
                      conflicts: list[str]) -> str:
    if record_id in consensus.index and isinstance(consensus.at[record_id, "reasons"], str):
        return consensus.at[record_id, "reasons"].split(",")[0]
    mine = decisions[(decisions["record_id"] == record_id) & (decisions["decision"] == "exclude")]
    reasons = Counter(r.split(",")[0] for r in mine["reasons"].dropna() if r)
    if not reasons:
        return "reason not given"
    if len(reasons) > 1:
        conflicts.append(f"{mine['source_id'].iloc[0]}: excluded at full text for different reasons "
                         f"({', '.join(sorted(reasons))}); record a consensus to settle one")
    rank = {code: i for i, code in enumerate(order)}
    return sorted(reasons, key=lambda r: (-reasons[r], rank.get(r, len(rank)), r))[0]


def _full_text_column(sought: set[int], ft_status: pd.DataFrame, states: dict[int, str], quality: set[int],
                      reason_of, order: list[str]) -> Column:  # type: ignore[no-untyped-def]
    final = ft_status.set_index("record_id")["final"]
    decided = {int(r) for r, v in final.items() if v in ("include", "exclude")}
    column = Column(sought=set(sought))
    column.assessed = sought & decided
    column.not_retrieved = {r for r in sought - column.assessed if states.get(r) == "not_retrieved"}
    for record_id in sorted(column.assessed):
        if final[record_id] == "exclude":
            column.excluded.setdefault(reason_of(record_id), set()).add(record_id)
        elif record_id in quality:
            column.excluded.setdefault(QUALITY_REASON, set()).add(record_id)
        else:
            column.included.add(record_id)
    rank = {code: i for i, code in enumerate(order)}
    column.excluded = dict(sorted(column.excluded.items(),
                                  key=lambda kv: (kv[0] == QUALITY_REASON, rank.get(kv[0], len(rank)), kv[0])))
    return column


def prisma_flow(project: Project, protocol: Protocol | None) -> PrismaFlow:
    """Every count of the flow diagram, from the records, decisions, reports and appraisals stored."""
    records, identified, by_database, by_register = _columns(project)
    records["column"] = records["source_type"].map(flow_column)
    group_has_dbr = records.groupby("kept_id")["column"].apply(lambda c: (c == "dbr").any())
    kept = records[records["duplicate_of"].isna()]
    kept_dbr = {int(r) for r in kept["id"] if group_has_dbr[r]}
    kept_other = set(map(int, kept["id"])) - kept_dbr
    n_dbr_records = int((records["column"] == "dbr").sum())
    n_other_records = int((records["column"] == "other").sum())

    title_status = record_status(project, "title_abstract")
    passed = passed_title_abstract(title_status)
    excluded = {int(r) for r in title_status.loc[title_status["final"] == "exclude", "record_id"]}
    ft_status = record_status(project, "full_text")
    states = current_report_states(project)
    checklist = protocol.appraisal.active if protocol is not None and protocol.appraisal is not None else None
    quality = quality_excluded(project, checklist)
    consensus = latest_consensus(project, "full_text").set_index("record_id")
    decisions = current_decisions(project, "full_text")
    order = [c.code for c in (protocol.exclusion + protocol.inclusion)] if protocol is not None else []
    conflicts: list[str] = []

    def reason_of(record_id: int) -> str:
        return _exclusion_reason(record_id, consensus, decisions, order, conflicts)

    flow = PrismaFlow(
        identified={k: int(v) for k, v in identified.items()}, by_database=by_database, by_register=by_register,
        duplicates=n_dbr_records - len(kept_dbr), kept_dbr=kept_dbr, kept_other=kept_other,
        other_already_found=n_other_records - len(kept_other),
        screened=kept_dbr & (passed | excluded), screen_excluded=kept_dbr & excluded,
        other_screen_excluded=kept_other & excluded,
        dbr=_full_text_column(kept_dbr & passed, ft_status, states, quality, reason_of, order),
        other=_full_text_column(kept_other & passed, ft_status, states, quality, reason_of, order),
        reason_conflicts=conflicts,
    )
    if checklist is not None:
        from screening.appraisal.results import appraisal_results

        results = appraisal_results(project, checklist)
        flow.unappraised = int((results["status"] != "appraised").sum())
    return flow
