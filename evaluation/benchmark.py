"""Screening simulation benchmark: our ranker vs ASReview elas_u4 vs random on every labelled dataset.

Usage (the same options as `screening benchmark`, which this script runs):
    python evaluation/benchmark.py [--datasets DIR] [--seeds 5] [--ranker default] [--quick]
                                   [--no-peer-run] [--budget-minutes 55] [--resume]

Writes evaluation/results/simulation_*.{csv,md,png} (quick mode: a temporary folder) and prints the ratio
of our mean loss to ASReview's and the wall time. ASReview orders come from
evaluation/results/asreview_orders (see evaluation/peer_asreview.py); missing ones are run, except in
--quick mode, which never needs ASReview. The default ranker is the toolkit's `auto` encoder rule: MiniLM
sentence embeddings on datasets of up to 2,000 records, static embeddings above. MiniLM embeds 5-20
records/s here; its vectors are cached (`$SCREENING_CACHE_DIR`), so only the first run pays for them.
"""

from __future__ import annotations

import sys

from screening.cli import app


def main() -> None:
    app(["benchmark", *sys.argv[1:]], prog_name="evaluation/benchmark.py")


if __name__ == "__main__":
    main()
