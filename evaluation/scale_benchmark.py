"""A 100,000-record review end to end: import, dedup, ranking per encoder, restart, re-rank, memory.

Usage: nice -n 10 python evaluation/scale_benchmark.py [--records 100000] [--copies 10000]
       [--encoders tfidf,static,minilm] [--keep DIR]

The project is built from the shared datasets (../shared/datasets, all 30): every real record once, then
"recombined" records (one record's title with another's abstract, authors and year, no DOI/PMID) up to
`records - copies`, then `copies` perturbed duplicates (screening.dedup.perturb: case, punctuation, HTML
entities, missing DOI, subtitles, author order, year). Recombined records are new records to dedup and
TF-IDF but reuse real sentences, so embedding work grows with the distinct sentences (reported), not the
record count. Every step runs as the CLI does, in its own process, timed with its peak memory (RSS polled):
`screening import`, `screening dedup`, `screening rank --encoder X` from an empty cache (one cache per
encoder), `screening rank` again with every cache warm (the restart), and the retrain + re-rank after a
decision in-process on the warm ranker. Locally built models (static distillation, MiniLM's ONNX build)
come from the model cache, as after `make setup`. Writes evaluation/results/scale_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from random import Random

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "evaluation"))
from dedup_benchmark import DEFAULT_DATASETS, inject_copies, load_pool  # noqa: E402

RESULTS = ROOT / "evaluation" / "results" / "scale_benchmark.json"
SCREENING = [sys.executable, "-c", "from screening.cli import main; main()"]
PROTOCOL = DEFAULT_DATASETS / "van_de_Schoot_2018" / "criteria.md"
BAR_START = re.compile(r"(?:^|[\r\n])([^\r\n:|]+):\s+0%\|")


def recombined(pool: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """`n` new records: the title of one real record with the abstract, authors and year of another."""
    rng = Random(seed)
    rows = []
    titled = pool[pool["title"].notna()].reset_index(drop=True)
    next_id = int(pool["id"].max()) + 1
    while len(rows) < n:
        a, b = titled.iloc[rng.randrange(len(titled))], pool.iloc[rng.randrange(len(pool))]
        if a["id"] == b["id"]:
            continue
        rows.append({"id": next_id, "dataset": "recombined", "record_id": f"r{next_id}", "title": a["title"],
                     "abstract": b["abstract"], "year": b["year"], "authors": b["authors"], "doi": None,
                     "pmid": None, "label_included": b["label_included"]})
        next_id += 1
    return pd.DataFrame(rows)


def build_csv(path: Path, n_records: int, n_copies: int, seed: int) -> dict:
    pool = load_pool(DEFAULT_DATASETS, exclude=())
    originals = pd.concat([pool, recombined(pool, max(0, n_records - n_copies - len(pool)), seed)],
                          ignore_index=True).head(n_records - n_copies)
    data = inject_copies(originals, n_copies, seed)
    is_copy = data["kind"].notna()
    record_id = data["dataset"] + ":" + data["record_id"].astype(str)
    record_id.loc[is_copy] = "copy-" + data.loc[is_copy, "id"].astype(str)
    pd.DataFrame({"record_id": record_id, "title": data["title"], "abstract": data["abstract"],
                  "authors": data["authors"], "year": data["year"].astype("Int64"), "doi": data["doi"],
                  "pmid": data["pmid"], "label_included": data["label_included"]}).to_csv(path, index=False)
    return {"records": len(data), "real": len(pool), "recombined": int((data["dataset"] == "recombined").sum()),
            "perturbed_copies": int(is_copy.sum())}


def run_step(name: str, args: list[str], env: dict[str, str]) -> dict:
    """Run one CLI step in its own process: wall time, peak RSS (polled), and how many progress bars it drew."""
    started = time.perf_counter()
    process = subprocess.Popen([*SCREENING, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env, cwd=ROOT)
    peak = 0
    watched = psutil.Process(process.pid)
    output: dict[str, str] = {}

    def drain(stream, key: str) -> None:  # type: ignore[no-untyped-def]
        output[key] = stream.read()

    readers = [threading.Thread(target=drain, args=(process.stdout, "out")),
               threading.Thread(target=drain, args=(process.stderr, "err"))]
    for reader in readers:
        reader.start()
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    for reader in readers:
        reader.join()
    seconds = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"{name} failed ({process.returncode}):\n{output.get('err', '')[-3000:]}")
    bars = BAR_START.findall(output.get("err", ""))
    result = {"step": name, "command": "screening " + " ".join(args), "seconds": round(seconds, 1),
              "peak_rss_mb": round(peak / 1e6), "progress_bars": len(bars), "bar_labels": sorted(set(bars)),
              "load_average": round(os.getloadavg()[0], 1), "stdout": output.get("out", "").strip()[-300:]}
    print(json.dumps({k: v for k, v in result.items() if k != "stdout"}), flush=True)
    return result


def rerank_latency(project_dir: Path, repeats: int, n_labels: int) -> dict:
    """In-process, caches warm: the app's update after one decision (all labels set again) + re-rank."""
    from screening.rank.api import Ranker
    from screening.rank.project_data import load_records
    from screening.store.project import Project

    project = Project.open(project_dir)
    records = load_records(project)
    started = time.perf_counter()
    ranker = Ranker(records["title"].tolist(), records["abstract"].tolist(), project.load_protocol(),
                    cache_dir=project.cache_dir, progress=False)
    build = time.perf_counter() - started
    rng = np.random.default_rng(0)
    labelled = rng.choice(len(records), n_labels, replace=False)
    labels = {int(i): int(rng.random() < 0.05) for i in labelled}
    labels[int(labelled[0])], labels[int(labelled[1])] = 1, 0
    ranker.set_labels(labels)
    timings = []
    for index in rng.permutation(np.setdiff1d(np.arange(len(records)), labelled))[:repeats]:
        labels[int(index)] = 0
        t0 = time.perf_counter()
        ranker.set_labels(labels)
        ranker.ranking(exclude=labels.keys())
        timings.append(time.perf_counter() - t0)
    project.close()
    return {"records": len(records), "labels": n_labels, "repeats": repeats, "encoder": ranker.encoder_name,
            "warm_build_seconds": round(build, 1), "median_ms": round(1000 * float(np.median(timings)), 1),
            "p90_ms": round(1000 * float(np.percentile(timings, 90)), 1), "target_ms": 200,
            "rss_mb": round(psutil.Process().memory_info().rss / 1e6)}


def app_first_screen(project_dir: Path, timeout_seconds: float = 3600) -> dict:
    """Through the app's ranker registry (`screening.app.ranking`), in a fresh process with an empty cache:
    seconds until the Screen page's queue is ranked at all (TF-IDF), and until it is ranked by the default
    encoder. The page itself adds only its render (AppTest runs of the Screen page take well under a second).
    """
    from screening.app.ranking import ranking_errors, view_for
    from screening.rank.project_data import load_records
    from screening.rank.queue import best_encoder
    from screening.store.project import Project

    project = Project.open(project_dir)
    pending = load_records(project)["record_id"].astype(int).tolist()
    best = best_encoder(len(pending))
    started = time.perf_counter()
    first = view_for(project, None, wait=True)
    fast_seconds = time.perf_counter() - started
    first.order(pending)
    while (view := view_for(project, None)).result.encoder != best:
        if ranking_errors(project) or time.perf_counter() - started > timeout_seconds:
            raise SystemExit(f"the {best} ranker did not get ready: {ranking_errors(project)}")
        time.sleep(0.5)
    best_seconds = time.perf_counter() - started
    t0 = time.perf_counter()
    view.order(pending)
    order_ms = 1000 * (time.perf_counter() - t0)
    project.close()
    return {"records": len(pending), "first_ranked_queue_seconds": round(fast_seconds, 1),
            "first_ranked_with": first.result.encoder, "default_encoder": best,
            "default_encoder_ranked_queue_seconds": round(best_seconds, 1), "order_all_pending_ms": round(order_ms, 1),
            "peak_rss_mb": round(psutil.Process().memory_info().rss / 1e6)}


def distinct_sentences(project_dir: Path) -> dict:
    from screening.rank.project_data import load_records
    from screening.rank.text import sentences
    from screening.store.project import Project

    project = Project.open(project_dir)
    records = load_records(project)
    split = sentences(records["title"].tolist(), records["abstract"].tolist(), cache_dir=project.cache_dir)
    project.close()
    flat = [s for record in split for s in record]
    return {"records_kept": len(records), "sentences": len(flat), "distinct_sentences": len(set(flat))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--copies", type=int, default=10_000)
    parser.add_argument("--encoders", default="tfidf,static,minilm")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument("--keep", type=Path, default=None, help="build the project here and keep it")
    parser.add_argument("--app-only", type=Path, default=None,
                        help="only the app measurement, on this project built by an earlier --keep run")
    parser.add_argument("--app-child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app_child is not None:
        print(json.dumps(app_first_screen(args.app_child)))
        return
    if args.app_only is not None:
        measured = app_step(args.app_only, {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)})
        previous = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
        previous["app"] = measured
        RESULTS.write_text(json.dumps(previous, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(measured))
        return
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    results: dict[str, object] = {"cpus": os.cpu_count(), "load_average_at_start": round(os.getloadavg()[0], 1),
                                  "steps": []}
    steps: list[dict] = results["steps"]  # type: ignore[assignment]

    def save() -> None:
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        csv_path, project = work / "records.csv", work / "project"
        results["input"] = build_csv(csv_path, args.records, args.copies, args.seed)
        steps.append(run_step("init", ["init", str(project), "--protocol", str(PROTOCOL)], env))
        steps.append(run_step("import", ["import", str(project), str(csv_path)], env))
        steps.append(run_step("dedup", ["dedup", str(project)], env))
        results["text"] = distinct_sentences(project)
        save()
        for encoder in args.encoders.split(","):
            # An empty cache per encoder (the project's own cache folder is moved aside) so each is cold.
            cache = project / ".screening_cache"
            if cache.exists():
                cache.rename(work / f"cache-before-{encoder}")
            steps.append(run_step(f"rank {encoder} (empty cache)",
                                  ["rank", str(project), "--encoder", encoder, "--out", str(work / "r.csv")], env))
            save()
        # The restart: every cache warm (the last cold run's folder plus the earlier ones merged back).
        for folder in sorted(work.glob("cache-before-*")):
            merge_caches(folder, project / ".screening_cache")
        steps.append(run_step("rank auto (restart, caches warm)", ["rank", str(project), "--out",
                                                                   str(work / "r.csv")], env))
        save()
        results["rerank"] = rerank_latency(project, args.repeats, args.labels)
        print(json.dumps(results["rerank"]), flush=True)
    results["load_average_at_end"] = round(os.getloadavg()[0], 1)
    save()
    print(f"wrote {RESULTS}")


def app_step(project_dir: Path, env: dict[str, str]) -> dict:
    """The app's first ranked screen from an empty cache (the project's cache moved aside, then back)."""
    cache, aside = project_dir / ".screening_cache", project_dir.parent / "cache-aside-app"
    if cache.exists():
        cache.rename(aside)
    try:
        out = subprocess.run([sys.executable, __file__, "--app-child", str(project_dir)], capture_output=True,
                             text=True, env=env, cwd=ROOT, check=True)
        return {**json.loads(out.stdout.strip().splitlines()[-1]), "load_average": round(os.getloadavg()[0], 1)}
    finally:
        if aside.exists():
            shutil.rmtree(cache, ignore_errors=True)
            aside.rename(cache)


def merge_caches(source: Path, target: Path) -> None:
    """Move cache files from an earlier cold run into the project's cache (missing ones only)."""
    for path in source.rglob("*"):
        if path.is_file():
            destination = target / path.relative_to(source)
            if not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                path.rename(destination)


if __name__ == "__main__":
    main()
