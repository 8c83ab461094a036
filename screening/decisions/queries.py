"""Reading decisions: current decisions, each record's screening status, queues and training labels.

Blind mode is enforced here, where data is queried, not in the page. A plain reviewer in blind mode (a
*blind view*) sees their own decisions and the records already resolved (agreed once every required
decision is in, or settled by consensus), never another reviewer's unresolved decision, nor anything
computed from one: their decisions, their training labels, their queue and the order of their screening
all come from the functions below with ``viewer`` set. Leads, advisors and callers without a viewer get
the team view: everything.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from screening.decisions.record import RETRACTED
from screening.decisions.reviewers import get_reviewer
from screening.fulltext.candidates import full_text_candidates
from screening.store.project import Project
from screening.store.schema import Assignment, Consensus, Decision, DedupAddedRow, Record, Reviewer
from screening.store.settings import blind_mode, required_reviewers

DECISION_COLUMNS = ["record_id", "source_id", "reviewer", "decision", "reasons", "note", "created_at"]
PRIVILEGED_ROLES = ("lead", "advisor")
RESOLVED_STATUSES = ("agreed", "resolved")


def is_blind_view(project: Project, viewer: str | None) -> bool:
    """True when ``viewer`` is a plain reviewer and blind mode is on: they see own decisions + resolved records."""
    if viewer is None:
        return False
    with project.session() as session:
        return blind_mode(session) and get_reviewer(session, viewer).role not in PRIVILEGED_ROLES


def is_independent_view(project: Project, viewer: str | None) -> bool:
    """A blind view with two decisions per record: the viewer's queue must not learn from the others' work.

    With one decision per record every include/exclude resolves its record at once, so a blind view holds
    the same labels as the team's and one shared model serves everyone.
    """
    if not is_blind_view(project, viewer):
        return False
    with project.session() as session:
        return required_reviewers(session) >= 2


def _all_current_decisions(project: Project, stage: str) -> pd.DataFrame:
    newest = (
        select(func.max(Decision.id).label("id"))
        .where(Decision.stage == stage)
        .group_by(Decision.record_id, Decision.reviewer_id)
        .subquery()
    )
    query = (
        select(Decision.record_id, Record.source_id, Reviewer.name.label("reviewer"), Decision.decision,
               Decision.reasons, Decision.note, Decision.created_at, Decision.id.label("decision_id"))
        .join(newest, newest.c.id == Decision.id)
        .join(Record, Record.id == Decision.record_id)
        .join(Reviewer, Reviewer.id == Decision.reviewer_id)
        .where(Decision.decision != RETRACTED, Record.duplicate_of.is_(None))  # a duplicate's went to its kept record
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
        .join(Record, Record.id == Consensus.record_id)
        .where(Consensus.decision != RETRACTED, Record.duplicate_of.is_(None))
    )
    with project.engine.connect() as connection:
        return pd.read_sql(query, connection)


def record_status(project: Project, stage: str = "title_abstract",
                  decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per screened record: counts of current decisions, consensus, final decision and status.

    status: ``in_progress`` (fewer decisions than required), ``agreed`` (enough decisions, all the same
    include/exclude; at title/abstract also include or maybe from everyone, which passes the record on to
    full text: in doubt, read it), ``conflict`` (they disagree, or a maybe at full text or beside an
    exclude), ``resolved`` (a consensus exists).
    """
    with project.session() as session:
        required = required_reviewers(session)
    if decisions is None:
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
    unmerged = _unmerged_copies(project, decisions)

    def classify(row: pd.Series) -> tuple[str, str | None]:
        if isinstance(row["consensus"], str):
            return "resolved", row["consensus"]
        if row.name in unmerged:
            return "conflict", None
        if row["n_decisions"] < required:
            return "in_progress", None
        if stage == "title_abstract" and row["exclude"] == 0:
            return "agreed", "include"  # include or maybe from everyone: in doubt, read the full text
        if row["maybe"] == 0 and (row["include"] == 0 or row["exclude"] == 0):
            return "agreed", "include" if row["include"] else "exclude"
        return "conflict", None

    classified = counts.apply(classify, axis=1, result_type="expand")
    counts["status"], counts["final"] = classified[0], classified[1]
    return counts.reset_index().rename(columns={"index": "record_id"})[
        ["record_id", "n_decisions", "include", "exclude", "maybe", "consensus", "final", "status"]]


def _unmerged_copies(project: Project, decisions: pd.DataFrame) -> set[int]:
    """Records where a reviewer's current decision is the 'maybe' dedup appended because that reviewer had
    decided two copies of the work differently: a conflict for the lead until someone decides again."""
    if "decision_id" not in decisions.columns or decisions.empty:
        return set()
    with project.engine.connect() as connection:
        rows = set(connection.scalars(select(DedupAddedRow.row_id).where(
            DedupAddedRow.table == "decisions", DedupAddedRow.conflict.is_(True), DedupAddedRow.undone_at.is_(None))))
    return set(decisions.loc[decisions["decision_id"].isin(rows), "record_id"].astype(int))


def resolved_records(status: pd.DataFrame) -> set[int]:
    """Record ids whose outcome is settled: every required decision in and unanimous, or a consensus."""
    return set(status.loc[status["status"].isin(RESOLVED_STATUSES), "record_id"].astype(int))


def _visible(project: Project, stage: str, viewer: str | None) -> pd.DataFrame:
    """Current decisions ``viewer`` may see (all columns, incl. decision_id), per the module's rule."""
    decisions = _all_current_decisions(project, stage)
    if not is_blind_view(project, viewer):
        return decisions
    resolved = resolved_records(record_status(project, stage, decisions))
    visible = (decisions["reviewer"] == viewer) | decisions["record_id"].isin(resolved)
    return decisions.loc[visible].reset_index(drop=True)


def current_decisions(project: Project, stage: str = "title_abstract",
                      viewer: str | None = None) -> pd.DataFrame:
    """Each reviewer's current decision per record (columns: DECISION_COLUMNS).

    With a ``viewer`` who is a plain reviewer and blind mode on, other reviewers' decisions are only
    returned for records already resolved (agreed or by consensus).
    """
    return _visible(project, stage, viewer)[DECISION_COLUMNS]


def conflicts(project: Project, stage: str = "title_abstract") -> pd.DataFrame:
    """Contested records: decisions disagree or include a maybe, and no consensus has been recorded."""
    status = record_status(project, stage)
    return status[status["status"] == "conflict"].reset_index(drop=True)


def pending_records(project: Project, reviewer: str, stage: str = "title_abstract") -> list[int]:
    """Record ids this reviewer still has to decide at this stage (unordered; the ranker orders them).

    Kept (non-duplicate) records the reviewer has not decided, restricted to the reviewer's assignments
    when the lead assigned any; at full text only records that passed title/abstract (see
    `screening.fulltext.candidates`). A record leaves the queue once
    it is resolved; in the team view also once it has every required decision. In a blind view with two
    decisions per record, a record whose decisions conflict stays in the queue until it is resolved, so
    the queue never shows whether other reviewers agreed or disagreed (a third decision is welcome there).
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
        kept &= full_text_candidates(project, record_status(project, "title_abstract"))
    decisions = _all_current_decisions(project, stage)
    mine = set(decisions.loc[decisions["reviewer"] == reviewer, "record_id"])
    status = record_status(project, stage, decisions)
    done = resolved_records(status)
    if not is_independent_view(project, reviewer):
        done |= set(status.loc[status["n_decisions"] >= required, "record_id"].astype(int))
    return sorted(kept - mine - done)


def _labels(decisions: pd.DataFrame, consensus: pd.DataFrame) -> dict[int, int]:
    labels: dict[int, int] = {}
    for record_id, group in decisions.groupby("record_id"):
        values = set(group["decision"]) - {"maybe"}
        if len(values) == 1:
            labels[int(record_id)] = int(values.pop() == "include")
    for row in consensus.itertuples():
        labels[int(row.record_id)] = int(row.decision == "include")
    return labels


def training_labels(project: Project, stage: str = "title_abstract", viewer: str | None = None) -> dict[int, int]:
    """record id -> 1/0 for the ranker: consensus first, else unanimous include/exclude; no maybe.

    With a blind ``viewer``: only their own decisions and resolved records, so their ranker never learns
    from another reviewer's unresolved decision.
    """
    # A consensus resolves its record, so every view may learn from it.
    return _labels(_visible(project, stage, viewer), latest_consensus(project, stage))


def decision_order(project: Project, stage: str = "title_abstract",
                   viewer: str | None = None) -> list[tuple[int, int]]:
    """(record id, label) of ``training_labels`` in the order the records were first decided, as ``viewer`` sees.

    A record's place is its first decision the viewer may see: in a blind view their own decision, or, for
    a record resolved without them, the first decision of the resolved record.
    """
    labels = training_labels(project, stage, viewer)
    decisions = _visible(project, stage, viewer)
    first = decisions.groupby("record_id")["decision_id"].min().to_dict()
    consensus = latest_consensus(project, stage)
    fallback = max(first.values(), default=0) + 1
    late = dict(zip(consensus["record_id"], range(fallback, fallback + len(consensus)), strict=True))
    ordered = sorted(labels, key=lambda rid: (first.get(rid, late.get(rid, fallback)), rid))
    return [(rid, labels[rid]) for rid in ordered]
