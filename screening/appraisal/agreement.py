"""Agreement between appraisers: weighted Cohen's kappa on the ordinal item scores (scikit-learn).

Pooled over every item and study two appraisers both scored (all items share the scale's order), and per
item. Linear weights count a 0-vs-2 disagreement twice a 0-vs-1 one; quadratic weights are reported too.
"""

from __future__ import annotations

import math
import warnings
from itertools import combinations

import pandas as pd
from sklearn.metrics import cohen_kappa_score

from screening.appraisal.scores import current_scores
from screening.protocol.review_forms import Checklist


def _kappa(first: list[int], second: list[int], labels: list[int], weights: str) -> float | None:
    if len(first) < 2 or len(set(first) | set(second)) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns before returning nan for a degenerate table
        value = float(cohen_kappa_score(first, second, labels=labels, weights=weights))
    return value if math.isfinite(value) else None


def appraisal_agreement(project, checklist: Checklist) -> list[dict]:  # type: ignore[no-untyped-def]
    """Per pair of appraisers: n scores shared, percent agreement, linear and quadratic weighted kappa."""
    scores = current_scores(project, checklist.name)
    scores = scores[~scores["is_consensus"]]
    labels = sorted({o.score for item in checklist.items for o in checklist.item_scale(item)})
    wide = scores.pivot_table(index=["record_id", "item"], columns="appraiser", values="score", aggfunc="first")
    pairs = []
    for a, b in combinations(sorted(wide.columns), 2):
        both = wide[[a, b]].dropna().astype(int)
        if both.empty:
            continue
        first, second = both[a].tolist(), both[b].tolist()
        per_item = {}
        for item, group in both.groupby(level="item"):
            per_item[str(item)] = _kappa(group[a].tolist(), group[b].tolist(), labels, "linear")
        pairs.append({
            "appraisers": [a, b], "n": len(both),
            "percent_agreement": float((both[a] == both[b]).mean()),
            "weighted_kappa_linear": _kappa(first, second, labels, "linear"),
            "weighted_kappa_quadratic": _kappa(first, second, labels, "quadratic"),
            "per_item_kappa_linear": per_item,
        })
    return pairs


def agreement_frame(pairs: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"appraisers": " × ".join(p["appraisers"]), "scores": p["n"],
                          "agreement": p["percent_agreement"], "κ linear": p["weighted_kappa_linear"],
                          "κ quadratic": p["weighted_kappa_quadratic"]} for p in pairs])
