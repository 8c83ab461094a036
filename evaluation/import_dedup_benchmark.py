"""Scale benchmark: a 50,000-record ASReview CSV through `init` -> import -> dedup, timed per phase.

The file pools real records from ../shared/datasets (see dedup_benchmark.py for the pool) with a share
of perturbed duplicate copies, and is written to a temporary folder that is removed afterwards.

    nice -n 10 .venv/bin/python evaluation/import_dedup_benchmark.py [--records 50000] [--copies 5000]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).parent))
from dedup_benchmark import DEFAULT_DATASETS, RESULTS, inject_copies, load_pool  # noqa: E402

from screening.dedup.service import run_dedup  # noqa: E402
from screening.records.service import import_file  # noqa: E402
from screening.store.project import Project  # noqa: E402


def build_file(datasets: Path, n_records: int, n_copies: int, seed: int, path: Path) -> int:
    """Write the pooled CSV; returns how many injected copies it holds."""
    pool = load_pool(datasets)
    originals = pool.sample(n=min(n_records - n_copies, len(pool)), random_state=seed).sort_values("id")
    data = inject_copies(originals, n_copies, seed)
    is_copy = data["kind"].notna()
    record_id = data["dataset"] + ":" + data["record_id"].astype(str)
    record_id.loc[is_copy] = "copy-" + data.loc[is_copy, "id"].astype(str)
    table = pd.DataFrame({
        "record_id": record_id, "title": data["title"], "abstract": data["abstract"], "authors": data["authors"],
        "year": data["year"].astype("Int64"), "doi": data["doi"], "pmid": data["pmid"],
        "label_included": data["label_included"],
    })
    table.to_csv(path, index=False)
    return int(is_copy.sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--copies", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "pooled_asreview.csv"
        started = time.perf_counter()
        injected = build_file(args.datasets, args.records, args.copies, args.seed, csv_path)
        seconds = {"build_file": time.perf_counter() - started}

        started = time.perf_counter()
        project = Project.init(Path(tmp) / "project")
        seconds["init"] = time.perf_counter() - started

        started = time.perf_counter()
        summary = import_file(project, csv_path)
        seconds["import"] = time.perf_counter() - started

        started = time.perf_counter()
        report = run_dedup(project)
        seconds["dedup"] = time.perf_counter() - started

        started = time.perf_counter()
        rerun = run_dedup(project)
        seconds["dedup_rerun"] = time.perf_counter() - started
        project.close()
        file_mb = csv_path.stat().st_size / 1e6
    result = {
        "records_in_file": summary.added,
        "injected_copies": injected,
        "file_mb": round(file_mb, 1),
        "seconds": {phase: round(value, 2) for phase, value in seconds.items()},
        "seconds_init_import_dedup": round(seconds["init"] + seconds["import"] + seconds["dedup"], 2),
        "dedup_counts": report.as_dict(),
        "rerun_changed_records": rerun.changed,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3, 1),
        "cpu_count": psutil.cpu_count(),
        "note": ("duplicates_removed exceeds injected_copies because the pooled real datasets share records "
                 "(overlapping Cohen topics, CLEF reviews) and contain genuine duplicates."),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "import_dedup_benchmark.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for phase, value in result["seconds"].items():
        print(f"{phase:>12}: {value:7.2f} s")
    print(f"{'total':>12}: {result['seconds_init_import_dedup']:7.2f} s (init + import + dedup of "
          f"{result['records_in_file']:,} records)")
    print(json.dumps(result["dedup_counts"]), f"injected copies: {injected}", f"peak RSS {result['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
