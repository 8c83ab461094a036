"""Time a cold `make run`: the bundled demo project, built afresh with empty record caches, served by a real
`streamlit run app.py` and opened in Chromium. Prints and stores the seconds to the first record shown and
to the first record ranked by the better encoder (the one `auto` picks: MiniLM for the demo's size).

Why: a reviewer's first minutes decide whether they trust the tool (issue 13 item 4). The models themselves
(static distillation, MiniLM's ONNX build) are made by `make setup`, so they are not part of a page load:
this script runs `screening build-models` first, as `make run` does, and keeps its model folder while the
record caches start empty.

    python evaluation/app_cold_start.py
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from screening.app.launch import CHROMIUM, CHROMIUM_ARGS, serve_app
from screening.rank.model_paths import MODEL_CACHE_ENV, model_cache_dir

ROOT = Path(__file__).resolve().parents[1]

RESULTS = ROOT / "evaluation" / "results" / "app_cold_start.json"
RANKED_BY = re.compile(r"Ranked by (\w+)")


def build_demo(folder: Path) -> None:
    """The models (`make setup`: verified, built only if missing) and the demo project exactly as the
    Makefile's `demo` target builds it."""
    cli = [str(Path(sys.executable).parent / "screening")]  # the console script installed beside this Python
    for args in (["build-models"], ["init", str(folder), "--protocol", "data/protocols/donners_2021.yaml"],
                 ["import", str(folder), "data/demo/donners_2021.csv"], ["dedup", str(folder)],
                 ["add-reviewer", str(folder), "demo", "--role", "lead"]):
        subprocess.run([*cli, *args], cwd=ROOT, check=True, capture_output=True)


def cold_run(timeout: float) -> dict:
    """One cold start: a fresh demo project and empty record caches, timed from `streamlit run`."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "demo_project"
        build_demo(project)
        # Empty record caches (embeddings, sentence splits, TF-IDF fits); the models `make setup` built stay.
        env = {"SCREENING_APP_ENCODER": "auto", "SCREENING_CACHE_DIR": str(Path(tmp) / "cache"),
               MODEL_CACHE_ENV: str(model_cache_dir())}
        load_before = os.getloadavg()[0]
        started = time.perf_counter()
        with serve_app(ROOT / "app.py", project, Path(tmp) / "streamlit.log", env) as url, sync_playwright() as pw:
            server_up = time.perf_counter() - started
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url)
            page.get_by_text(re.compile(r"· record\s")).first.wait_for(timeout=timeout * 1000)
            first_record = time.perf_counter() - started
            encoders: dict[str, float] = {}
            deadline = time.perf_counter() + timeout
            while time.perf_counter() < deadline:  # the page refreshes itself when a better ranking arrives
                caption = page.get_by_text(RANKED_BY).first
                if caption.count():
                    name = RANKED_BY.search(caption.inner_text()).group(1)
                    encoders.setdefault(name, time.perf_counter() - started)
                    if name != "tfidf" and "ready in" not in page.inner_text("body"):
                        break
                time.sleep(0.5)
            browser.close()
    return {"server_up_s": round(server_up, 1), "first_record_s": round(first_record, 1),
            "first_ranked_by_s": {name: round(s, 1) for name, s in encoders.items()},
            "load_average_before": round(load_before, 1), "load_average_after": round(os.getloadavg()[0], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the better ranking")
    parser.add_argument("--runs", type=int, default=3, help="cold starts, one after the other")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    runs = []
    for _ in range(args.runs):
        runs.append(cold_run(args.timeout))
        print(json.dumps(runs[-1]), flush=True)
    args.out.write_text(json.dumps({"cores": os.cpu_count(), "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
