"""Reading decisions: current decisions, each record's screening status, queues and training labels.

Blind mode is enforced here, where data is queried, not in the page: a reviewer asking for decisions
sees other reviewers' decisions only on records that are already resolved.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from screening.decisions.record import RETRACTED
from screening.decisions.reviewers import get_reviewer
from screening.store.project import Project
from screening.store.schema import Assignment, Consensus, Decision, Record, Reviewer
from screening.store.settings import blind_mode, required_reviewers

DECISION_COLUMNS = ["record_id", "source_id", "reviewer", "decision", "reasons", "note", "created_at"]
PRIVILEGED_ROLES = ("lead", "advisor")


def _all_current_decisions(project: Project, stage: str) -> pd.DataFrame:
    newest = (
        select(func.max(Decision.id).label("id"))
        .where(Decision.stage == stage)
        .group_by(Decision.record_id, Decision.reviewer_id)
        .subquery()
    )
    query = (
        select(Decision.record_id, Record.source_id, Reviewer.name.label("reviewer"), Decision.decision,
               Decision.reasons, Decision.note, Decision.created_at)
        .join(newest, newest.c.id == Decision.id)
        .join(Record, Record.id == Decision.record_id)
        .join(Reviewer, Reviewer.id == Decision.reviewer_id)
        .where(Decision.decision != RETRACTED)
        .order_by(Decision.record_id, Reviewer.name)
    )
    with project.engine.connect() as connection:
        return pd.read_sql(query, connection)


def latest_consensus(project: Project, stage: str) -> pd.DataFrame:
    """The newest consensus row per record: record_id, decision, reasons, note, recorded_by, created_at."""
    newest = (select(func.max(Consensus.id).label("id")).where(Consensus.stage == stage)
              .group_by(Consensus.record_id).subquery())
    query = (
        select(Consensus.record_id, Consensus.decision, Consensus.reasons, Consensus.note,
               Reviewer.name.label("recorded_by"), Consensus.created_at)
        .join(newest, newest.c.id == Consensus.id)
        .join(Reviewer, Reviewer.id == Consensus.recorded_by)
    )
    with project.engine.connect() as connection:
        return pd.read_sql(query, connection)


def record_status(project: Project, stage: str = "title_abstract",
                  decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per screened record: counts of current decisions, consensus, final decision and status.

    status: ``in_progress`` (fewer decisions than required), ``agreed`` (enough decisions, all the same
    include/exclude), ``conflict`` (they disagree or one is maybe), ``resolved`` (a consensus exists).
    """
    with project.session() as session:
        required = required_reviewers(session)
    decisions = _all_current_decisions(project, stage)
    consensus = latest_consensus(project, stage).set_index("record_id")
    if decisions.empty and consensus.empty:
        return pd.DataFrame(columns=["record_id", "n_decisions", "include", "exclude", "maybe",
                                     "consensus", "final", "status"])
    counts = (decisions.pivot_table(index="record_id", columns="decision", values="reviewer",
                                    aggfunc="count", fill_value=0)
              .reindex(columns=["include", "exclude", "maybe"], fill_value=0))
    counts = counts.reindex(counts.index.union(consensus.index), fill_value=0)
    counts["n_decisions"] = counts[["include", "exclude", "maybe"]].sum(axis=1)
    counts["consensus"] = consensus["decision"].reindex(counts.index)

    def classify(row: pd.Series) -> tuple[str, str | None]:
        if isinstance(row["consensus"], str):
            return "resolved", row["consensus"]
        if row["n_decisions"] < required:
            return "in_progress", None
        if row["maybe"] == 0 and (row["include"] == 0 or row["exclude"] == 0):
            return "agreed", "include" if row["include"] else "exclude"
        return "conflict", None

    classified = counts.apply(classify, axis=1, result_type="expand")
    counts["status"], counts["final"] = classified[0], classified[1]
    return counts.reset_index().rename(columns={"index": "record_id"})[
        ["record_id", "n_decisions", "include", "exclude", "maybe", "consensus", "final", "status"]]


def current_decisions(project: Project, stage: str = "title_abstract",
                      viewer: str | None = None) -> pd.DataFrame:
    """Each reviewer's current decision per record (columns: DECISION_COLUMNS).

    With a ``viewer`` who is a plain reviewer and blind mode on, other reviewers' decisions are only
    returned for records already resolved (agreed or by consensus).
    """
    decisions = _all_current_decisions(project, stage)
    if viewer is None:
        return decisions[DECISION_COLUMNS]
    with project.session() as session:
        role = get_reviewer(session, viewer).role
        blind = blind_mode(session)
    if not blind or role in PRIVILEGED_ROLES:
        return decisions[DECISION_COLUMNS]
    status = record_status(project, stage, decisions)
    resolved = set(status.loc[status["status"].isin(["agreed", "resolved"]), "record_id"])
    visible = (decisions["reviewer"] == viewer) | decisions["record_id"].isin(resolved)
    return decisions.loc[visible, DECISION_COLUMNS].reset_index(drop=True)


def conflicts(project: Project, stage: str = "title_abstract") -> pd.DataFrame:
    """Contested records: decisions disagree or include a maybe, and no consensus has been recorded."""
    status = record_status(project, stage)
    return status[status["status"] == "conflict"].reset_index(drop=True)


def pending_records(project: Project, reviewer: str, stage: str = "title_abstract") -> list[int]:
    """Record ids this reviewer still has to decide at this stage (unordered; the ranker orders them).

    Kept (non-duplicate) records the reviewer has not decided, that still need decisions, restricted to
    the reviewer's assignments when the lead assigned any; at full text only title/abstract includes.
    """
    with project.session() as session:
        who = get_reviewer(session, reviewer)
        required = required_reviewers(session)
        kept = set(session.scalars(select(Record.id).where(Record.duplicate_of.is_(None))))
        assigned = set(session.scalars(select(Assignment.record_id).where(
            Assignment.reviewer_id == who.id, Assignment.stage == stage)))
    if assigned:
        kept &= assigned
    if stage == "full_text":
        title_status = record_status(project, "title_abstract")
        kept &= set(title_status.loc[title_status["final"] == "include", "record_id"])
    decisions = _all_current_decisions(project, stage)
    mine = set(decisions.loc[decisions["reviewer"] == reviewer, "record_id"])
    status = record_status(project, stage, decisions).set_index("record_id")
    done = set(status.index[(status["n_decisions"] >= required) | (status["status"] == "resolved")])
    return sorted(kept - mine - done)


def training_labels(project: Project, stage: str = "title_abstract") -> dict[int, int]:
    """record id -> 1/0 for the ranker: consensus first, else unanimous include/exclude; no maybe."""
    decisions = _all_current_decisions(project, stage)
    labels: dict[int, int] = {}
    for record_id, group in decisions.groupby("record_id"):
        values = set(group["decision"]) - {"maybe"}
        if len(values) == 1:
            labels[int(record_id)] = int(values.pop() == "include")
    for row in latest_consensus(project, stage).itertuples():
        labels[int(row.record_id)] = int(row.decision == "include")
    return labels
