"""Reading the records of a project as a table (what ranking, export and the app work on)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select

from screening.store.project import Project
from screening.store.schema import Record

TEXT_COLUMNS = ["source_id", "title", "abstract", "authors", "journal", "doi", "pmid", "keywords", "source_file"]
RECORD_COLUMNS = ["id", "source_id", "title", "abstract", "authors", "year", "journal", "doi", "pmid",
                  "keywords", "label_included", "missing_title", "missing_abstract", "duplicate_of",
                  "dedup_group", "source_file", "source_position"]


def records_frame(project: Project, include_duplicates: bool = False) -> pd.DataFrame:
    """All records (or only those kept after dedup), ordered by id, one row each.

    Missing text stays None (pandas would read it as NaN, which is truthy and has no string methods).
    """
    query = select(*(getattr(Record, c) for c in RECORD_COLUMNS)).order_by(Record.id)
    if not include_duplicates:
        query = query.where(Record.duplicate_of.is_(None))
    with project.engine.connect() as connection:
        frame = pd.read_sql(query, connection)
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    frame["year"] = frame["year"].astype("Int64")
    frame["label_included"] = frame["label_included"].astype("Int64")
    frame["duplicate_of"] = frame["duplicate_of"].astype("Int64")
    frame["dedup_group"] = frame["dedup_group"].astype("Int64")
    return frame


def kept_records_signature(project: Project) -> tuple[int, int]:
    """(count, highest id) of the records kept after dedup: changes whenever an import or dedup changes them.

    Why: callers that cache work per record set (the app's rankers) check this on every page run; one
    aggregate query is far cheaper than reading every title and abstract (~150 ms at 6k records).
    """
    query = select(func.count(Record.id), func.max(Record.id)).where(Record.duplicate_of.is_(None))
    with project.engine.connect() as connection:
        count, highest = connection.execute(query).one()
    return int(count), int(highest or 0)
