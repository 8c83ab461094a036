"""Agreement between screeners: per reviewer pair, across all reviewers, and reviewers versus the model.

Input is one long table of current decisions (``record_id``, ``reviewer``, ``decision``). Several
statistics are reported side by side because each fails differently: Cohen's kappa collapses when
almost every record is excluded (the "kappa paradox" typical of screening), PABAK and Gwet's AC1 stay
interpretable there, and Krippendorff's alpha copes with records seen by only some reviewers.

The category scale is the decisions used (include/exclude, plus maybe when anyone used it), so a pair
that only ever excluded still has k = 2 categories for PABAK and AC1. A statistic that is undefined
(e.g. kappa when both reviewers used one category) is None, with the reason in ``undefined``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import krippendorff
import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss_kappa

DECISIONS = ("include", "exclude", "maybe")
BINARY = ("include", "exclude")
MODEL_REVIEWER = "model"
REQUIRED_COLUMNS = ("record_id", "reviewer", "decision")


@dataclass
class PairAgreement:
    """Agreement of two reviewers on the records both decided; confusion rows are the first reviewer's."""

    reviewers: tuple[str, str]
    n: int
    percent_agreement: float | None
    cohen_kappa: float | None
    cohen_kappa_ci: tuple[float, float] | None
    pabak: float | None
    gwet_ac1: float | None
    confusion: dict[str, dict[str, int]]
    undefined: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reviewers": list(self.reviewers), "n": self.n,
            "percent_agreement": self.percent_agreement, "cohen_kappa": self.cohen_kappa,
            "cohen_kappa_ci": list(self.cohen_kappa_ci) if self.cohen_kappa_ci else None,
            "pabak": self.pabak, "gwet_ac1": self.gwet_ac1, "confusion": self.confusion,
            "undefined": self.undefined,
        }


@dataclass
class OverallAgreement:
    """Agreement across all reviewers.

    ``n_records``: records with at least two decisions (the ones agreement is about). Fleiss' kappa
    needs the same number of raters per record, so it uses only the records rated by the most common
    number of raters (``fleiss_n_raters``, ties going to the larger number); ``fleiss_n_records`` says
    how many. Krippendorff's alpha uses every record with two or more decisions.
    """

    n_records: int
    n_reviewers: int
    krippendorff_alpha: float | None
    fleiss_kappa: float | None
    fleiss_n_records: int
    fleiss_n_raters: int | None
    undefined: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "krippendorff_alpha": self.krippendorff_alpha, "fleiss_kappa": self.fleiss_kappa,
            "n_records": self.n_records, "n_reviewers": self.n_reviewers,
            "fleiss_n_records": self.fleiss_n_records, "fleiss_n_raters": self.fleiss_n_raters,
            "undefined": self.undefined,
        }


def validate_decisions(decisions: pd.DataFrame, categories: Sequence[str] | None = None) -> pd.DataFrame:
    """Check columns, values and one decision per reviewer and record; returns the three columns.

    Without ``categories`` the values must be include/exclude/maybe.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in decisions.columns]
    if missing:
        raise ValueError(f"decisions table lacks column(s) {missing}; needs {list(REQUIRED_COLUMNS)}")
    frame = decisions.loc[:, list(REQUIRED_COLUMNS)].copy()
    frame["reviewer"] = frame["reviewer"].astype(str)
    allowed = tuple(categories) if categories is not None else DECISIONS
    bad = frame[~frame["decision"].isin(allowed)]
    if not bad.empty:
        row = bad.iloc[0]
        raise ValueError(f"unknown decision {row['decision']!r} for record {row['record_id']} by reviewer "
                         f"{row['reviewer']!r} (expected one of {', '.join(map(str, allowed))})")
    repeated = frame[frame.duplicated(["record_id", "reviewer"], keep=False)]
    if not repeated.empty:
        row = repeated.iloc[0]
        raise ValueError(f"reviewer {row['reviewer']!r} has more than one decision on record "
                         f"{row['record_id']}; pass current decisions only")
    return frame


def category_scale(values: Sequence[str] | pd.Series) -> list[str]:
    """The categories agreement is measured on: include and exclude always, maybe only when used."""
    used = set(values)
    return [d for d in DECISIONS if d in BINARY or d in used]


def pair_agreement(first: Sequence[str], second: Sequence[str], categories: Sequence[str],
                   reviewers: tuple[str, str] = ("first", "second")) -> PairAgreement:
    """All pair statistics for two aligned sequences of decisions on the same records."""
    if len(first) != len(second):
        raise ValueError(f"the two reviewers' decisions must be aligned, got {len(first)} and {len(second)}")
    categories = list(categories)
    index = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)), dtype=int)
    for a, b in zip(first, second, strict=True):
        table[index[a], index[b]] += 1
    confusion = {a: {b: int(table[i, j]) for j, b in enumerate(categories)} for i, a in enumerate(categories)}
    n = int(table.sum())
    if n == 0:
        reason = "no records decided by both"
        return PairAgreement(reviewers, 0, None, None, None, None, None, confusion,
                             {s: reason for s in ("percent_agreement", "cohen_kappa", "pabak", "gwet_ac1")})
    undefined: dict[str, str] = {}
    po = float(np.trace(table)) / n
    kappa, ci = _cohen_kappa(table, undefined)
    return PairAgreement(
        reviewers=reviewers, n=n, percent_agreement=po, cohen_kappa=kappa, cohen_kappa_ci=ci,
        pabak=pabak(po, len(categories)), gwet_ac1=gwet_ac1(table), confusion=confusion, undefined=undefined,
    )


def _cohen_kappa(table: np.ndarray, undefined: dict[str, str]) -> tuple[float | None, tuple[float, float] | None]:
    """Cohen's kappa with the asymptotic 95% CI from statsmodels (Fleiss, Cohen & Everitt 1969 variance)."""
    p = table / table.sum()
    expected = float(p.sum(axis=1) @ p.sum(axis=0))
    if math.isclose(expected, 1.0):
        undefined["cohen_kappa"] = ("both reviewers used a single, identical category: chance agreement is 1, "
                                    "so kappa is 0/0")
        return None, None
    with np.errstate(divide="ignore", invalid="ignore"):  # its z-test divides by 0 when kappa's null SE is 0
        result = cohens_kappa(table)
    kappa = float(result.kappa)
    low, high = float(result.kappa_low), float(result.kappa_upp)
    if not (math.isfinite(low) and math.isfinite(high)):
        undefined["cohen_kappa_ci"] = "the asymptotic variance is not defined for this table"
        return kappa, None
    if result.std_kappa == 0 and not math.isclose(kappa, 1.0):
        undefined["cohen_kappa_ci"] = ("one reviewer used a single category: the asymptotic standard error is 0, "
                                       "which gives no real interval")
        return kappa, None
    # The Wald interval kappa ± 1.96·SE ignores that kappa cannot leave [-1, 1]; on small or lopsided tables
    # it crosses 1 ("0.07 - 1.10"). Clipped, it says the same about the evidence without an impossible value.
    return kappa, (max(low, -1.0), min(high, 1.0))


def pabak(percent_agreement: float, n_categories: int) -> float:
    """Prevalence- and bias-adjusted kappa: (k·po − 1)/(k − 1); 2·po − 1 for include/exclude."""
    if n_categories < 2:
        raise ValueError("PABAK needs at least two categories")
    return (n_categories * percent_agreement - 1) / (n_categories - 1)


def gwet_ac1(table: np.ndarray) -> float:
    """Gwet's AC1 for two raters from their q×q table (Gwet 2008, eq. for AC1 with q categories).

    Chance agreement pe = Σ π_k(1 − π_k)/(q − 1), with π_k the mean of the two raters' marginal
    proportions of category k; AC1 = (pa − pe)/(1 − pe). pe ≤ 1/q < 1, so AC1 is always defined.
    """
    table = np.asarray(table, dtype=float)
    q = table.shape[0]
    if q < 2 or table.shape != (q, q):
        raise ValueError(f"AC1 needs a square table with at least two categories, got shape {table.shape}")
    p = table / table.sum()
    pa = float(np.trace(p))
    pi = (p.sum(axis=0) + p.sum(axis=1)) / 2
    pe = float(np.sum(pi * (1 - pi)) / (q - 1))
    return (pa - pe) / (1 - pe)


def pairwise_agreement(decisions: pd.DataFrame, categories: Sequence[str] | None = None) -> list[PairAgreement]:
    """Statistics for every pair of reviewers who decided at least one record in common."""
    frame = validate_decisions(decisions, categories)
    scale = list(categories) if categories is not None else category_scale(frame["decision"])
    wide = frame.pivot(index="record_id", columns="reviewer", values="decision")
    pairs = []
    for a, b in combinations(sorted(wide.columns), 2):
        both = wide[[a, b]].dropna()
        if both.empty:
            continue
        pairs.append(pair_agreement(list(both[a]), list(both[b]), scale, (a, b)))
    return pairs


def model_agreement(decisions: pd.DataFrame, predictions: Mapping[Any, str] | pd.Series,
                    categories: Sequence[str] | None = None) -> list[PairAgreement]:
    """Each reviewer against the model's predicted include/exclude, on the records both have.

    ``predictions`` maps record_id to "include"/"exclude" (a Series indexed by record_id works too).
    """
    frame = validate_decisions(decisions, categories)
    if (frame["reviewer"] == MODEL_REVIEWER).any():
        raise ValueError(f"a reviewer is called {MODEL_REVIEWER!r}; rename them to compare with the model")
    predicted = pd.Series(predictions, dtype=object) if not isinstance(predictions, pd.Series) else predictions
    model_rows = pd.DataFrame({"record_id": predicted.index, "reviewer": MODEL_REVIEWER,
                               "decision": predicted.to_numpy()})
    validate_decisions(model_rows, categories if categories is not None else BINARY)
    scale = list(categories) if categories is not None else category_scale(frame["decision"])
    combined = pd.concat([frame, model_rows], ignore_index=True)
    wide = combined.pivot(index="record_id", columns="reviewer", values="decision")
    results = []
    for reviewer in sorted(frame["reviewer"].unique()):
        both = wide[[reviewer, MODEL_REVIEWER]].dropna()
        if not both.empty:
            results.append(pair_agreement(list(both[reviewer]), list(both[MODEL_REVIEWER]), scale,
                                          (reviewer, MODEL_REVIEWER)))
    return results


def overall_agreement(decisions: pd.DataFrame, categories: Sequence[str] | None = None) -> OverallAgreement:
    """Krippendorff's alpha (nominal) and Fleiss' kappa across all reviewers."""
    frame = validate_decisions(decisions, categories)
    scale = list(categories) if categories is not None else category_scale(frame["decision"])
    counts = frame.groupby("record_id")["reviewer"].count()
    shared = frame[frame["record_id"].isin(counts.index[counts >= 2])]
    undefined: dict[str, str] = {}
    n_records = int(shared["record_id"].nunique())
    alpha = _krippendorff_alpha(shared, scale, undefined)
    kappa, fleiss_records, fleiss_raters = _fleiss_kappa(shared, scale, undefined)
    return OverallAgreement(n_records=n_records, n_reviewers=int(frame["reviewer"].nunique()),
                            krippendorff_alpha=alpha, fleiss_kappa=kappa, fleiss_n_records=fleiss_records,
                            fleiss_n_raters=fleiss_raters, undefined=undefined)


def _krippendorff_alpha(shared: pd.DataFrame, scale: list[str], undefined: dict[str, str]) -> float | None:
    if shared.empty:
        undefined["krippendorff_alpha"] = "no record was decided by two or more reviewers"
        return None
    if shared["decision"].nunique() < 2:
        undefined["krippendorff_alpha"] = "every decision on shared records is the same: no variation to compare"
        return None
    codes = shared.assign(code=shared["decision"].map({c: i for i, c in enumerate(scale)}).astype(float))
    matrix = codes.pivot(index="reviewer", columns="record_id", values="code").to_numpy(dtype=float)
    return float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal",
                                    value_domain=list(range(len(scale)))))


def _fleiss_kappa(shared: pd.DataFrame, scale: list[str],
                  undefined: dict[str, str]) -> tuple[float | None, int, int | None]:
    if shared.empty:
        undefined["fleiss_kappa"] = "no record was decided by two or more reviewers"
        return None, 0, None
    raters = shared.groupby("record_id")["reviewer"].count()
    frequency = raters.value_counts()
    modal = int(max(frequency.index[frequency == frequency.max()]))
    records = raters.index[raters == modal]
    table = (shared[shared["record_id"].isin(records)]
             .pivot_table(index="record_id", columns="decision", values="reviewer", aggfunc="count", fill_value=0)
             .reindex(columns=scale, fill_value=0).to_numpy(dtype=float))
    proportions = table.sum(axis=0) / table.sum()
    if math.isclose(float(np.sum(proportions ** 2)), 1.0):
        undefined["fleiss_kappa"] = "all decisions on these records are in one category: chance agreement is 1"
        return None, len(records), modal
    return float(statsmodels_fleiss_kappa(table, method="fleiss")), len(records), modal


def agreement_report(decisions: pd.DataFrame, stage: str,
                     predictions: Mapping[Any, str] | pd.Series | None = None) -> dict[str, Any]:
    """The JSON-ready summary used by ``screening agreement`` (NaN never appears: undefined is None)."""
    frame = validate_decisions(decisions)
    if frame.empty:
        report: dict[str, Any] = {"stage": stage, "pairs": [], "overall": OverallAgreement(
            0, 0, None, None, 0, None, {"krippendorff_alpha": "no decisions", "fleiss_kappa": "no decisions"},
        ).to_dict()}
    else:
        report = {"stage": stage, "pairs": [p.to_dict() for p in pairwise_agreement(frame)],
                  "overall": overall_agreement(frame).to_dict()}
    if predictions is not None and not frame.empty:
        report["model"] = [p.to_dict() for p in model_agreement(frame, predictions)]
    return report
