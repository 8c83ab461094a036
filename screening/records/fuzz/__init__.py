"""Fuzzing the importers: mutated copies of real exports and crafted bombs, each imported in a guarded worker.

Shared by the bounded fuzz test in the suite (`tests/test_records_fuzz.py`) and the longer run whose figures
the README reports (`evaluation/fuzz_imports.py`), so both check exactly the same promise: every file is either
imported cleanly or refused with a message that names it, and nothing of a refused file is written.
"""
