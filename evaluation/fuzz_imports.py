"""Fuzz the importers: seeded mutants of every import fixture plus the crafted bombs, each imported into a
real (SQLite) project by a worker with a memory limit and a time limit per file.

    nice -n 10 .venv/bin/python evaluation/fuzz_imports.py [--per-format 2000] [--seed 0]

Prints outcomes per format and writes evaluation/results/fuzz_imports.json. The suite's bounded test
(tests/test_records_fuzz.py) runs the same trials, fewer of them.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from screening.records.fuzz.trials import (  # noqa: E402
    bomb_trials,
    mutant_trials,
    run_trials,
    seed_files,
    summarise,
)

FIXTURES = REPO / "tests" / "fixtures" / "imports"
RESULTS = REPO / "evaluation" / "results" / "fuzz_imports.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-format", type=int, default=2000, help="mutants per import format")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds one file may take")
    parser.add_argument("--memory-mb", type=int, default=2048, help="address-space limit of the worker")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    started = time.perf_counter()
    limits = {"timeout": args.timeout, "memory_limit_mb": args.memory_mb}
    # Each bomb in a worker of its own, so its peak memory is its own; the mutants share one worker and
    # come from a generator, so the parent holds one trial at a time (all 12,000 at once took 2 GB).
    outcomes = run_trials(bomb_trials(), fresh_worker=True, **limits)
    outcomes += run_trials(mutant_trials(seed_files(FIXTURES), args.per_format, args.seed), **limits)
    summary = summarise(outcomes)
    summary["bombs"] = {o.origin: {"kind": o.kind, "seconds": round(o.seconds, 2), "file_mb": round(o.size / 2**20, 2),
                                   "peak_rss_mb": round(o.peak_rss_mb), "detail": o.detail}
                        for o in outcomes if o.format == "bomb"}
    summary["mutants_peak_rss_mb"] = round(max(o.peak_rss_mb for o in outcomes if o.format != "bomb"), 1)
    summary["settings"] = {"per_format": args.per_format, "seed": args.seed, "timeout_s": args.timeout,
                           "memory_limit_mb": args.memory_mb, "python": platform.python_version(),
                           "wall_seconds": round(time.perf_counter() - started, 1),
                           "command": "python evaluation/fuzz_imports.py " + " ".join(sys.argv[1:])}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    _print(summary)


def _print(summary: dict) -> None:
    kinds = sorted({kind for counts in summary["by_format"].values() for kind in counts})
    print(f"{'format':10s}" + "".join(f"{kind:>18s}" for kind in kinds))
    for fmt, counts in summary["by_format"].items():
        print(f"{fmt:10s}" + "".join(f"{counts.get(kind, 0):>18d}" for kind in kinds))
    print(f"{summary['trials']} trials, {len(summary['failures'])} failures; "
          f"{summary['refused_with_line_or_record']} of {summary['refused']} refusals name a line or record; "
          f"slowest {summary['slowest_seconds']} s, worker peak RSS {summary['peak_rss_mb']} MB, "
          f"{summary['settings']['wall_seconds']} s in all")
    for name, bomb in summary["bombs"].items():
        print(f"  bomb {name:28s} {bomb['kind']:9s} {bomb['seconds']:6.2f} s {bomb['file_mb']:7.2f} MB file, "
              f"peak {bomb['peak_rss_mb']:5d} MB")
    for failure in summary["failures"][:40]:
        print(f"  FAIL {failure['kind']:12s} {failure['format']:8s} {failure['name']}: {failure['detail']}")


if __name__ == "__main__":
    main()
