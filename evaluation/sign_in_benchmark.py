"""Sign-in benchmark: can timing tell known from unknown names, and what does the backoff leave an attacker?

With the production scrypt parameters (the test-only override is removed), on a fresh project:
1. scrypt cost per hash at the old (N=2^14) and the current parameters;
2. the time of a checked sign-in (`decisions.sign_in.sign_in`, database included) for a known name with a
   wrong password, an unknown name, and a known name without a password, interleaved in random order;
   each attempt is dated two days after the last so that the backoff never refuses it. AUC is the chance
   that a random known-name time exceeds a random unknown-name time (0.5: timing tells nothing). The same
   again with N=2^10, where scrypt takes milliseconds and any other difference between the paths (database,
   audit) would stand out;
3. the attack the probe ran on main (wrong passwords for one name as fast as possible, then the right
   one), in real time for --attack-seconds; and the backoff's schedule: how long 100 checked guesses take.

    .venv/bin/python evaluation/sign_in_benchmark.py [--rounds 20] [--attack-seconds 20] [--seed 0]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from random import Random

from screening.decisions import passwords
from screening.decisions.reviewers import add_reviewer
from screening.decisions.sign_in import CLIENT_BACKOFF, NAME_BACKOFF, sign_in
from screening.store.project import Project
from screening.store.schema import utcnow

RESULTS = Path(__file__).parent / "results" / "sign_in_benchmark.json"
PASSWORD = "lantern orbit pebble"


def _scrypt_ms(n: int, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        hashlib.scrypt(b"benchmark password", salt=b"0" * 16, n=n, r=8, p=1, maxmem=2**28)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _auc(higher: list[float], lower: list[float]) -> list[float]:
    """AUC with its 95 % interval (Hanley & McNeil 1982 standard error)."""
    wins = sum((h > x) + 0.5 * (h == x) for h in higher for x in lower)
    auc, m, n = wins / (len(higher) * len(lower)), len(higher), len(lower)
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    se = ((auc * (1 - auc) + (m - 1) * (q1 - auc**2) + (n - 1) * (q2 - auc**2)) / (m * n)) ** 0.5
    return [round(auc, 3), round(auc - 1.96 * se, 3), round(auc + 1.96 * se, 3)]


def _summary(times: list[float]) -> dict[str, float]:
    deciles = statistics.quantiles(times, n=10)
    return {"median_ms": round(statistics.median(times), 1), "p10_ms": round(deciles[0], 1),
            "p90_ms": round(deciles[-1], 1)}


def timing(project: Project, rounds: int, rng: Random) -> dict[str, object]:
    kinds = {"known name, wrong password": "lead", "unknown name": "nobody", "known name, no password": "bo"}
    order = [kind for kind in kinds for _ in range(rounds)]
    rng.shuffle(order)
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    day = utcnow()
    for kind in order:
        day += timedelta(days=2)  # older failures are forgotten: every attempt is checked
        start = time.perf_counter()
        result = sign_in(project, kinds[kind], "wrong password", "198.51.100.1", now=day)
        times[kind].append((time.perf_counter() - start) * 1000)
        assert not result.throttled and not result.signed_in
    known, unknown = times["known name, wrong password"], times["unknown name"]
    return {**{kind: _summary(values) for kind, values in times.items()},
            "auc_known_vs_unknown_with_95ci": _auc(known, unknown),
            "auc_known_vs_no_password_with_95ci": _auc(known, times["known name, no password"])}


def attack(project: Project, seconds: float) -> dict[str, object]:
    """Wrong passwords for 'lead' as fast as the library answers, then the right one."""
    start, submitted, checked = time.perf_counter(), 0, 0
    while time.perf_counter() - start < seconds:
        result = sign_in(project, "lead", f"guess {submitted}", "203.0.113.7")
        submitted += 1
        checked += not result.throttled
    right = sign_in(project, "lead", PASSWORD, "203.0.113.7")
    elapsed = time.perf_counter() - start
    return {"seconds": round(elapsed, 1), "submitted": submitted, "per_second": round(submitted / elapsed),
            "checked": checked, "right_password_then": "refused (wait)" if right.throttled else
            ("accepted" if right.signed_in else "wrong")}


def schedule() -> dict[str, float]:
    """Hours until a name, or a client spraying many names, has had 100 guesses checked."""
    return {"hours_for_100_guesses_at_one_name": round(sum(NAME_BACKOFF.delay(k) for k in range(100)) / 3600, 1),
            "hours_for_100_guesses_from_one_client": round(sum(CLIENT_BACKOFF.delay(k) for k in range(100)) / 3600,
                                                           1)}


def _project(folder: Path) -> Project:
    project = Project.init(folder)
    with project.session() as session:
        add_reviewer(session, "lead", role="lead", password=PASSWORD)
        add_reviewer(session, "bo")
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--fast-rounds", type=int, default=300, help="rounds at N=2^10")
    parser.add_argument("--attack-seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    os.environ.pop(passwords.INSECURE_TEST_N_VARIABLE, None)
    params = passwords.current_params()
    results: dict[str, object] = {
        "command": " ".join(["evaluation/sign_in_benchmark.py", *sys.argv[1:]]),
        "load_average_at_start": [round(load, 1) for load in os.getloadavg()],
        "params": {"n": params.n, "r": params.r, "p": params.p, "memory_mib": params.memory // 2**20},
        "scrypt_ms": {"N=2^14": round(_scrypt_ms(2**14, 5), 1), "N=2^17": round(_scrypt_ms(2**17, 5), 1)},
    }
    with tempfile.TemporaryDirectory() as folder:
        results["checked_sign_in"] = timing(_project(Path(folder) / "timing"), args.rounds, Random(args.seed))
        results["attack"] = attack(_project(Path(folder) / "attack"), args.attack_seconds)
        os.environ[passwords.INSECURE_TEST_N_VARIABLE] = str(2**10)
        results["checked_sign_in_at_n_2^10"] = timing(_project(Path(folder) / "fast"), args.fast_rounds,
                                                      Random(args.seed))
    results["backoff_schedule"] = schedule()
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
