"""MiniLM cold embedding throughput, torch vs ONNX int8, measured in one run on the same sentences.

Usage: nice -n 10 python evaluation/minilm_backends.py [--records 300] [--blocks 6]

Sentence level, as the ranker embeds: each record's title and abstract sentences, every distinct sentence
once, through the on-disk cache (empty at the start, one per backend). The records are cut into blocks and
the two backends take turns on each block (alternating who goes first), so a machine shared with others
loads both alike. Also reports how close the int8 vectors are to torch's (cosine).
Writes evaluation/results/minilm_backends.json.
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

RESULTS = Path(__file__).resolve().parent / "results" / "minilm_backends.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--blocks", type=int, default=6)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from screening.rank.encoders import CachedEncoder, MiniLMEncoder
    from screening.rank.model_cards import load_card
    from screening.rank.onnx_build import build_onnx
    from screening.rank.onnx_encoder import OnnxMiniLMEncoder
    from screening.rank.text import sentences

    card = load_card("minilm")
    build_onnx(card)
    records = real_records(args.records)
    per_record = sentences(records["title"].tolist(), records["abstract"].tolist())
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        backends = {"torch": CachedEncoder(MiniLMEncoder(card), Path(tmp)),
                    "onnx": CachedEncoder(OnnxMiniLMEncoder(card), Path(tmp))}
        for encoder in backends.values():
            encoder.base.encode(["model load is not throughput"])
        seconds = dict.fromkeys(backends, 0.0)
        vectors: dict[str, list[np.ndarray]] = {name: [] for name in backends}
        for block, rows in enumerate(np.array_split(np.arange(len(per_record)), args.blocks)):
            texts = [s for row in rows for s in per_record[row]]
            names = list(backends) if block % 2 == 0 else list(reversed(backends))
            for name in names:
                started = time.perf_counter()
                vectors[name].append(backends[name].encode(texts, progress=False))
                seconds[name] += time.perf_counter() - started
    flat = [s for record in per_record for s in record]
    cosine = (np.vstack(vectors["torch"]) * np.vstack(vectors["onnx"])).sum(axis=1)
    result = {
        "records": args.records, "sentences": len(flat), "distinct_sentences": len(set(flat)),
        "cpus": os.cpu_count(), "load_average_start": round(load_start, 1),
        "load_average_end": round(os.getloadavg()[0], 1),
        **{f"{name}_seconds": round(s, 1) for name, s in seconds.items()},
        **{f"{name}_records_per_second": round(args.records / s, 1) for name, s in seconds.items()},
        "speed_up": round(seconds["torch"] / seconds["onnx"], 2),
        "cosine_to_torch": {"mean": round(float(cosine.mean()), 4), "p1": round(float(np.percentile(cosine, 1)), 4),
                            "min": round(float(cosine.min()), 4)},
        "command": f"nice -n 10 python evaluation/minilm_backends.py --records {args.records} --blocks {args.blocks}",
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
