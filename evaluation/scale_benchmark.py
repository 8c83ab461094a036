"""A 100,000-record review end to end: import, dedup, the app's first ranked screen, ranking per encoder,
restart, re-rank after a decision, memory.

Usage: nice -n 10 python evaluation/scale_benchmark.py [--records 100000] [--copies 5280]
       [--encoders tfidf,static] [--keep DIR] [--phases build,app,rank,rerank,throughput]

The project is built at run time from the shared datasets (../shared/datasets, all 30; nothing of them is
written outside the temporary or `--keep` folder): every real record once (54,316 records; the datasets
overlap, e.g. van de Schoot 2017/2018 and the Cohen topics, so they hold about 47,400 works), then
synthesised works up to `records - copies`, each distinct from every other record: a title made of the
first half of one real title and the second half of another (never an existing title), an abstract whose
every sentence is the first half of a real abstract's sentence and the second half of another abstract's,
so titles and sentences are new texts and the embedding work grows with the records as in a real review;
authors and year from a third record, no DOI/PMID. Last, `copies` injected records (dedup_benchmark's kinds:
perturbed copies of case, punctuation, entities, DOI forms, subtitles, authors, year..., and 1 in 45 a
notice that must stay apart). With the defaults: 100,000 records, about 88,100 unique after dedup
(the issue's review: 100,000 records, 88,097 unique).

Phases, each step in its own process, timed with its peak memory (RSS polled): `build` (init, import,
dedup); `app` (the app's ranker registry, `screening.app.ranking`, from an empty cache, then again as a
restart with the caches that left: seconds to the first ranked queue and to the default encoder's);
`rank` (`screening rank --encoder X` from an empty cache per encoder, then `screening rank` with the caches
warm); `rerank` (in-process on the warm default ranker: retrain + order the pending records, as the
Screen page does after a decision); `throughput` (cold embedding speed of static and
MiniLM on a sample of the records, projected to 2k-88k records: the auto encoder's threshold). Locally built
models (static distillation, MiniLM's ONNX build) come from the model cache, as after `make setup`.
Writes evaluation/results/scale_benchmark.json (phases run without `build` update it in place).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from random import Random

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "evaluation"))
from dedup_benchmark import DEFAULT_DATASETS, NOTICE, inject_copies, load_pool  # noqa: E402

RESULTS = ROOT / "evaluation" / "results" / "scale_benchmark.json"
SCREENING = [sys.executable, "-c", "from screening.cli import main; main()"]
PROTOCOL = DEFAULT_DATASETS / "van_de_Schoot_2018" / "criteria.md"
BAR_START = re.compile(r"(?:^|[\r\n])([^\r\n:|]+):\s+0%\|")


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
WORD = re.compile(r"\w+")


def _halves(text: str) -> tuple[list[str], list[str]]:
    words = text.split()
    cut = max(1, len(words) // 2)
    return words[:cut], words[cut:]


def _title_key(title: str) -> str:
    return " ".join(WORD.findall(title.lower()))


def distinct_works(pool: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    """`n` new works, each distinct from every real record and from each other.

    Title: the first half of one real title's words and the second half of another's (never an existing
    title, nor one already made). Abstract: each sentence of one real abstract spliced at its middle with
    a sentence of a second one, so the sentences are new texts too (the embedding work grows with the
    records, as in a real review of this size); authors and year from a third record; no DOI/PMID.
    """
    rng = Random(seed)
    titled = [r for r in pool.to_dict("records") if isinstance(r["title"], str) and len(r["title"].split()) >= 4]
    everyone = pool.to_dict("records")
    seen = {_title_key(t) for t in pool["title"].dropna()}
    rows = []
    next_id = int(pool["id"].max()) + 1
    while len(rows) < n:
        first, second = _halves(rng.choice(titled)["title"])[0], _halves(rng.choice(titled)["title"])[1]
        title = " ".join(first + second)
        key = _title_key(title)
        if not second or key in seen:
            continue
        seen.add(key)
        body, donor, people = rng.choice(everyone), rng.choice(everyone), rng.choice(everyone)
        abstract = None
        if isinstance(body["abstract"], str) and body["abstract"].strip():
            ends = [s for s in SENTENCE_END.split(donor["abstract"]) if s.strip()] \
                if isinstance(donor["abstract"], str) else []
            spliced = []
            for i, sentence in enumerate(s for s in SENTENCE_END.split(body["abstract"]) if s.strip()):
                head = _halves(sentence)[0]
                tail = _halves(ends[i % len(ends)])[1] if ends else _halves(sentence)[1]
                spliced.append(" ".join(head + tail))
            abstract = " ".join(spliced)
        rows.append({"id": next_id, "dataset": "synthesised", "record_id": f"s{next_id}", "title": title,
                     "abstract": abstract, "year": people["year"], "authors": people["authors"], "doi": None,
                     "pmid": None, "label_included": body["label_included"]})
        next_id += 1
    return pd.DataFrame(rows)


def build_csv(path: Path, n_records: int, n_copies: int, seed: int) -> dict:
    pool = load_pool(DEFAULT_DATASETS, exclude=())
    originals = pd.concat([pool, distinct_works(pool, max(0, n_records - n_copies - len(pool)), seed)],
                          ignore_index=True).head(n_records - n_copies)
    for column in ("title", "abstract", "authors"):  # missing as None, as the perturbations expect
        originals[column] = originals[column].astype(object).where(originals[column].notna(), None)
    data = inject_copies(originals, n_copies, seed)
    is_copy = data["kind"].notna()
    record_id = data["dataset"] + ":" + data["record_id"].astype(str)
    record_id.loc[is_copy] = "copy-" + data.loc[is_copy, "id"].astype(str)
    pd.DataFrame({"record_id": record_id, "title": data["title"], "abstract": data["abstract"],
                  "authors": data["authors"], "year": data["year"].astype("Int64"), "doi": data["doi"],
                  "pmid": data["pmid"], "label_included": data["label_included"]}).to_csv(path, index=False)
    return {"records": len(data), "real": len(pool), "synthesised_works": int((data["dataset"] == "synthesised").sum()),
            "perturbed_copies": int((is_copy & (data["kind"] != NOTICE)).sum()),
            "notices": int((data["kind"] == NOTICE).sum())}


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
    """In-process, caches warm: what the Screen page does after one decision, on the default encoder's
    ranker: retrain the viewer's learner on the new labels and order the pending records; each part timed,
    and their sum, in wall time and
    in this process's CPU time (on a machine shared with other jobs the wall time is mostly waiting for a
    core: at load 6 on 2 cores a process gets about a third of one)."""
    from screening.rank.project_data import load_records
    from screening.rank.queue import best_encoder, build_project_ranker
    from screening.store.project import Project

    project = Project.open(project_dir)
    records = load_records(project)
    started = time.perf_counter()
    ranker = build_project_ranker(project, project.load_protocol(), best_encoder(len(records)), records=records)
    build = time.perf_counter() - started
    learner = ranker.learner("benchmark")
    ids = records["record_id"].astype(int).to_numpy()
    rng = np.random.default_rng(0)
    labelled = rng.choice(ids, n_labels, replace=False)
    labels = {int(i): int(rng.random() < 0.05) for i in labelled}
    labels[int(labelled[0])], labels[int(labelled[1])] = 1, 0
    learner.train(labels)
    parts: dict[str, list[float]] = {"train": [], "order": [], "total": [], "total_cpu": []}
    for record_id in rng.permutation(np.setdiff1d(ids, labelled))[:repeats]:
        labels[int(record_id)] = int(rng.random() < 0.05)
        pending = [int(i) for i in ids if int(i) not in labels]
        cpu0, t0 = time.process_time(), time.perf_counter()
        learner.train(dict(labels))
        t1 = time.perf_counter()
        learner.order(pending)
        t2, cpu2 = time.perf_counter(), time.process_time()
        for name, seconds in (("train", t1 - t0), ("order", t2 - t1), ("total", t2 - t0),
                              ("total_cpu", cpu2 - cpu0)):
            parts[name].append(seconds)
    project.close()
    return {"records": len(records), "labels": n_labels, "repeats": repeats, "encoder": ranker.encoder,
            "warm_build_seconds": round(build, 1),
            **{f"{name}_median_ms": round(1000 * float(np.median(v)), 1) for name, v in parts.items()},
            "total_p90_ms": round(1000 * float(np.percentile(parts["total"], 90)), 1), "target_ms": 200,
            "rss_mb": round(psutil.Process().memory_info().rss / 1e6), "load_average": round(os.getloadavg()[0], 1)}


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
            "rss_at_end_mb": round(psutil.Process().memory_info().rss / 1e6)}


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


def encoder_throughput(project_dir: Path, n_records: int, encoders: list[str]) -> dict:
    """Cold embedding speed of each dense encoder on the distinct sentences of the first `n_records` kept
    records (an empty cache of their own), and what that means for 2k, 5k, 20k and all records.

    A ranker with MiniLM also embeds everything with its card's zero-shot encoder (static), so MiniLM's
    total is both. The extrapolation is linear in distinct sentences per record, as embedding is.
    """
    from screening.embed.plan import distinct_sentences as texts_of
    from screening.embed.service import embed_texts
    from screening.rank.project_data import load_records
    from screening.store.project import Project

    project = Project.open(project_dir)
    records = load_records(project)
    project.close()
    total = len(records)
    sample = records.sample(n=min(n_records, total), random_state=0)
    texts = texts_of(sample["title"].tolist(), sample["abstract"].tolist())
    result: dict[str, object] = {"sample_records": len(sample), "sample_distinct_sentences": len(texts),
                                 "load_average": round(os.getloadavg()[0], 1), "encoders": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name in encoders:
            report = embed_texts([name], texts, Path(tmp) / name, progress=False)[0]
            per_record = report.seconds / len(sample)
            result["encoders"][name] = {  # type: ignore[index]
                "backend": report.cache_key, "seconds": round(report.seconds, 1),
                "records_per_second": round(len(sample) / report.seconds, 1),
                "sentences_per_second": round(len(texts) / report.seconds, 1),
                "projected_minutes": {str(n): round(per_record * n / 60, 1) for n in (2000, 5000, 20000, total)}}
            print(json.dumps({name: result["encoders"][name]}), flush=True)  # type: ignore[index]
    return result


PHASES = ("build", "app", "rank", "rerank", "throughput")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--copies", type=int, default=5_280)
    parser.add_argument("--encoders", default="tfidf,static", help="cold `screening rank` runs, one per encoder")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--labels", type=int, default=500)
    parser.add_argument("--throughput-records", type=int, default=400)
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"which to run, of {','.join(PHASES)}; without build, --keep names a built project")
    parser.add_argument("--keep", type=Path, default=None, help="build the project here and keep it")
    parser.add_argument("--app-child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app_child is not None:
        print(json.dumps(app_first_screen(args.app_child)))
        return
    phases = [phase.strip() for phase in args.phases.split(",") if phase.strip()]
    if unknown := set(phases) - set(PHASES):
        raise SystemExit(f"unknown phases {sorted(unknown)}: choose from {PHASES}")
    if "build" not in phases and args.keep is None:
        raise SystemExit("without the build phase, --keep must name a project folder built earlier")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    results: dict[str, object] = json.loads(RESULTS.read_text(encoding="utf-8")) \
        if "build" not in phases and RESULTS.exists() else {}
    results.update({"cpus": os.cpu_count(), "load_average_at_start": round(os.getloadavg()[0], 1)})
    results["command"] = "nice -n 10 python evaluation/scale_benchmark.py " + " ".join(sys.argv[1:])

    def save() -> None:
        RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")

    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        csv_path, project = work / "records.csv", work / "project"
        if "build" in phases:
            if project.exists():
                raise SystemExit(f"{project} exists: remove it, or leave out the build phase")
            results["input"] = build_csv(csv_path, args.records, args.copies, args.seed)
            steps: list[dict] = []
            results["steps"] = steps
            steps.append(run_step("init", ["init", str(project), "--protocol", str(PROTOCOL)], env))
            steps.append(run_step("import", ["import", str(project), str(csv_path)], env))
            steps.append(run_step("dedup", ["dedup", str(project)], env))
            save()
        steps = results.setdefault("steps", [])  # type: ignore[assignment]
        if "app" in phases:
            # First the empty cache (as on a new project), then a restart with the caches it left.
            results["app"] = app_step(project, env, cold=True)
            results["app_restart"] = app_step(project, env, cold=False)
            results["text"] = distinct_sentences(project)
            save()
        if "rank" in phases:
            steps[:] = [step for step in steps if not step["step"].startswith("rank ")]
            for encoder in args.encoders.split(","):
                with moved_aside(project / ".screening_cache", work / f"cache-aside-{encoder}"):
                    steps.append(run_step(f"rank {encoder} (empty cache)", ["rank", str(project), "--encoder",
                                                                          encoder, "--out", str(work / "r.csv")], env))
                save()
            steps.append(run_step("rank auto (restart, caches warm)", ["rank", str(project), "--out",
                                                                       str(work / "r.csv")], env))
            save()
        if "rerank" in phases:
            results["rerank"] = rerank_latency(project, args.repeats, args.labels)
            print(json.dumps(results["rerank"]), flush=True)
            save()
        if "throughput" in phases:
            results["encoder_throughput"] = encoder_throughput(project, args.throughput_records, ["static", "minilm"])
            save()
    results["load_average_at_end"] = round(os.getloadavg()[0], 1)
    save()
    print(f"wrote {RESULTS}")


@contextlib.contextmanager
def moved_aside(cache: Path, aside: Path) -> Iterator[None]:
    """An empty cache for the block: the folder is moved aside, and back afterwards (what the block wrote
    is dropped when the folder existed before, else kept)."""
    existed = cache.exists()
    if existed:
        if aside.exists():
            shutil.rmtree(aside)
        cache.rename(aside)
    try:
        yield
    finally:
        if existed:
            shutil.rmtree(cache, ignore_errors=True)
            aside.rename(cache)


def app_step(project_dir: Path, env: dict[str, str], cold: bool) -> dict:
    """The app's first ranked screen in a fresh process: from an empty cache (`cold`), or with the caches
    an earlier run left (a restart)."""
    command = [sys.executable, __file__, "--app-child", str(project_dir)]
    if cold:
        shutil.rmtree(project_dir / ".screening_cache", ignore_errors=True)
    measured = run_child(command, env)
    result = {**measured, "cache": "empty" if cold else "warm", "load_average": round(os.getloadavg()[0], 1)}
    print(json.dumps(result), flush=True)
    return result


def run_child(command: list[str], env: dict[str, str]) -> dict:
    """Run a measuring child process; its last stdout line is its JSON result, plus its peak RSS (polled)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    peak = 0
    watched = psutil.Process(process.pid)
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.2)
    out, err = process.communicate()
    if process.returncode:
        raise SystemExit(f"{command} failed ({process.returncode}):\n{err[-3000:]}")
    return {**json.loads(out.strip().splitlines()[-1]), "peak_rss_mb": round(peak / 1e6),
            "progress_bars": len(BAR_START.findall(err)), "bar_labels": sorted(set(BAR_START.findall(err)))}


if __name__ == "__main__":
    main()
