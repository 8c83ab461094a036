"""A separate process that tries one sign-in at a given wall-clock time, as another app server would.

Run as `python -m tests.sign_in_racer PROJECT_DIR NAME PASSWORD START_AT` by the concurrency tests; prints
`checked` or `throttled`. Several start together, so their attempts really race.
"""

from __future__ import annotations

import sys
import time


def race(project_dir: str, name: str, password: str, start_at: float) -> str:
    from screening.decisions.sign_in import sign_in
    from screening.store.project import Project

    project = Project.open(project_dir)
    time.sleep(max(start_at - time.time(), 0.0))
    result = sign_in(project, name, password, client=None)
    project.close()
    return "throttled" if result.throttled else "checked"


def start_racers(project_dir: str, name: str, password: str, n: int, delay: float = 4.0) -> list:
    """Start `n` racers that all try at `delay` seconds from now; returns the Popen objects.

    They hash with N=2^14 (about 0.1 s), so that a check made while another racer's scrypt runs would let
    a second attempt through if checking and recording were not one serialised step."""
    import os
    import subprocess

    from screening.decisions.passwords import INSECURE_TEST_N_VARIABLE
    from tests.conftest import REPO

    start_at = str(time.time() + delay)
    env = {**os.environ, INSECURE_TEST_N_VARIABLE: str(2**14)}
    return [subprocess.Popen([sys.executable, "-m", "tests.sign_in_racer", project_dir, name, password, start_at],
                             cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(n)]


if __name__ == "__main__":
    print(race(sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])))
