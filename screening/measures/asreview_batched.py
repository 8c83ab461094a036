"""Run ``asreview simulate`` with query batches that grow with the number of labels (ASReview venv only).

Why: with one record per query ASReview refits its model after every label, which on large datasets
costs hours on a small machine. Our simulation retrains when the labels have grown by
``max(1, floor(growth * labels))`` (see ``screening.measures.simulate``); giving ASReview the very same
schedule (its ``n_query`` accepts a callable of the results so far) keeps the comparison fair and
affordable. Everything else is ASReview's own command line (same options, same prior sampling).

Executed by the ASReview venv's python, never imported by the toolkit:
    python asreview_batched.py GROWTH <asreview simulate arguments...>
"""

from __future__ import annotations

import math
import sys


def main(argv: list[str]) -> None:
    growth = float(argv[0])
    from asreview.learner import ActiveLearningCycle
    from asreview.simulation import cli

    original = ActiveLearningCycle.from_meta.__func__

    def from_meta(cls, cycle_meta_data, skip_feature_extraction=False):  # type: ignore[no-untyped-def]
        cycle = original(cls, cycle_meta_data, skip_feature_extraction)
        cycle.n_query = lambda results: max(1, math.floor(growth * len(results)))
        return cycle

    ActiveLearningCycle.from_meta = classmethod(from_meta)  # type: ignore[method-assign,assignment]
    cli._cli_simulate(argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
