"""Embedding throughput on Ray with 1 and 2 workers against the local path, on the same sentences.

Usage: nice -n 10 python evaluation/ray_embed_benchmark.py [--records 400] [--encoder minilm] [--address ADDR]

Starts a local Ray instance (or joins `--address`), then embeds the distinct sentences of `records` real
records from ../shared/datasets into an empty cache: locally (`screening embed` without --ray: one ONNX run
per core in threads), then as Ray Data batches with 1 and with 2 workers (`screening embed --ray`). The
vectors are compared with the local ones. Ray's start-up and each worker's model load are counted in
the Ray runs' wall time (as a user would wait for them); the start of Ray itself is reported apart.
Writes evaluation/results/ray_embed_benchmark.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation.rank_benchmark import real_records  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "ray_embed_benchmark.json"


def cached(name: str, cache_dir: Path, texts: list[str]) -> np.ndarray:
    from screening.rank.cache import text_key
    from screening.rank.encoders import get_encoder

    found = get_encoder(name, cache_dir=cache_dir).cache.get([text_key(t) for t in texts])
    return np.vstack([found[text_key(t)] for t in texts]).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--encoder", default="minilm")
    parser.add_argument("--address", default=None, help="an existing cluster (default: start one here)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import ray

    from screening.embed.plan import distinct_sentences
    from screening.embed.service import embed_texts

    records = real_records(args.records)
    texts = distinct_sentences(records["title"].tolist(), records["abstract"].tolist())
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        report = embed_texts([args.encoder], texts, Path(tmp) / "local", progress=False)[0]
        runs.append({"where": "local", "workers": os.cpu_count(), "seconds": round(report.seconds, 1),
                     "load_average": round(os.getloadavg()[0], 1)})
        print(json.dumps(runs[-1]), flush=True)
        started = time.perf_counter()
        ray.init(address=args.address, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"HF_HUB_OFFLINE": "1"}})
        ray_start = time.perf_counter() - started
        for workers in (1, 2):
            cache = Path(tmp) / f"ray{workers}"
            report = embed_texts([args.encoder], texts, cache, ray_address="local", workers=workers,
                                 progress=False)[0]
            same = bool(np.array_equal(cached(args.encoder, cache, texts), cached(args.encoder, Path(tmp) / "local",
                                                                                  texts)))
            runs.append({"where": "ray", "workers": workers, "seconds": round(report.seconds, 1),
                         "identical_to_local": same, "load_average": round(os.getloadavg()[0], 1)})
            print(json.dumps(runs[-1]), flush=True)
        key = report.cache_key
        ray.shutdown()
    for run in runs:
        run["sentences_per_second"] = round(len(texts) / run["seconds"], 1)
        run["records_per_second"] = round(args.records / run["seconds"], 1)
    result = {"encoder": args.encoder, "cache_key": key, "records": args.records, "distinct_sentences": len(texts),
              "cpus": os.cpu_count(), "ray_start_seconds": round(ray_start, 1), "runs": runs,
              "command": f"nice -n 10 python evaluation/ray_embed_benchmark.py --records {args.records} "
                         f"--encoder {args.encoder}"}
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
