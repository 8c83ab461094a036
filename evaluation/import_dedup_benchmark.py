"""Scale benchmark: a 50,000-record ASReview CSV through `init` -> import -> dedup, timed per phase.

The file pools real records from ../shared/datasets (see dedup_benchmark.py for the pool) with a share
of perturbed duplicate copies, and is written to a temporary folder that is removed afterwards.

    nice -n 10 .venv/bin/python evaluation/import_dedup_benchmark.py [--records 50000] [--copies 5000]
"""

from __future__ import annotations

import argparse
import json
import os
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
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(phase: str, work):  # type: ignore[no-untyped-def]
        """Run one phase; wall seconds, and CPU seconds (which a machine shared with others does not inflate)."""
        started, started_cpu = time.perf_counter(), time.process_time()
        value = work()
        seconds[phase], cpu[phase] = time.perf_counter() - started, time.process_time() - started_cpu
        return value

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "pooled_asreview.csv"
        injected = timed("build_file", lambda: build_file(args.datasets, args.records, args.copies, args.seed,
                                                          csv_path))
        project = timed("init", lambda: Project.init(Path(tmp) / "project"))
        summary = timed("import", lambda: import_file(project, csv_path))
        report = timed("dedup", lambda: run_dedup(project))
        rerun = timed("dedup_rerun", lambda: run_dedup(project))
        project.close()
        file_mb = csv_path.stat().st_size / 1e6
    result = {
        "records_in_file": summary.added,
        "injected_copies": injected,
        "file_mb": round(file_mb, 1),
        "seconds": {phase: round(value, 2) for phase, value in seconds.items()},
        "seconds_init_import_dedup": round(seconds["init"] + seconds["import"] + seconds["dedup"], 2),
        "cpu_seconds": {phase: round(value, 2) for phase, value in cpu.items()},
        "cpu_seconds_init_import_dedup": round(cpu["init"] + cpu["import"] + cpu["dedup"], 2),
        "load_average_before_and_after": [round(load_before, 1), round(os.getloadavg()[0], 1)],
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
        print(f"{phase:>12}: {value:7.2f} s  ({result['cpu_seconds'][phase]:7.2f} s CPU)")
    total, total_cpu = result["seconds_init_import_dedup"], result["cpu_seconds_init_import_dedup"]
    print(f"{'total':>12}: {total:7.2f} s ({total_cpu:.2f} s CPU; init + import + dedup of "
          f"{result['records_in_file']:,} records; load average {result['load_average_before_and_after']})")
    print(json.dumps(result["dedup_counts"]), f"injected copies: {injected}", f"peak RSS {result['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
