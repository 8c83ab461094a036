"""Saving a study's extraction form (one transaction, checked first) and reading the current values."""

from __future__ import annotations

import json
from collections.abc import Mapping

import pandas as pd
from sqlalchemy import func, select

from screening.appraisal.scores import included_at_full_text
from screening.decisions.reviewers import get_reviewer
from screening.extraction.form import ExtractionError, Value, validated_values
from screening.protocol.review_forms import ExtractionForm
from screening.store.audit import audit
from screening.store.project import Project
from screening.store.review_schema import ExtractionValue
from screening.store.schema import Record, Reviewer


def save_extraction(project: Project, form: ExtractionForm, *, extractor: str, record_id: int,
                    values: Mapping[str, object]) -> dict[str, Value]:
    """Check every value, then store the changed ones; a field left empty keeps no value."""
    checked = validated_values(form, values)
    if record_id not in included_at_full_text(project):
        raise ExtractionError(f"record {record_id} is not included at full text; only included studies are extracted")
    before = current_values(project, record_id)
    changed = {name: value for name, value in checked.items() if before.get(name) != value}
    cleared = [name for name in before if name not in checked]
    with project.session() as session:
        who = get_reviewer(session, extractor)
        session.add_all(ExtractionValue(record_id=record_id, field=name, value=json.dumps(value), extractor_id=who.id)
                        for name, value in changed.items())
        session.add_all(ExtractionValue(record_id=record_id, field=name, value="null", extractor_id=who.id)
                        for name in cleared)
        if changed or cleared:
            audit(session, extractor, "extract", "extraction_values", record_id,
                  {k: before[k] for k in [*changed, *cleared] if k in before} or None,
                  {**changed, **dict.fromkeys(cleared)})
    return checked


def _current(project: Project, record_id: int | None = None) -> pd.DataFrame:
    newest = select(func.max(ExtractionValue.id)).group_by(ExtractionValue.record_id, ExtractionValue.field)
    if record_id is not None:
        newest = newest.where(ExtractionValue.record_id == record_id)
    query = (select(ExtractionValue.record_id, Record.source_id, ExtractionValue.field, ExtractionValue.value,
                    Reviewer.name.label("extractor"), ExtractionValue.created_at)
             .join(Record, Record.id == ExtractionValue.record_id)
             .join(Reviewer, Reviewer.id == ExtractionValue.extractor_id)
             .where(ExtractionValue.id.in_(newest)).order_by(ExtractionValue.record_id, ExtractionValue.field))
    with project.engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    frame["value"] = frame["value"].map(json.loads)
    return frame[frame["value"].notna()].reset_index(drop=True)


def current_values(project: Project, record_id: int) -> dict[str, Value]:
    frame = _current(project, record_id)
    return dict(zip(frame["field"], frame["value"], strict=True))


def all_extractions(project: Project) -> pd.DataFrame:
    """Current values of every study: record_id, source_id, field, value, extractor, created_at."""
    return _current(project)
