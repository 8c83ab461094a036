"""Each study's appraisal result: final item scores, total, and whether it falls below the threshold.

An item's final score is the consensus score when one was recorded, else the appraisers' common score
once the checklist's number of appraisers scored it alike. A study is appraised when every item has a
final score; it is excluded (reason "quality") when its total is below the checklist's `exclude_below`.
"""

from __future__ import annotations

import pandas as pd

from screening.appraisal.scores import current_scores, included_at_full_text
from screening.protocol.review_forms import Checklist
from screening.store.project import Project

RESULT_COLUMNS = ["record_id", "status", "total", "excluded", "disputed", "appraisers"]
QUALITY_REASON = "quality"


def _study_result(checklist: Checklist, rows: pd.DataFrame) -> dict:
    appraisers = rows.loc[~rows["is_consensus"], "appraiser"].unique().tolist()
    final: dict[str, int] = {}
    disputed: list[str] = []
    for item in checklist.items:
        agreed = rows[(rows["item"] == item.code) & rows["is_consensus"]]
        if not agreed.empty:
            final[item.code] = int(agreed.sort_values("created_at")["score"].iloc[-1])
            continue
        scored = rows[(rows["item"] == item.code) & ~rows["is_consensus"]]["score"]
        if len(scored) >= checklist.appraisers and scored.nunique() == 1:
            final[item.code] = int(scored.iloc[0])
        elif len(scored) >= checklist.appraisers:
            disputed.append(item.code)
    complete = len(final) == len(checklist.items)
    total = sum(final.values()) if complete else None
    if complete:
        status = "appraised"
    elif disputed:
        status = "needs_consensus"
    else:
        status = "in_progress" if appraisers else "not_started"
    excluded = (total < checklist.exclude_below) if complete and checklist.exclude_below is not None else (
        False if complete else None)
    return {"status": status, "total": total, "excluded": excluded, "disputed": ", ".join(disputed),
            "appraisers": ", ".join(sorted(appraisers)), **{f"item_{code}": score for code, score in final.items()}}


def appraisal_results(project: Project, checklist: Checklist) -> pd.DataFrame:
    """One row per study included at full text (columns RESULT_COLUMNS, then item_<code> final scores)."""
    scores = current_scores(project, checklist.name)
    rows = []
    for record_id in sorted(included_at_full_text(project)):
        result = _study_result(checklist, scores[scores["record_id"] == record_id])
        rows.append({"record_id": record_id, **result})
    columns = RESULT_COLUMNS + [f"item_{item.code}" for item in checklist.items]
    frame = pd.DataFrame(rows, columns=columns)
    frame["total"] = frame["total"].astype("Int64")
    return frame


def quality_excluded(project: Project, checklist: Checklist | None) -> set[int]:
    """Studies excluded because their appraisal total is below the threshold."""
    if checklist is None or checklist.exclude_below is None:
        return set()
    results = appraisal_results(project, checklist)
    return {int(r) for r in results.loc[results["excluded"].eq(True), "record_id"]}
