"""Agreement statistics, cross-checked against published worked examples."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from screening.measures.agreement import (
    BINARY,
    agreement_report,
    gwet_ac1,
    model_agreement,
    overall_agreement,
    pabak,
    pair_agreement,
    pairwise_agreement,
)


def long_table(rows: list[tuple[object, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["record_id", "reviewer", "decision"])


def two_reviewers(first: list[str], second: list[str]) -> pd.DataFrame:
    rows = [(i, "alice", d) for i, d in enumerate(first)] + [(i, "bob", d) for i, d in enumerate(second)]
    return long_table(rows)


def fleiss_cohen_everitt_se(table: np.ndarray) -> float:
    """Large-sample SE of kappa (Fleiss, Cohen & Everitt 1969, Psychol Bull 72:323-327, eq. 13)."""
    n = table.sum()
    p = table / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po, pe = np.trace(p), rows @ cols
    k = len(p)
    diagonal = sum(p[i, i] * (1 - (rows[i] + cols[i]) * (1 - (po - pe) / (1 - pe))) ** 2 for i in range(k))
    off = sum(p[i, j] * (cols[i] + rows[j]) ** 2 for i in range(k) for j in range(k) if i != j)
    kappa = (po - pe) / (1 - pe)
    variance = (diagonal + (1 - (po - pe) / (1 - pe)) ** 2 * off - (kappa - pe * (1 - kappa)) ** 2) / (
        n * (1 - pe) ** 2)
    return math.sqrt(variance)


def test_cohen_kappa_worked_example() -> None:
    """Wikipedia "Cohen's kappa", worked example: 50 proposals, 20 yes-yes, 5 yes-no, 10 no-yes, 15 no-no
    -> po = 0.7, pe = 0.5, kappa = 0.4 (https://en.wikipedia.org/wiki/Cohen%27s_kappa#Simple_example)."""
    first = ["include"] * 25 + ["exclude"] * 25
    second = ["include"] * 20 + ["exclude"] * 5 + ["include"] * 10 + ["exclude"] * 15
    (pair,) = pairwise_agreement(two_reviewers(first, second))
    assert pair.reviewers == ("alice", "bob")
    assert pair.n == 50
    assert pair.percent_agreement == pytest.approx(0.7)
    assert pair.cohen_kappa == pytest.approx(0.4)
    assert pair.pabak == pytest.approx(0.4)  # 2 * 0.7 - 1
    assert pair.confusion == {"include": {"include": 20, "exclude": 5}, "exclude": {"include": 10, "exclude": 15}}
    se = fleiss_cohen_everitt_se(np.array([[20, 5], [10, 15]]))
    low, high = pair.cohen_kappa_ci
    assert low == pytest.approx(0.4 - 1.959964 * se, abs=1e-6)
    assert high == pytest.approx(0.4 + 1.959964 * se, abs=1e-6)


def test_gwet_ac1_worked_example() -> None:
    """Gwet, Handbook of Inter-Rater Reliability (4th ed., 2014), two abstractors classifying 100 pregnancies
    into ectopic / abnormal intrauterine / normal intrauterine (the "cont3x3abstractors" table distributed
    with Gwet's irrCAC package): AC1 = 0.849."""
    table = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])
    assert gwet_ac1(table) == pytest.approx(0.849, abs=5e-4)


def test_gwet_ac1_is_robust_where_kappa_collapses() -> None:
    """Gwet 2008 (Br J Math Stat Psychol 61:29-48) motivates AC1 with the kappa paradox: high agreement,
    skewed prevalence. 100 records, reviewers agree on 95 excludes, each includes a different record."""
    first = ["exclude"] * 95 + ["include", "exclude", "exclude", "exclude", "exclude"]
    second = ["exclude"] * 95 + ["exclude", "include", "exclude", "exclude", "exclude"]
    (pair,) = pairwise_agreement(two_reviewers(first, second))
    assert pair.percent_agreement == pytest.approx(0.98)
    assert pair.cohen_kappa == pytest.approx(-0.0101, abs=1e-4)
    # pe = 2 * 0.01 * 0.99 / 1 = 0.0198 -> AC1 = (0.98 - 0.0198) / 0.9802
    assert pair.gwet_ac1 == pytest.approx((0.98 - 0.0198) / 0.9802)
    assert pair.pabak == pytest.approx(0.96)


def test_krippendorff_alpha_worked_example_with_missing_values() -> None:
    """Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", section C: 4 observers, 12 units,
    nominal values 1-5 with missing ratings -> alpha = 0.743."""
    matrix = {
        "A": "1 2 3 3 2 1 4 1 2 . . .",
        "B": "1 2 3 3 2 2 4 1 2 5 . 3",
        "C": ". 3 3 3 2 3 4 2 2 5 1 .",
        "D": "1 2 3 3 2 4 4 1 2 5 1 .",
    }
    rows = [(unit, observer, value) for observer, values in matrix.items()
            for unit, value in enumerate(values.split()) if value != "."]
    overall = overall_agreement(long_table(rows), categories=list("12345"))
    assert overall.krippendorff_alpha == pytest.approx(0.743, abs=5e-4)
    assert overall.n_records == 11  # unit 12 has a single rating and is not pairable
    # Fleiss' kappa is computed on the 8 units that all four observers rated (the modal count)
    assert (overall.fleiss_n_raters, overall.fleiss_n_records) == (4, 8)


def test_fleiss_kappa_worked_example() -> None:
    """Wikipedia "Fleiss' kappa", worked example: 14 raters, 10 subjects, 5 categories -> kappa = 0.210
    (https://en.wikipedia.org/wiki/Fleiss%27_kappa#Worked_example)."""
    counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
              [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    rows = []
    for subject, per_category in enumerate(counts):
        labels = [str(c + 1) for c, k in enumerate(per_category) for _ in range(k)]
        rows += [(subject, f"rater{r}", label) for r, label in enumerate(labels)]
    overall = overall_agreement(long_table(rows), categories=list("12345"))
    assert overall.fleiss_kappa == pytest.approx(0.210, abs=5e-4)
    assert (overall.fleiss_n_raters, overall.fleiss_n_records, overall.n_reviewers) == (14, 10, 14)


def test_pabak_for_more_categories() -> None:
    assert pabak(0.7, 2) == pytest.approx(0.4)
    assert pabak(0.7, 3) == pytest.approx((3 * 0.7 - 1) / 2)
    with pytest.raises(ValueError, match="at least two categories"):
        pabak(0.5, 1)


def test_maybe_adds_a_third_category() -> None:
    decisions = two_reviewers(["include", "maybe", "exclude", "exclude"], ["include", "exclude", "exclude", "maybe"])
    (pair,) = pairwise_agreement(decisions)
    assert set(pair.confusion) == {"include", "exclude", "maybe"}
    assert pair.percent_agreement == pytest.approx(0.5)
    assert pair.pabak == pytest.approx((3 * 0.5 - 1) / 2)


def test_one_category_only_leaves_kappa_undefined_with_a_reason() -> None:
    decisions = two_reviewers(["exclude"] * 5, ["exclude"] * 5)
    report = agreement_report(decisions, "title_abstract")
    text = json.dumps(report, allow_nan=False)  # no NaN reaches JSON
    pair = json.loads(text)["pairs"][0]
    assert pair["cohen_kappa"] is None and pair["cohen_kappa_ci"] is None
    assert "single" in pair["undefined"]["cohen_kappa"]
    assert pair["percent_agreement"] == 1.0 and pair["pabak"] == 1.0 and pair["gwet_ac1"] == 1.0
    overall = report["overall"]
    assert overall["krippendorff_alpha"] is None and overall["fleiss_kappa"] is None
    assert set(overall["undefined"]) == {"krippendorff_alpha", "fleiss_kappa"}


def test_pairs_use_only_records_both_decided_and_skip_disjoint_pairs() -> None:
    rows = [(1, "ann", "include"), (1, "ben", "include"), (2, "ann", "exclude"), (2, "ben", "include"),
            (3, "ann", "exclude"), (3, "cat", "exclude"), (4, "ben", "exclude")]
    pairs = {p.reviewers: p for p in pairwise_agreement(long_table(rows))}
    assert set(pairs) == {("ann", "ben"), ("ann", "cat")}  # ben and cat share no record
    assert pairs[("ann", "ben")].n == 2 and pairs[("ann", "ben")].percent_agreement == 0.5
    overall = overall_agreement(long_table(rows))
    assert overall.n_records == 3 and overall.n_reviewers == 3


def test_reviewers_against_the_model() -> None:
    decisions = two_reviewers(["include", "include", "exclude", "exclude"],
                              ["include", "exclude", "exclude", "exclude"])
    predictions = pd.Series(["include", "include", "exclude", "include"], index=[0, 1, 2, 3])
    results = {p.reviewers: p for p in model_agreement(decisions, predictions)}
    assert set(results) == {("alice", "model"), ("bob", "model")}
    assert results[("alice", "model")].percent_agreement == pytest.approx(0.75)
    assert results[("bob", "model")].confusion["exclude"] == {"include": 2, "exclude": 1}
    report = agreement_report(decisions, "title_abstract", predictions={0: "include", 1: "exclude"})
    assert [m["n"] for m in report["model"]] == [2, 2]


def test_pair_agreement_matches_pairwise_path() -> None:
    first, second = ["include", "exclude", "exclude"], ["include", "include", "exclude"]
    direct = pair_agreement(first, second, BINARY, ("alice", "bob"))
    (via_table,) = pairwise_agreement(two_reviewers(first, second))
    assert direct == via_table


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(1, "ann", "yes")], r"unknown decision 'yes' for record 1 by reviewer 'ann'"),
        ([(1, "ann", "include"), (1, "ann", "exclude")], r"'ann' has more than one decision on record 1"),
    ],
)
def test_invalid_decision_tables(rows: list[tuple[object, str, str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pairwise_agreement(long_table(rows))


def test_missing_column_and_model_name_clash() -> None:
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['reviewer'\]"):
        overall_agreement(pd.DataFrame({"record_id": [1], "decision": ["include"]}))
    clash = long_table([(1, "model", "include")])
    with pytest.raises(ValueError, match="a reviewer is called 'model'"):
        model_agreement(clash, {1: "include"})
    with pytest.raises(ValueError, match="unknown decision 'maybe' for record 1 by reviewer 'model'"):
        model_agreement(long_table([(1, "ann", "include")]), {1: "maybe"})


def test_kappa_interval_is_clipped_to_the_range_kappa_can_take() -> None:
    """[[1, 0], [1, 8]]: kappa 0.615, statsmodels' Wald interval -0.045 to 1.276; shown as -0.045 to 1."""
    first = ["include", "exclude"] + ["exclude"] * 8
    second = ["include", "include"] + ["exclude"] * 8
    (pair,) = pairwise_agreement(two_reviewers(first, second))
    low, high = pair.cohen_kappa_ci
    assert pair.cohen_kappa == pytest.approx(0.6154, abs=1e-4)
    assert low == pytest.approx(-0.04475, abs=1e-4) and high == 1.0
