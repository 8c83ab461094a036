"""Full texts for the group's discussion: contested ones, and any with advisory views but no consensus yet."""

from __future__ import annotations

import pandas as pd

from screening.advisory.views import advisory_views
from screening.decisions.queries import record_status
from screening.store.project import Project

STAGE = "full_text"


def with_advisory_discussion(project: Project, contested: pd.DataFrame, stage: str) -> pd.DataFrame:
    """`contested` (rows of `record_status`) plus full texts that advisors viewed and no consensus settled."""
    if stage != STAGE:
        return contested
    status = record_status(project, STAGE).set_index("record_id")
    resolved = set(status.index[status["status"] == "resolved"])
    # Only full texts with at least one reviewer's decision: the discussion weighs views against decisions.
    wanted = set(advisory_views(project)["record_id"]) & set(status.index) - resolved - set(contested["record_id"])
    if not wanted:
        return contested
    extra = status.loc[sorted(wanted)].rename_axis("record_id").reset_index()
    return pd.concat([contested, extra], ignore_index=True).sort_values("record_id").reset_index(drop=True)
