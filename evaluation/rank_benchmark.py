"""Ranking engine benchmark: retrain latency, embedding throughput and cache, peak memory.

Usage: nice -n 10 python evaluation/rank_benchmark.py [--encoder static] [--records 10000] [--labels 500]
       [--memory-records 100000] [--skip-memory] [--minilm-texts 300] [--reviewers 3] [--only-blind]

Targets (from the ranking brief): median retrain + re-rank after one new decision <= 100 ms at 10k records
and 500 labels, also with one learner per reviewer in blind dual screening (3 reviewers sharing one ranker's
features); embeddings computed once (warm cache >> cold); memory at 100k records fits the 24 GiB machine
with room for the app. Records are real ones from ../shared/datasets (all 30 sets, 54k records); larger
sizes repeat them with a numbered title so every record is a distinct text.
Writes evaluation/results/rank_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
RESULTS = ROOT / "evaluation" / "results" / "rank_benchmark.json"


def real_records(n: int, datasets: Path = DATASETS) -> pd.DataFrame:
    """`n` real records (title, abstract, label) from all datasets, repeated with numbered titles if needed."""
    frames = [
        pd.read_csv(folder / "records.csv.gz", dtype={"record_id": str}, keep_default_na=False)[
            ["title", "abstract", "label_included"]
        ]
        for folder in sorted(p for p in datasets.iterdir() if (p / "records.csv.gz").exists())
    ]
    pool = pd.concat(frames, ignore_index=True)
    pool = pool.sample(frac=1.0, random_state=0).reset_index(drop=True)
    if n <= len(pool):
        return pool.head(n).reset_index(drop=True)
    copies = []
    for copy in range(int(np.ceil(n / len(pool)))):
        part = pool.copy()
        if copy:
            part["title"] = part["title"] + f" (part {copy + 1})"
        copies.append(part)
    return pd.concat(copies, ignore_index=True).head(n)


def retrain_latency(encoder: str, n_records: int, n_labels: int, cache_dir: Path, repeats: int = 40) -> dict:
    """Median time of update(one new label) + ranking(exclude=labelled) with `n_labels` labels present."""
    from screening.protocol.load import load_protocol
    from screening.rank.api import Ranker

    records = real_records(n_records)
    protocol = load_protocol(DATASETS / "van_de_Schoot_2018" / "criteria.md")
    started = time.perf_counter()
    ranker = Ranker(records["title"].tolist(), records["abstract"].tolist(), protocol, encoder=encoder,
                    cache_dir=cache_dir, progress=False)
    build_seconds = time.perf_counter() - started
    labels = pd.to_numeric(records["label_included"], errors="coerce").fillna(0).astype(int).to_numpy()
    rng = np.random.default_rng(0)
    includes, excludes = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    n_inc = max(2, n_labels // 20)
    chosen = list(rng.choice(includes, n_inc, replace=False)) + list(
        rng.choice(excludes, n_labels - n_inc, replace=False))
    known = {int(i): int(labels[i]) for i in chosen}
    ranker.update(known)
    remaining = [int(i) for i in rng.permutation(np.setdiff1d(np.arange(n_records), chosen))[:repeats]]
    return {
        "encoder": encoder, "records": n_records, "labels": n_labels, "repeats": repeats,
        "build_seconds": round(build_seconds, 2),
        "n_features": int(ranker._learner.features.shape[1]),
        "load_average": os.getloadavg()[0],
        **_time_decisions([(ranker, index, int(labels[index])) for index in remaining]),
        "target_ms": 100,
    }


def _time_decisions(decisions: Iterable[tuple[Any, int, int]]) -> dict[str, float]:
    """Wall and CPU time of each (ranker, record, label): one new label, retrain, re-rank the queue."""
    timings, cpu = [], []
    for ranker, index, label in decisions:
        t0, c0 = time.perf_counter(), time.process_time()
        ranker.update({index: label})
        ranker.ranking(exclude=ranker.labels.keys())
        timings.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"median_ms": round(1000 * float(np.median(timings)), 1),
            "p90_ms": round(1000 * float(np.percentile(timings, 90)), 1),
            "median_cpu_ms": round(1000 * float(np.median(cpu)), 1)}


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def blind_team_latency(encoder: str, n_records: int, n_labels: int, n_reviewers: int, cache_dir: Path,
                       repeats: int = 40) -> dict:
    """Blind dual screening: one learner per reviewer (`Ranker.fork`) over one ranker's shared features.

    Each reviewer starts with `n_labels` labels of their own (half of them shared with the others, as
    records both screened); then reviewers take turns deciding one new record, and each decision costs
    that reviewer's retrain + re-rank of their queue. Memory: resident size added by the extra learners.
    """
    from screening.protocol.load import load_protocol
    from screening.rank.api import Ranker

    records = real_records(n_records)
    protocol = load_protocol(DATASETS / "van_de_Schoot_2018" / "criteria.md")
    base = Ranker(records["title"].tolist(), records["abstract"].tolist(), protocol, encoder=encoder,
                  cache_dir=cache_dir, progress=False)
    labels = pd.to_numeric(records["label_included"], errors="coerce").fillna(0).astype(int).to_numpy()
    rng = np.random.default_rng(1)
    includes, excludes = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    n_inc = max(2, n_labels // 20)
    shared = list(rng.choice(includes, n_inc // 2, replace=False)) + list(
        rng.choice(excludes, n_labels // 2 - n_inc // 2, replace=False))
    rss_before = _rss_mb()
    learners = []
    for _ in range(n_reviewers):
        own = list(rng.choice(includes, n_inc - n_inc // 2, replace=False)) + list(
            rng.choice(excludes, n_labels - n_labels // 2 - (n_inc - n_inc // 2), replace=False))
        learner = base.fork()
        learner.update({int(i): int(labels[i]) for i in shared + own})
        learners.append(learner)
    rss_after = _rss_mb()
    candidates = [int(i) for i in rng.permutation(n_records)]

    def turns() -> Iterator[tuple[Any, int, int]]:
        for turn in range(repeats):
            learner = learners[turn % n_reviewers]
            index = next(i for i in candidates if i not in learner.labels)
            yield learner, index, int(labels[index])

    return {
        "encoder": encoder, "records": n_records, "labels_per_reviewer": n_labels, "reviewers": n_reviewers,
        "repeats": repeats, "load_average": os.getloadavg()[0], **_time_decisions(turns()),
        "extra_rss_mb_for_reviewer_learners": round(rss_after - rss_before, 1),
        "rss_mb": round(rss_after, 1),
        "target_ms": 100,
    }


def throughput(encoder: str, n_records: int, cache_dir: Path) -> dict:
    """Cold (empty cache) vs warm (all cached) embedding of `n_records` abstracts' sentences."""
    from screening.rank.encoders import CachedEncoder, get_encoder
    from screening.rank.text import sentences

    records = real_records(n_records)
    flat = [s for r in sentences(records["title"].tolist(), records["abstract"].tolist()) for s in r]
    text_encoder = get_encoder(encoder, cache_dir=cache_dir)
    assert isinstance(text_encoder, CachedEncoder)
    text_encoder.base.encode(["warm up the model"])  # model load/distillation is not throughput
    t0 = time.perf_counter()
    text_encoder.encode(flat, progress=False)
    cold = time.perf_counter() - t0
    calls = {"n": 0}
    original = text_encoder.base.encode

    def counting(texts):  # type: ignore[no-untyped-def]
        calls["n"] += len(texts)
        return original(texts)

    text_encoder.base.encode = counting  # type: ignore[method-assign]
    t0 = time.perf_counter()
    text_encoder.encode(flat, progress=False)
    warm = time.perf_counter() - t0
    return {
        "encoder": encoder, "records": n_records, "sentences": len(flat),
        "cold_seconds": round(cold, 2), "warm_seconds": round(warm, 3),
        "cold_records_per_second": round(n_records / cold, 1),
        "warm_records_per_second": round(n_records / warm, 1),
        "texts_embedded_on_warm_run": calls["n"],
        "cache_file_mb": round(text_encoder.cache.path.stat().st_size / 1e6, 1),
    }


def tfidf_throughput(n_records: int) -> dict:
    from screening.rank.encoders import get_encoder
    from screening.rank.text import record_text

    records = real_records(n_records)
    corpus = [record_text(t, a) for t, a in zip(records["title"], records["abstract"], strict=True)]
    t0 = time.perf_counter()
    encoder = get_encoder("tfidf", corpus=corpus)
    seconds = time.perf_counter() - t0
    return {"encoder": "tfidf", "records": n_records, "fit_transform_seconds": round(seconds, 2),
            "records_per_second": round(n_records / seconds, 1), "vocabulary": len(encoder.vectorizer.vocabulary_)}


def peak_memory(encoder: str, n_records: int, cache_dir: Path) -> dict:
    """Build a Ranker on `n_records` and retrain once, in a fresh process; report its peak RSS."""
    command = [sys.executable, __file__, "--memory-child", str(n_records), "--encoder", encoder,
               "--cache-dir", str(cache_dir)]
    out = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def memory_child(encoder: str, n_records: int, cache_dir: Path) -> dict:
    from screening.protocol.load import load_protocol
    from screening.rank.api import Ranker

    records = real_records(n_records)
    protocol = load_protocol(DATASETS / "van_de_Schoot_2018" / "criteria.md")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    ranker = Ranker(records["title"].tolist(), records["abstract"].tolist(), protocol, encoder=encoder,
                    cache_dir=cache_dir, progress=False)
    build = time.perf_counter() - t0
    ranker.update({0: 1, 1: 0, 2: 0})
    t0 = time.perf_counter()
    ranker.update({3: 0})
    ranker.ranking()
    retrain = time.perf_counter() - t0
    return {"encoder": encoder, "records": n_records,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "rss_before_build_mb": round(before, 1), "build_seconds": round(build, 1),
            "retrain_ms": round(1000 * retrain, 1)}


def save(results: dict[str, object]) -> None:
    """Write after every stage so a cut-short run keeps what it measured."""
    results["peak_rss_this_process_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _previous_memory() -> dict | None:
    """The memory entry of the results file on disk, noted as coming from an earlier full run."""
    if not RESULTS.exists():
        return None
    memory = json.loads(RESULTS.read_text(encoding="utf-8")).get("memory")
    if memory:
        memory["note"] = ("from an earlier full run of this script (without --skip-memory); "
                          "the latest run used --skip-memory")
    return memory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", default="static", help="encoder for the latency and memory runs")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument("--throughput-records", type=int, default=2_000)
    parser.add_argument("--minilm-records", type=int, default=100, help="MiniLM is slow: keep this small")
    parser.add_argument("--memory-records", type=int, default=100_000)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--reviewers", type=int, default=3, help="blind reviewers, one learner each")
    parser.add_argument("--only-blind", action="store_true",
                        help="measure only the blind-team latency; keep the other results from the last run")
    parser.add_argument("--cache-dir", type=Path, default=None, help="embedding cache (default: a temp dir)")
    parser.add_argument("--memory-child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.memory_child is not None:
        print(json.dumps(memory_child(args.encoder, args.memory_child, args.cache_dir)))
        return
    results: dict[str, object] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_start": os.getloadavg()},
    }
    previous_memory = _previous_memory() if args.skip_memory else None  # read before the file is rewritten
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache_dir or Path(tmp)
        if args.only_blind:  # the single-learner latency again in the same run, so both share the same load
            results = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else results
            results["retrain"] = retrain_latency(args.encoder, args.records, args.labels, cache)
            print(json.dumps(results["retrain"]), flush=True)
            results["blind_team"] = blind_team_latency(args.encoder, args.records, args.labels, args.reviewers, cache)
            print(json.dumps(results["blind_team"]), flush=True)
            save(results)
            print(f"wrote {RESULTS}")
            return
        results["throughput"] = [tfidf_throughput(args.throughput_records)]
        print(json.dumps(results["throughput"][-1]), flush=True)
        for encoder, n in (("static", args.throughput_records), ("minilm", args.minilm_records)):
            results["throughput"].append(throughput(encoder, n, cache / f"throughput-{encoder}"))  # type: ignore[union-attr]
            print(json.dumps(results["throughput"][-1]), flush=True)  # type: ignore[index]
            save(results)
        results["retrain"] = retrain_latency(args.encoder, args.records, args.labels, cache)
        print(json.dumps(results["retrain"]), flush=True)
        save(results)
        results["blind_team"] = blind_team_latency(args.encoder, args.records, args.labels, args.reviewers, cache)
        print(json.dumps(results["blind_team"]), flush=True)
        save(results)
        if not args.skip_memory:
            results["memory"] = peak_memory(args.encoder, args.memory_records, cache)
            print(json.dumps(results["memory"]), flush=True)
        elif previous_memory:
            results["memory"] = previous_memory  # a quick run keeps the last measured memory, marked as such
    save(results)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
