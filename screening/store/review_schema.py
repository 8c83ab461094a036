"""Tables of the stages after title/abstract: sources, full texts, advisory views, appraisal, extraction.

Why new tables and no new columns: `Project.open` only runs `create_all`, which adds missing tables to an
existing SQLite or PostgreSQL project but never alters a table. Keeping every addition in its own table
keyed by an existing id (import id, record id, consensus id) upgrades old projects with no migration step,
and an import batch without an `import_sources` row simply is a database search named by its file.

Like decisions, every table here is append-only: the current state is the newest row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from screening.store.schema import Base, utcnow

SOURCE_TYPES = ("database", "register", "website", "organisation", "citation")
REPORT_STATES = ("attached", "not_retrieved")
ADVISORY_VIEWS = ("include", "exclude", "unsure")


class ImportSource(Base):
    """How the records of one import batch were found (PRISMA's identification boxes)."""

    __tablename__ = "import_sources"
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"), primary_key=True)
    source_type: Mapped[str] = mapped_column(String(16))
    source_name: Mapped[str] = mapped_column(String(512))


class FullTextReport(Base):
    """A full-text report of a record: a stored PDF, or 'not retrieved' with the reason."""

    __tablename__ = "full_text_reports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)  # why not retrieved
    stored_name: Mapped[str | None] = mapped_column(String(128))  # file in the project's fulltexts/ folder
    original_name: Mapped[str | None] = mapped_column(String(512))  # as uploaded (shown escaped, never used)
    sha256: Mapped[str | None] = mapped_column(String(64))
    n_pages: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)  # extracted with pypdf
    note: Mapped[str | None] = mapped_column(Text)  # e.g. "no text layer on 3 of 12 pages"
    actor: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AdvisoryAssignment(Base):
    """A full text the lead asked an advisory-group member to examine."""

    __tablename__ = "advisory_assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    advisor_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    assigned_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("record_id", "advisor_id", name="uq_advisory_assignment"),)


class AdvisoryView(Base):
    """An advisory-group member's view of a full text against the criteria (newest row is current)."""

    __tablename__ = "advisory_views"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    advisor_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    view: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ConsensusParticipant(Base):
    """Who took part in the discussion that produced a consensus decision."""

    __tablename__ = "consensus_participants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consensus_id: Mapped[int] = mapped_column(ForeignKey("consensus.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    __table_args__ = (UniqueConstraint("consensus_id", "reviewer_id", name="uq_consensus_participant"),)


class AppraisalScore(Base):
    """One appraiser's (or the consensus') score of one checklist item for one study."""

    __tablename__ = "appraisal_scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    appraiser_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    checklist: Mapped[str] = mapped_column(String(64))
    item: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    is_consensus: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (Index("ix_appraisal_current", "record_id", "checklist", "appraiser_id", "item", "id"),)


class ExtractionValue(Base):
    """One field of a study's extraction form, as JSON text (newest row per record and field is current)."""

    __tablename__ = "extraction_values"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    field: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    extractor_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RecordTag(Base):
    """A reviewer's free tag on a record (added or, with ``added`` false, removed); newest row per
    record, reviewer and tag is in force. Tags are personal: a blind reviewer's tags could tell others
    how they lean, so each reviewer sees their own and only leads and advisors see everyone's."""

    __tablename__ = "record_tags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"), index=True)
    tag: Mapped[str] = mapped_column(String(64))
    added: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ReviewerKeywords(Base):
    """A reviewer's own highlight words of one kind (include or exclude), newline-separated; newest row
    per reviewer and kind is in force."""

    __tablename__ = "reviewer_keywords"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    terms: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
