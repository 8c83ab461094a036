"""Which pairs of real records (no injected copies) two versions of the dedup rules group differently.

The injected-copy benchmark cannot judge pairs between two original records (it has no truth for them).
This lists every such pair that the working tree's rules group and a git revision's rules do not, and
the other way round, with titles, years, authors and the start of the abstracts, for a person to judge;
the counts and the judgement go in the README.

    nice -n 10 .venv/bin/python evaluation/dedup_rules_diff.py [--base main] [--datasets DIR]
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from dedup_benchmark import DEFAULT_DATASETS, RESULTS, load_pool, pairs_of  # noqa: E402

from screening.dedup.match import find_duplicate_groups  # noqa: E402

REPO = Path(__file__).parents[1]
COLUMNS = ["id", "title", "year", "authors", "doi", "pmid", "abstract"]


def rules_at(revision: str, folder: Path):  # type: ignore[no-untyped-def]
    """`find_duplicate_groups` of screening/dedup as it was at `revision` (imported as `base_dedup`)."""
    package = folder / "base_dedup"
    package.mkdir()
    for name in ("__init__", "match", "normalise"):
        try:
            source = subprocess.run(["git", "-C", str(REPO), "show", f"{revision}:screening/dedup/{name}.py"],
                                    check=True, capture_output=True, text=True).stdout
        except subprocess.CalledProcessError:
            continue  # a module that revision did not have
        (package / f"{name}.py").write_text(source.replace("screening.dedup.", "base_dedup."), encoding="utf-8")
    sys.path.insert(0, str(folder))
    return importlib.import_module("base_dedup.match").find_duplicate_groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main")
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    args = parser.parse_args()
    pool = load_pool(args.datasets)
    with tempfile.TemporaryDirectory() as tmp:
        base_rules = rules_at(args.base, Path(tmp))
        base = pairs_of(base_rules(pool[COLUMNS]))
    now = pairs_of(find_duplicate_groups(pool[COLUMNS]))
    rows = pool.set_index("id")

    def describe(record_id: int) -> str:
        row = rows.loc[record_id]
        year = "" if pd.isna(row["year"]) else int(row["year"])
        abstract = (row["abstract"] or "")[:70].replace("|", "/")
        return (f"{row['dataset']} {year} {(row['authors'] or '')[:30]} · {row['title'][:110]} · "
                f"_{abstract}_").replace("|", "/")

    lines = [f"# Real record pairs grouped differently: working tree vs {args.base}", "",
             f"{len(pool):,} real records (no copies). {args.base} groups {len(base):,} pairs, the working "
             f"tree {len(now):,}: {len(now - base)} added, {len(base - now)} no longer grouped.", ""]
    for label, pairs in (("Added", sorted(now - base)), ("No longer grouped", sorted(base - now))):
        lines += [f"## {label} ({len(pairs)})", ""]
        lines += [f"{n}. {describe(a)}<br>{describe(b)}" for n, (a, b) in enumerate(pairs, start=1)]
        lines.append("")
    (RESULTS / "dedup_rules_diff.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines[:3]))


if __name__ == "__main__":
    main()
