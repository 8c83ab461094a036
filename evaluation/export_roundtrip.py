"""Round trip on real records: import each shared dataset, dedup, export (RIS, ASReview CSV, CSV, XLSX),
import every export into a fresh project, and count the works whose fields differ.

RIS and ASReview hold one entry per work (removed duplicates listed on the kept record); CSV and XLSX
hold every record. Spreadsheet formats are compared with the neutralised text (a cell a spreadsheet
would run keeps its leading apostrophe, by design); RIS is compared with the text as stored. Fields:
source id, title, abstract, authors, year, DOI, PMID (and journal, keywords where the format has them).

    nice -n 10 .venv/bin/python evaluation/export_roundtrip.py [--datasets ../shared/datasets] [--only NAME]
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parents[1]))
from screening.decisions.export import export_project  # noqa: E402
from screening.dedup.service import run_dedup  # noqa: E402
from screening.records.service import import_file  # noqa: E402
from screening.spreadsheet import neutralise_cell  # noqa: E402
from screening.store.project import Project  # noqa: E402
from screening.store.records_table import records_frame  # noqa: E402

DEFAULT_DATASETS = Path(__file__).parents[1].parent / "shared" / "datasets"
RESULTS = Path(__file__).parent / "results" / "export_roundtrip.json"
FIELDS = {"ris": ["source_id", "title", "abstract", "authors", "year", "journal", "doi", "pmid", "keywords"],
          "asreview": ["source_id", "title", "abstract", "authors", "year", "doi", "pmid", "keywords"],
          "csv": ["source_id", "title", "abstract", "authors", "year", "journal", "doi", "pmid", "keywords"],
          "xlsx": ["source_id", "title", "abstract", "authors", "year", "journal", "doi", "pmid", "keywords"]}
SUFFIX = {"ris": "ris", "asreview": "csv", "csv": "csv", "xlsx": "xlsx"}


def _rows(frame: pd.DataFrame, fields: list[str], neutralised: bool) -> dict[str, tuple]:
    table = frame[fields].map(neutralise_cell) if neutralised else frame[fields]
    return {row[0]: tuple(None if pd.isna(v) else v for v in row)
            for row in table.itertuples(index=False)}


def _compare(expected: dict[str, tuple], found: dict[str, tuple], fields: list[str]) -> dict:
    differing = {field: 0 for field in fields[1:]}
    for source_id, row in expected.items():
        other = found.get(source_id)
        if other is None:
            continue
        for position, field in enumerate(fields[1:], start=1):
            differing[field] += int(row[position] != other[position])
    return {"expected": len(expected), "read_back": len(found), "missing": len(set(expected) - set(found)),
            "extra": len(set(found) - set(expected)), "differing_by_field": differing}


def roundtrip(dataset: Path, folder: Path) -> dict:
    csv_path = folder / f"{dataset.name}.csv"
    with gzip.open(dataset / "records.csv.gz") as packed, open(csv_path, "wb") as out:
        shutil.copyfileobj(packed, out)
    project = Project.init(folder / "source")
    import_file(project, csv_path)
    removed = run_dedup(project).duplicates_removed
    every = records_frame(project, include_duplicates=True)
    works = records_frame(project)
    result: dict = {"records": len(every), "duplicates_removed": removed, "formats": {}}
    for fmt, fields in FIELDS.items():
        started = time.perf_counter()
        out = folder / f"export_{fmt}.{SUFFIX[fmt]}"
        export_project(project, fmt, out)
        fresh = Project.init(folder / f"fresh_{fmt}")
        import_file(fresh, out)
        again = records_frame(fresh, include_duplicates=True)
        source = works if fmt in ("ris", "asreview") else every
        comparison = _compare(_rows(source, fields, fmt != "ris"), _rows(again, fields, False), fields)
        result["formats"][fmt] = {**comparison, "seconds": round(time.perf_counter() - started, 1)}
        fresh.close()
    project.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--only", action="append", help="dataset name (repeatable); default: all")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    names = args.only or sorted(p.name for p in args.datasets.iterdir() if (p / "records.csv.gz").exists())
    results = {}
    for name in names:
        with tempfile.TemporaryDirectory() as tmp:
            results[name] = roundtrip(args.datasets / name, Path(tmp))
        formats = results[name]["formats"]
        bad = {fmt: {k: v for k, v in r["differing_by_field"].items() if v} | (
            {"missing": r["missing"]} if r["missing"] else {}) for fmt, r in formats.items()}
        print(f"{name}: {results[name]['records']} records, {results[name]['duplicates_removed']} duplicates; "
              f"differences: {({k: v for k, v in bad.items() if v}) or 'none'}", flush=True)
    totals = {fmt: {"works": sum(r["formats"][fmt]["expected"] for r in results.values()),
                    "missing": sum(r["formats"][fmt]["missing"] for r in results.values()),
                    "differing": {f: sum(r["formats"][fmt]["differing_by_field"][f] for r in results.values())
                                  for f in FIELDS[fmt][1:]}} for fmt in FIELDS}
    print(json.dumps(totals, indent=1))
    args.out.write_text(json.dumps({"command": "python evaluation/export_roundtrip.py", "totals": totals,
                                    "datasets": results}, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
