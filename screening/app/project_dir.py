"""Where the app finds its project: `streamlit run app.py -- --project DIR` or $SCREENING_PROJECT."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path

ENV_VAR = "SCREENING_PROJECT"


def resolve_project_dir(argv: Sequence[str], environ: Mapping[str, str]) -> Path | None:
    """The project folder named on the command line, else in the environment; None when neither names one.

    Unknown arguments are ignored so the same entry point also runs under test runners.
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--project")
    args, _ = parser.parse_known_args(list(argv))
    value = args.project or environ.get(ENV_VAR)
    return Path(value) if value else None
