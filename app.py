"""Streamlit entry point: `streamlit run app.py -- --project DIR` (or set SCREENING_PROJECT)."""

import os
import sys

from screening.app.main import run
from screening.app.project_dir import resolve_project_dir

run(resolve_project_dir(sys.argv[1:], os.environ))
