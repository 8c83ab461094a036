"""Database tables of a screening project.

Decisions, consensus decisions and the audit log are append-only: a changed decision is a new row,
and the current decision of a reviewer is the newest row for (record, reviewer, stage).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

STAGES = ("title_abstract", "full_text")
DECISIONS = ("include", "exclude", "maybe")
ROLES = ("reviewer", "lead", "advisor")
REVIEWER_NAME_MAX = 128
REVIEWER_KEY_INDEX = "uq_reviewers_name_key"


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Setting(Base):
    """Project-wide settings (required decisions per record, blind mode, ...), as key/value text."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ImportBatch(Base):
    """One imported file; its hash makes re-importing the same file a no-op."""

    __tablename__ = "imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str] = mapped_column(String(32))
    n_records: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Record(Base):
    __tablename__ = "records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"), index=True)
    source_id: Mapped[str] = mapped_column(String(256), index=True)
    source_file: Mapped[str] = mapped_column(String(512))
    source_position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    abstract: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[str | None] = mapped_column(Text)  # "; "-joined, in source order
    year: Mapped[int | None] = mapped_column(Integer)
    journal: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(String(256), index=True)
    pmid: Mapped[str | None] = mapped_column(String(32), index=True)
    keywords: Mapped[str | None] = mapped_column(Text)  # "; "-joined
    label_included: Mapped[int | None] = mapped_column(Integer)
    missing_title: Mapped[bool] = mapped_column(Boolean, default=False)
    missing_abstract: Mapped[bool] = mapped_column(Boolean, default=False)
    # Dedup: a duplicate points at the record kept for its group; kept records have duplicate_of NULL.
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("records.id"), index=True)
    dedup_group: Mapped[int | None] = mapped_column(Integer, index=True)
    __table_args__ = (UniqueConstraint("import_id", "source_position", name="uq_record_position"),)


class DedupSplit(Base):
    """Records a lead said are not duplicates of each other (an undone group); dedup respects it."""

    __tablename__ = "dedup_splits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_a: Mapped[int] = mapped_column(ForeignKey("records.id"))
    record_b: Mapped[int] = mapped_column(ForeignKey("records.id"))
    __table_args__ = (UniqueConstraint("record_a", "record_b", name="uq_split_pair"),)


class DedupCarry(Base):
    """A duplicate whose decisions dedup carried to its kept record (undone_at set once reverted)."""

    __tablename__ = "dedup_carries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    duplicate_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    carried_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)


class DedupAddedRow(Base):
    """A decision or consensus row dedup appended to a kept record, and the row current before it, so
    that splitting the group can restore the kept record's own decisions."""

    __tablename__ = "dedup_added_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    table: Mapped[str] = mapped_column(String(16))  # "decisions" or "consensus"
    row_id: Mapped[int] = mapped_column(Integer)
    previous_row_id: Mapped[int | None] = mapped_column(Integer)
    # A 'maybe' standing for one reviewer's different decisions on the copies: a conflict for the lead.
    conflict: Mapped[bool] = mapped_column(Boolean, default=False)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)


class Reviewer(Base):
    """A reviewer; ``name`` is shown as typed, ``name_key`` (see reviewer_key) is the identity.

    ``name_key`` is NULL only for a reviewer of a project created before identities were case-insensitive
    whose name collided with an earlier reviewer's (see screening/store/migrate.py).
    """

    __tablename__ = "reviewers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    name_key: Mapped[str | None] = mapped_column(String(REVIEWER_NAME_MAX))
    role: Mapped[str] = mapped_column(String(16), default="reviewer")
    password_hash: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (Index(REVIEWER_KEY_INDEX, "name_key", unique=True),)


class Decision(Base):
    """One reviewer's decision on one record at one stage; never updated, superseded by newer rows."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    stage: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[str | None] = mapped_column(Text)  # comma-separated criterion codes
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    __table_args__ = (Index("ix_decision_current", "record_id", "reviewer_id", "stage", "id"),)


class Consensus(Base):
    """The agreed decision on a contested record (append-only like Decision)."""

    __tablename__ = "consensus"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)  # the discussion note
    recorded_by: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Assignment(Base):
    """A record assigned to a reviewer for a stage (dual screening batches)."""

    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    stage: Mapped[str] = mapped_column(String(16))
    __table_args__ = (UniqueConstraint("record_id", "reviewer_id", "stage", name="uq_assignment"),)


class ProtocolVersion(Base):
    """Every text the project's protocol file has had (append-only), so an edit can be seen and undone.

    origin: ``found`` (the file as it was before the first tracked edit, or after an edit made outside
    the app), ``edit`` (saved on the Project page), ``restore`` (an earlier version saved again).
    """

    __tablename__ = "protocol_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_name: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(16))
    saved_by: Mapped[str] = mapped_column(String(128))
    saved_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    restored_from: Mapped[int | None] = mapped_column(ForeignKey("protocol_versions.id"))


class AuditEntry(Base):
    """Append-only log of every change: who, when, what, old -> new (JSON text)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)


class SignInAttempt(Base):
    """A checked password sign-in (refused or not), kept so that sign-in backoff survives a restart.

    Keyed by the typed name's identity key (store/identity.py), not by reviewer id, so unknown names back off
    exactly like known ones."""

    __tablename__ = "sign_in_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    name_key: Mapped[str] = mapped_column(String(REVIEWER_NAME_MAX))
    client: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    __table_args__ = (Index("ix_sign_in_name", "name_key", "id"), Index("ix_sign_in_client", "client", "id"))


class ReviewerSession(Base):
    """A signed-in browser: the app keeps the token in a cookie so a reload does not sign the reviewer out.

    Only the token's SHA-256 is stored; ``credential`` is the SHA-256 of the reviewer's password hash when the
    session opened, so a changed password (or a removed reviewer) ends every session of theirs."""

    __tablename__ = "reviewer_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    credential: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
