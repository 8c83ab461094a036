"""Fuzz test of every importer: seeded mutants of each import fixture plus every crafted bomb, imported into a
real project by a worker with a 2 GB address-space limit and a 60 s limit per file.

Each must end in a clean import (stored values free of NUL and within their columns) or in a refusal that
names the file and writes nothing: no traceback, no hang, no memory blow-up. The longer run behind the README's
figures is `evaluation/fuzz_imports.py` (the same trials, more of them).
"""

from __future__ import annotations

import itertools

from screening.records.fuzz.bombs import BOMBS
from screening.records.fuzz.trials import bomb_trials, mutant_trials, run_trials, seed_files, summarise
from tests.conftest import FIXTURES

MUTANTS_PER_FORMAT = 60
SEED = 12


def test_every_mutant_and_bomb_is_imported_or_refused_by_name():
    seeds = seed_files(FIXTURES / "imports")
    assert sorted(seeds) == ["bibtex", "csv", "medline", "ris", "tsv", "xlsx"]
    outcomes = run_trials(itertools.chain(bomb_trials(), mutant_trials(seeds, MUTANTS_PER_FORMAT, SEED)), timeout=60)
    summary = summarise(outcomes)
    assert summary["failures"] == []
    assert summary["trials"] == len(BOMBS) + 6 * MUTANTS_PER_FORMAT
    for fmt, counts in summary["by_format"].items():  # the mutants exercise both outcomes of every format
        assert counts.get("refused", 0) > 0, fmt
        assert fmt == "bomb" or counts.get("imported", 0) > 0, fmt
