"""Which record of a duplicate group is kept for screening: the most complete one.

A record someone has already screened stays kept, so no decision ends up on a duplicate when a later
import brings a fuller copy. Otherwise: screeners read the abstract, so a record with an abstract beats
one without, a DOI helps full-text retrieval, and a longer abstract is usually the less truncated export.
Ties go to the lowest id (the earliest import), so the choice is stable across re-runs.
"""

from __future__ import annotations

import pandas as pd


def kept_records(records: pd.DataFrame, groups: list[list[int]]) -> dict[int, int]:
    """Map every member id of every group to the id of its group's kept record.

    `records` needs columns `id`, `doi` and either `abstract_length` or `abstract`; an optional boolean
    `screened` column marks records that already have decisions.
    """
    if not groups:
        return {}
    if "abstract_length" in records.columns:
        lengths = pd.to_numeric(records["abstract_length"], errors="coerce").fillna(0)
    else:
        lengths = records["abstract"].fillna("").astype(str).str.len()
    info = pd.DataFrame({
        "id": records["id"].astype(int).to_numpy(),
        "abstract_length": lengths.astype(int).to_numpy(),
        "has_doi": records["doi"].fillna("").astype(str).str.strip().ne("").to_numpy(),
        "screened": (records["screened"].astype(bool) if "screened" in records.columns
                     else pd.Series(False, index=records.index)).to_numpy(),
    })
    membership = pd.DataFrame(
        [(index, member) for index, group in enumerate(groups) for member in group], columns=["group", "id"])
    ranked = membership.merge(info, on="id", how="left", validate="one_to_one")
    if ranked["abstract_length"].isna().any():
        unknown = ranked.loc[ranked["abstract_length"].isna(), "id"].tolist()[:5]
        raise ValueError(f"group members not among the records: {unknown}")
    ranked["has_abstract"] = ranked["abstract_length"] > 0
    ranked = ranked.sort_values(["group", "screened", "has_abstract", "has_doi", "abstract_length", "id"],
                                ascending=[True, False, False, False, False, True])
    kept_by_group = ranked.drop_duplicates("group").set_index("group")["id"]
    return {int(member): int(kept_by_group[group]) for group, member in zip(
        membership["group"], membership["id"], strict=True)}
