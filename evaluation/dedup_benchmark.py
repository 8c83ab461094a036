"""Duplicate-detection benchmark: perturbed copies injected into real screening datasets.

Pools real records from ../shared/datasets, injects copies altered per perturbation kind (alone and
in combinations), runs `find_duplicate_groups` and reports pair precision / recall overall and per
kind, plus the run time. The real datasets contain some genuine duplicates of their own (and the
Cohen topics overlap), so dedup is first run on the originals alone: pairs between two originals
inside such a pre-existing group are neither counted as true nor false positives.

    .venv/bin/python evaluation/dedup_benchmark.py [--datasets DIR] [--copies 3000] [--seed 13]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections import Counter, defaultdict
from pathlib import Path
from random import Random

import pandas as pd

from screening.dedup.match import find_duplicate_groups
from screening.dedup.perturb import perturb
from screening.records.fields import split_authors
from screening.records.model import normalise_doi

DEFAULT_DATASETS = Path(__file__).parents[1].parent / "shared" / "datasets"
RESULTS = Path(__file__).parent / "results"
# Overlapping pairs of datasets (same search, see the datasets README): keep one of each in a pool.
EXCLUDED = ("van_de_Schoot_2017", "Cohen_2006_Estrogens")
PMID_DATASETS = ("Cohen_2006_", "CLEF2017_")  # their record_id is the PubMed id
KINDS: tuple[tuple[str, ...], ...] = (
    ("case",), ("punctuation",), ("html_entities",), ("missing_doi",), ("truncated_subtitle",),
    ("added_subtitle",), ("author_order",), ("year",),
    ("case", "missing_doi"), ("punctuation", "missing_doi"), ("html_entities", "missing_doi"),
    ("truncated_subtitle", "missing_doi"), ("added_subtitle", "missing_doi"),
    ("author_order", "missing_doi"), ("year", "missing_doi"),
    ("case", "punctuation", "year", "missing_doi"),
    ("html_entities", "added_subtitle", "author_order", "missing_doi"),
    ("truncated_subtitle", "year", "author_order", "missing_doi"),
)


def load_dataset(folder: Path) -> pd.DataFrame:
    """One dataset in the dedup input shape (authors '; '-joined and DOIs normalised as on import)."""
    raw = pd.read_csv(folder / "records.csv.gz", dtype=str, keep_default_na=False)
    is_pubmed = folder.name.startswith(PMID_DATASETS)
    return pd.DataFrame({
        "dataset": folder.name,
        "record_id": raw["record_id"],
        "title": pd.Series([value or None for value in raw["title"]], dtype=object),
        "abstract": pd.Series([value or None for value in raw["abstract"]], dtype=object),
        "year": pd.to_numeric(raw["year"], errors="coerce").astype("Int64"),
        "authors": pd.Series(["; ".join(split_authors(value)) or None for value in raw["authors"]], dtype=object),
        "doi": pd.Series([normalise_doi(value) for value in raw["doi"]], dtype=object),
        "pmid": pd.Series([value if is_pubmed else None for value in raw["record_id"]], dtype=object),
        "label_included": raw["label_included"],
    })


def load_pool(datasets: Path, exclude: tuple[str, ...] = EXCLUDED) -> pd.DataFrame:
    """All datasets except one of each overlapping pair, with fresh integer ids."""
    folders = sorted(p for p in datasets.iterdir() if (p / "records.csv.gz").exists() and p.name not in exclude)
    if not folders:
        raise SystemExit(f"no datasets found in {datasets}")
    pool = pd.concat([load_dataset(folder) for folder in folders], ignore_index=True)
    pool.insert(0, "id", range(1, len(pool) + 1))
    return pool


def inject_copies(pool: pd.DataFrame, n_copies: int, seed: int) -> pd.DataFrame:
    """Add `n_copies` perturbed copies (columns `origin` = id copied, `kind` = '+'-joined kinds)."""
    rng = Random(seed)
    originals = [record for record in pool.to_dict("records") if record["title"]]
    rng.shuffle(originals)  # each original is copied at most once
    rows = []
    next_id = int(pool["id"].max()) + 1
    for source in originals:
        if len(rows) == n_copies:
            break
        kinds = KINDS[len(rows) % len(KINDS)]
        copy = perturb(source, kinds, rng)
        if copy is None:
            continue
        rows.append({**copy, "id": next_id, "origin": source["id"], "kind": "+".join(kinds)})
        next_id += 1
    copies = pd.DataFrame(rows)
    result = pd.concat([pool.assign(origin=pool["id"], kind=None), copies], ignore_index=True)
    return result


def pairs_of(groups: list[list[int]]) -> set[tuple[int, int]]:
    return {pair for group in groups for pair in itertools.combinations(sorted(group), 2)}


def score(data: pd.DataFrame, groups: list[list[int]], baseline_groups: list[list[int]]) -> dict:
    """Pair precision / recall overall and per kind; pairs inside pre-existing original groups ignored."""
    origin = dict(zip(data["id"], data["origin"], strict=True))
    kind = dict(zip(data["id"], data["kind"], strict=True))
    baseline = {member: index for index, group in enumerate(baseline_groups) for member in group}
    truth_clusters: dict[int, list[int]] = defaultdict(list)
    for record_id, origin_id in origin.items():
        truth_clusters[origin_id].append(record_id)
    true_pairs = pairs_of([members for members in truth_clusters.values() if len(members) > 1])

    def ignored(a: int, b: int) -> bool:
        oa, ob = origin[a], origin[b]
        return oa != ob and oa in baseline and baseline.get(ob) == baseline[oa]

    found = {pair for pair in pairs_of(groups) if not ignored(*pair)}
    tp, fp, fn = found & true_pairs, found - true_pairs, true_pairs - found
    per_kind: dict[str, Counter] = defaultdict(Counter)
    for pairs, name in ((tp, "tp"), (fp, "fp"), (fn, "fn")):
        for a, b in pairs:
            for member in {a, b}:
                if kind[member] is not None:
                    per_kind[kind[member]][name] += 1
    return {
        "overall": _metrics(len(tp), len(fp), len(fn)),
        "per_kind": {k: _metrics(c["tp"], c["fp"], c["fn"]) for k, c in sorted(per_kind.items())},
        "false_positive_examples": _examples(data, sorted(fp)[:15]),
        "false_negative_examples": _examples(data, sorted(fn)[:15]),
    }


def _metrics(tp: int, fp: int, fn: int) -> dict:
    return {
        "true_pairs_found": tp, "false_pairs": fp, "missed_pairs": fn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else None,
        "recall": round(tp / (tp + fn), 4) if tp + fn else None,
    }


def _examples(data: pd.DataFrame, pairs: list[tuple[int, int]]) -> list[dict]:
    rows = data.set_index("id")
    columns = ["dataset", "title", "year", "authors", "doi", "kind"]
    return [{"a": _brief(rows.loc[a], columns), "b": _brief(rows.loc[b], columns)} for a, b in pairs]


def _brief(row: pd.Series, columns: list[str]) -> dict:
    out = {}
    for column in columns:
        value = row[column]
        out[column] = None if value is None or value is pd.NA or value != value else str(value)[:160]
    return out


def run(datasets: Path, n_copies: int, seed: int) -> dict:
    pool = load_pool(datasets)
    dedup_columns = ["id", "title", "year", "authors", "doi", "pmid"]
    started = time.perf_counter()
    baseline_groups = find_duplicate_groups(pool[dedup_columns])
    baseline_seconds = time.perf_counter() - started
    data = inject_copies(pool, n_copies, seed)
    started = time.perf_counter()
    groups = find_duplicate_groups(data[dedup_columns])
    seconds = time.perf_counter() - started
    datasets_of = dict(zip(pool["id"], pool["dataset"], strict=True))
    cross = sum(len({datasets_of[m] for m in group}) > 1 for group in baseline_groups)
    return {
        "datasets": sorted(pool["dataset"].unique().tolist()),
        "excluded_datasets": list(EXCLUDED),
        "seed": seed,
        "original_records": len(pool),
        "injected_copies": int(data["kind"].notna().sum()),
        "copies_per_kind": {k: int(v) for k, v in data["kind"].value_counts().sort_index().items()},
        "preexisting_groups_in_originals": len(baseline_groups),
        "preexisting_groups_across_datasets": cross,
        "preexisting_group_examples": [
            [_brief(pool.set_index("id").loc[m], ["dataset", "title", "year", "doi"]) for m in group]
            for group in baseline_groups[:: max(1, len(baseline_groups) // 10)][:10]
        ],
        "seconds_originals_only": round(baseline_seconds, 2),
        "seconds_with_copies": round(seconds, 2),
        "records_deduplicated": len(data),
        **score(data, groups, baseline_groups),
        "note": ("Pairs between two original records that dedup already grouped when run on the originals "
                 "alone (genuine duplicates in the source data, overlapping topics) are excluded from scoring."),
    }


def write_markdown(result: dict, path: Path) -> None:
    overall = result["overall"]
    lines = [
        "# Dedup benchmark",
        "",
        f"{result['original_records']:,} real records from {len(result['datasets'])} datasets "
        f"(excluded as overlapping: {', '.join(result['excluded_datasets'])}) + "
        f"{result['injected_copies']:,} injected perturbed copies; seed {result['seed']}.",
        "",
        f"- pair precision **{overall['precision']}**, pair recall **{overall['recall']}** "
        f"({overall['true_pairs_found']} found, {overall['false_pairs']} false, {overall['missed_pairs']} missed)",
        f"- dedup time: {result['seconds_with_copies']} s for {result['records_deduplicated']:,} records "
        f"({result['seconds_originals_only']} s for the originals alone)",
        f"- {result['note']} Pre-existing groups: {result['preexisting_groups_in_originals']} "
        f"({result['preexisting_groups_across_datasets']} spanning two datasets).",
        "",
        "| perturbation | found | false | missed | precision | recall |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, m in result["per_kind"].items():
        lines.append(f"| {kind} | {m['true_pairs_found']} | {m['false_pairs']} | {m['missed_pairs']} | "
                     f"{m['precision']} | {m['recall']} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--copies", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    result = run(args.datasets, args.copies, args.seed)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "dedup_benchmark.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                                  encoding="utf-8")
    write_markdown(result, RESULTS / "dedup_benchmark.md")
    print((RESULTS / "dedup_benchmark.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
