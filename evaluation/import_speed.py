"""How fast each importer reads: the 8 CC0 fixture records written out N times in each text format (unique
ids, abstracts wrapped as the real exports wrap them), each file parsed by `read_records`, timed.

For BibTeX it also times bibtexparser 1.4 on the same file, when installed, since `bibtex_syntax.py` replaced it.

    nice -n 10 .venv/bin/python evaluation/import_speed.py [--records 20000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from screening.records.model import RecordIn  # noqa: E402
from screening.records.read import read_records  # noqa: E402

SEEDS = REPO / "tests" / "fixtures" / "imports"
RESULTS = REPO / "evaluation" / "results" / "import_speed.json"


def _ris(records: list[RecordIn]) -> str:
    out = []
    for i, r in enumerate(records):
        lines = ["TY  - JOUR", f"TI  - {r.title}", *(f"AU  - {a}" for a in r.authors), f"PY  - {r.year}",
                 f"T2  - {r.journal}", f"DO  - {r.doi}", *(f"KW  - {k}" for k in r.keywords)]
        lines += ["AB  - " + "\n".join(textwrap.wrap(r.abstract or "", 80)), f"ID  - {i}", "ER  - ", ""]
        out.append("\n".join(lines))
    return "\n".join(out)


def _medline(records: list[RecordIn]) -> str:
    def wrapped(tag: str, text: str) -> str:
        return f"{tag:<4}- " + "\n      ".join(textwrap.wrap(text, 82))

    out = []
    for i, r in enumerate(records, start=1):
        lines = [f"PMID- {90_000_000 + i}", wrapped("TI", r.title or ""), wrapped("AB", r.abstract or ""),
                 *(f"FAU - {a}" for a in r.authors), f"DP  - {r.year} Jan", f"JT  - {r.journal}",
                 f"AID - {r.doi} [doi]", *(f"OT  - {k}" for k in r.keywords), ""]
        out.append("\n".join(lines))
    return "\n".join(out)


def _bibtex(records: list[RecordIn]) -> str:
    return "\n".join(
        f"@article{{key_{i},\n\ttitle = {{{{{r.title}}}}},\n\tauthor = {{{' and '.join(r.authors)}}},\n"
        f"\tyear = {{{r.year}}},\n\tjournal = {{{r.journal}}},\n\tdoi = {{{r.doi}}},\n"
        f"\tabstract = {{{r.abstract or ''}}},\n\tkeywords = {{{', '.join(r.keywords)}}},\n}}\n"
        for i, r in enumerate(records))


def _csv(records: list[RecordIn]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Title", "Abstract", "Authors", "Year", "Source title", "DOI", "Author Keywords", "EID"])
    for i, r in enumerate(records):
        writer.writerow([r.title, r.abstract, "; ".join(r.authors), r.year, r.journal, r.doi,
                         "; ".join(r.keywords), f"2-s2.0-{i}"])
    return buffer.getvalue()


WRITERS = {"ris": (_ris, ".ris"), "medline": (_medline, ".nbib"), "bibtex": (_bibtex, ".bib"), "csv": (_csv, ".csv")}


def _bibtexparser_seconds(path: Path) -> tuple[float, int] | None:
    try:
        import bibtexparser
        from bibtexparser.bparser import BibTexParser
    except ImportError:
        return None
    if not getattr(bibtexparser, "__version__", "").startswith("1."):
        return None
    text = path.read_text(encoding="utf-8")
    started = time.perf_counter()
    parser = BibTexParser(common_strings=True, ignore_nonstandard_types=False, interpolate_strings=True)
    entries = bibtexparser.loads(text, parser=parser).entries
    return time.perf_counter() - started, len(entries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many parses")
    parser.add_argument("--baseline-records", type=int, default=2_000, help="records for bibtexparser 1.4")
    args = parser.parse_args()
    seed = read_records(SEEDS / "scopus_export.csv").records
    records = [seed[i % len(seed)] for i in range(args.records)]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt, (write, suffix) in WRITERS.items():
            path = Path(tmp) / f"speed{suffix}"
            path.write_text(write(records), encoding="utf-8")
            best = min(_timed(path) for _ in range(args.repeats))
            results[fmt] = {"records": args.records, "mb": round(path.stat().st_size / 2**20, 1),
                            "seconds": round(best, 2), "records_per_s": round(args.records / best)}
            print(f"{fmt:8s} {args.records:>7,d} records {results[fmt]['mb']:>6.1f} MB  {best:6.2f} s  "
                  f"{results[fmt]['records_per_s']:>8,d} records/s")
        small = Path(tmp) / "baseline.bib"
        small.write_text(_bibtex(records[: args.baseline_records]), encoding="utf-8")
        if (baseline := _bibtexparser_seconds(small)) is not None:
            seconds, found = baseline
            ours = min(_timed(small) for _ in range(args.repeats))
            results["bibtexparser_1_4"] = {"records": found, "seconds": round(seconds, 2),
                                           "records_per_s": round(found / seconds),
                                           "ours_same_file_records_per_s": round(args.baseline_records / ours)}
            print(f"bibtexparser 1.4 on {found:,d} of those entries: {seconds:.2f} s, {found / seconds:,.0f} "
                  f"records/s (bibtex_syntax: {args.baseline_records / ours:,.0f} records/s on the same file)")
    results["command"] = "python evaluation/import_speed.py " + " ".join(sys.argv[1:])
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _timed(path: Path) -> float:
    started = time.perf_counter()
    read_records(path)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
