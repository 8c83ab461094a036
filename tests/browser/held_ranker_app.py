"""app.py with the better encoder's build held back until the file named by $SCREENING_TEST_RELEASE exists,
so a browser test can watch the page while TF-IDF serves and then see the switch (test use only)."""

import os
import sys
import time
from pathlib import Path

from screening.app import ranking
from screening.app.main import run
from screening.app.project_dir import resolve_project_dir

if not getattr(ranking, "_held_for_test", False):
    _build = ranking.build_project_ranker

    def _held_build(project, protocol, encoder, **kwargs):  # type: ignore[no-untyped-def]
        release = Path(os.environ["SCREENING_TEST_RELEASE"])
        while encoder != ranking.FAST_ENCODER and not release.exists():
            time.sleep(0.2)
        return _build(project, protocol, encoder, **kwargs)

    ranking.build_project_ranker = _held_build
    ranking._held_for_test = True

run(resolve_project_dir(sys.argv[1:], os.environ))
