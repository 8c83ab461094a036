"""Tables of the certified stopping method: which records were drawn at random, and with what probability.

Why stored: the stopping certificate is only checkable if the draw is. Each sample keeps the seed, the
number of records unread when it was drawn (so every drawn record's inclusion probability is size /
population), the includes found before it, and the error it may spend; its records are listed with their
probability. Rows are never updated except to close a sample once, with its outcome.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from screening.store.schema import Base, utcnow


class StoppingSample(Base):
    """One random sample of the unread records, drawn to certify recall."""

    __tablename__ = "stopping_samples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stage: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer)  # 1, 2, ...: attempt j spends alpha / 2**j
    seed: Mapped[int] = mapped_column(Integer)
    population: Mapped[int] = mapped_column(Integer)  # records unread when drawn
    size: Mapped[int] = mapped_column(Integer)
    max_includes: Mapped[int] = mapped_column(Integer)
    found_before: Mapped[int] = mapped_column(Integer)  # includes found (team view) when drawn
    screened_before: Mapped[int] = mapped_column(Integer)
    target: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    alpha: Mapped[float] = mapped_column(Float)
    drawn_by: Mapped[str] = mapped_column(String(128))
    drawn_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    outcome: Mapped[str | None] = mapped_column(String(16))  # "certified" or "not certified", once complete
    includes_in_sample: Mapped[int | None] = mapped_column(Integer)
    recall_lower: Mapped[float | None] = mapped_column(Float)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class StoppingSampleRecord(Base):
    """A record drawn by a sample, with its inclusion probability."""

    __tablename__ = "stopping_sample_records"
    sample_id: Mapped[int] = mapped_column(ForeignKey("stopping_samples.id"), primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)
    probability: Mapped[float] = mapped_column(Float)
