"""The dedup benchmark run through record-linkage libraries instead of `find_duplicate_groups`.

Same pool, same injected copies and notices, same scoring as `dedup_benchmark.py`; each library gets
the same cleaned fields (our normalised title and its start/end blocking keys, first-author surname,
year, DOI key, the abstract's first words) and the same blocking (title start, title end, DOI), so
what differs is how a candidate pair is decided:

- splink (Fellegi-Sunter, m/u probabilities trained unsupervised by EM on DuckDB), at several
  match-probability thresholds;
- recordlinkage (pandas; comparison vectors classified by the unsupervised ECM classifier).

dedupe is not run: it needs a person to label pairs (active learning) for every project, which a
review team importing files will not do. The libraries are not dependencies of the project; install
them into a separate environment to rerun:

    python -m venv /tmp/rl && /tmp/rl/bin/pip install splink recordlinkage -e .
    nice -n 10 /tmp/rl/bin/python evaluation/dedup_libraries.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from dedup_benchmark import RESULTS, arguments, inject_copies, load_pool, score  # noqa: E402

from screening.dedup.match import find_duplicate_groups  # noqa: E402
from screening.dedup.normalise import author_surnames, doi_key, normalise_title, title_keys  # noqa: E402

THRESHOLDS = (0.5, 0.9, 0.99, 0.999)


def prepared(data: pd.DataFrame) -> pd.DataFrame:
    """The cleaned comparison fields every library gets (None where a record has no value)."""
    titles = [normalise_title(t) if isinstance(t, str) else "" for t in data["title"]]
    squeezed = [t.replace(" ", "") for t in titles]
    surnames = [author_surnames(a) if isinstance(a, str) else [] for a in data["authors"]]
    abstracts = [" ".join(normalise_title(a).split()[:40]) if isinstance(a, str) else "" for a in data["abstract"]]
    return pd.DataFrame({
        "unique_id": data["id"].astype(int).to_numpy(),
        "title": [t or None for t in squeezed],
        "title_start": [t[:16] or None for t in squeezed],
        "title_end": [t[-16:] or None for t in squeezed],
        "heads": [title_keys(t)[2] if isinstance(t, str) else [] for t in data["title"]],
        "first_author": [s[0] if s else None for s in surnames],
        "year": [None if pd.isna(y) else str(int(y)) for y in data["year"]],
        "doi": [doi_key(d) or None if isinstance(d, str) else None for d in data["doi"]],
        "abstract": [a or None for a in abstracts],
    })


def _clusters(ids: pd.Series, clusters: pd.Series) -> list[list[int]]:
    frame = pd.DataFrame({"id": ids.astype(int), "cluster": clusters})
    return [sorted(group["id"].tolist()) for _, group in frame.groupby("cluster") if len(group) > 1]


def run_splink(records: pd.DataFrame) -> dict[float, tuple[list[list[int]], float]]:
    """Groups at each threshold, and the seconds for training + prediction + clustering."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on
    from splink.backends.duckdb import DuckDBAPI

    year = cl.CustomComparison(output_column_name="year", comparison_levels=[
        {"sql_condition": '"year_l" IS NULL OR "year_r" IS NULL', "label_for_charts": "null", "is_null_level": True},
        {"sql_condition": '"year_l" = "year_r"', "label_for_charts": "exact"},
        {"sql_condition": 'abs(CAST("year_l" AS INTEGER) - CAST("year_r" AS INTEGER)) <= 1', "label_for_charts": "1"},
        {"sql_condition": "ELSE", "label_for_charts": "else"},
    ])
    title = cl.CustomComparison(output_column_name="title", comparison_levels=[
        {"sql_condition": '"title_l" IS NULL OR "title_r" IS NULL', "label_for_charts": "null", "is_null_level": True},
        {"sql_condition": '"title_l" = "title_r"', "label_for_charts": "exact",
         "tf_adjustment_column": "title", "tf_adjustment_weight": 1.0},
        {"sql_condition": 'jaro_winkler_similarity("title_l", "title_r") >= 0.97', "label_for_charts": "jw 0.97"},
        {"sql_condition": 'list_contains("heads_l", "title_r") OR list_contains("heads_r", "title_l")',
         "label_for_charts": "one is the other's text before a subtitle"},
        {"sql_condition": 'starts_with("title_l", "title_r") OR starts_with("title_r", "title_l")',
         "label_for_charts": "one is the other's start"},
        {"sql_condition": 'jaro_winkler_similarity("title_l", "title_r") >= 0.92', "label_for_charts": "jw 0.92"},
        {"sql_condition": "ELSE", "label_for_charts": "else"},
    ])
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[title, cl.ExactMatch("first_author"), year, cl.ExactMatch("doi"),
                     cl.JaroWinklerAtThresholds("abstract", [0.95, 0.8])],
        blocking_rules_to_generate_predictions=[block_on("title_start"), block_on("title_end"), block_on("doi")],
        retain_intermediate_calculation_columns=False,
    )
    started = time.perf_counter()
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(records), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match([block_on("doi")], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("title_start"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_author", "year"))
    predictions = linker.inference.predict(threshold_match_probability=min(THRESHOLDS))
    trained = time.perf_counter() - started
    results = {}
    for threshold in THRESHOLDS:
        started = time.perf_counter()
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold).as_pandas_dataframe()
        results[threshold] = (_clusters(clusters["unique_id"], clusters["cluster_id"]),
                              trained + time.perf_counter() - started)
    return results


def run_recordlinkage(records: pd.DataFrame) -> tuple[list[list[int]], float]:
    """Groups from ECM-classified comparison vectors (connected components), and the seconds taken."""
    import recordlinkage
    from recordlinkage.classifiers import ECMClassifier

    started = time.perf_counter()
    frame = records.set_index("unique_id")
    candidates = None
    for key in ("title_start", "title_end", "doi"):
        index = recordlinkage.Index()
        index.block(key)
        pairs = index.index(frame.dropna(subset=[key]))
        candidates = pairs if candidates is None else candidates.union(pairs)
    compare = recordlinkage.Compare()
    compare.string("title", "title", method="jarowinkler", threshold=0.95, label="title")
    compare.exact("first_author", "first_author", label="first_author")
    compare.exact("year", "year", label="year")
    compare.exact("doi", "doi", label="doi")
    compare.string("abstract", "abstract", method="jarowinkler", threshold=0.9, label="abstract")
    features = compare.compute(candidates, frame)
    matches = ECMClassifier(binarize=0.5).fit_predict(features)
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in matches:
        parent[find(int(a))] = find(int(b))
    groups: dict[int, list[int]] = {}
    for member in list(parent):
        groups.setdefault(find(member), []).append(member)
    return [sorted(g) for g in groups.values() if len(g) > 1], time.perf_counter() - started


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    pool = load_pool(args.datasets)
    columns = ["id", "title", "year", "authors", "doi", "pmid", "abstract"]
    baseline = find_duplicate_groups(pool[columns])
    data = inject_copies(pool, args.copies, args.seed)
    records = prepared(data)
    rows = []

    def add(method: str, groups: list[list[int]], seconds: float) -> None:
        result = score(data, groups, baseline)
        kinds = {k: m["recall"] for k, m in result["per_kind"].items() if m["recall"] is not None}
        rows.append({"method": method, **result["overall"], "seconds": round(seconds, 1),
                     "worst_kind": min(kinds, key=kinds.get), "worst_kind_recall": min(kinds.values()),
                     "kinds_below_0.9": sum(value < 0.9 for value in kinds.values()), "recall_per_kind": kinds})
        print({k: v for k, v in rows[-1].items() if k != "recall_per_kind"}, flush=True)

    started = time.perf_counter()
    add("screening rules (find_duplicate_groups)", find_duplicate_groups(data[columns]), time.perf_counter() - started)
    for threshold, (groups, seconds) in run_splink(records).items():
        add(f"splink {_version('splink')}, match probability >= {threshold}", groups, seconds)
    groups, seconds = run_recordlinkage(records)
    add(f"recordlinkage {_version('recordlinkage')}, ECM", groups, seconds)
    out = {"seed": args.seed, "records": len(data), "injected": int(data["kind"].notna().sum()), "methods": rows}
    (RESULTS / "dedup_libraries.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    lines = ["# Dedup rules vs record-linkage libraries", "",
             f"{out['records']:,} records ({out['injected']:,} injected, seed {args.seed}), scored as in "
             "`dedup_benchmark.md`; same cleaned fields and blocking for every method.", "",
             "| method | precision | recall | false pairs | missed | kinds < 0.9 | worst kind (recall) | seconds |",
             "|---|---:|---:|---:|---:|---:|---|---:|"]
    lines += [f"| {r['method']} | {r['precision']} | {r['recall']} | {r['false_pairs']} | {r['missed_pairs']} | "
              f"{r['kinds_below_0.9']} | {r['worst_kind']} ({r['worst_kind_recall']}) | {r['seconds']} |" for r in rows]
    (RESULTS / "dedup_libraries.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    main()
