"""The app's ranker registry: TF-IDF serves at once, the better encoder takes over with every decision."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from screening.app.ranking import ranked_pending, ranking_errors
from screening.store.schema import Record
from tests.app_helpers import decide, make_project
from tests.rank_helpers import static_models  # noqa: F401

pytestmark = pytest.mark.usefixtures("fresh_streamlit_caches")


def test_fast_ranking_serves_first_and_the_better_encoder_takes_over_with_the_decisions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, static_models: Path  # noqa: F811
) -> None:
    monkeypatch.setenv("SCREENING_APP_ENCODER", "static")
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(tmp_path / "cache"))
    project = make_project(tmp_path / "project", {"ann": "reviewer"}, passwords=False)
    with project.session() as session:
        ids = sorted(session.scalars(select(Record.id)))

    order, result = ranked_pending(project, "title_abstract", ids)  # never waits for a model
    assert sorted(order) == ids and result.encoder in ("import order", "tfidf", "static")

    decide(project, "ann", ids[0], "include")
    decide(project, "ann", ids[1], "exclude")
    deadline = time.monotonic() + 600
    while result.encoder != "static" and time.monotonic() < deadline:
        time.sleep(0.5)
        order, result = ranked_pending(project, "title_abstract", ids[2:])
    assert ranking_errors(project) == []
    assert result.encoder == "static"
    assert result.n_labels == 2  # decisions made while it was being built are trained on
    assert sorted(order) == ids[2:]  # decided records leave the queue; every other one is in it


def test_screen_says_which_ranking_serves_and_when_the_better_one_is_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, static_models: Path  # noqa: F811
) -> None:
    """While the better encoder is built the page says so with an estimate; once built it ranks the queue."""
    import threading

    from streamlit.testing.v1 import AppTest

    from screening.app import ranking
    from tests.app_helpers import APP

    release = threading.Event()
    build = ranking.build_project_ranker

    def slow_build(project, protocol, encoder, **kwargs):  # type: ignore[no-untyped-def]
        if encoder != ranking.FAST_ENCODER:
            release.wait(120)
        return build(project, protocol, encoder, **kwargs)

    monkeypatch.setattr(ranking, "build_project_ranker", slow_build)
    monkeypatch.setenv("SCREENING_CACHE_DIR", str(tmp_path / "cache"))
    project = make_project(tmp_path / "project", {"ann": "reviewer"}, passwords=False)
    monkeypatch.setenv("SCREENING_PROJECT", str(project.path))
    monkeypatch.setenv("SCREENING_APP_ENCODER", "static")
    at = AppTest.from_file(str(APP), default_timeout=180).run()

    def captions() -> str:
        return " | ".join(c.value for c in at.caption)

    deadline = time.monotonic() + 120
    while "Ranked by **tfidf**" not in captions() and time.monotonic() < deadline:
        time.sleep(0.25)
        at.run()
    assert "Ranked by **tfidf**" in captions()
    assert "Static ranking ready in under a minute (the queue re-orders itself then)" in captions()
    assert "Protocol ranking weighs 100% of the order (no include and exclude labelled yet" in captions()
    release.set()
    deadline = time.monotonic() + 300
    while "Ranked by **static**" not in captions() and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    assert "Ranked by **static**" in captions() and "ready in" not in captions()
    assert ranking.current_encoder(project) == "static" and not ranking.better_ranking_pending(project)


def test_build_models_distils_the_static_model_at_set_up(static_models: Path, monkeypatch) -> None:  # noqa: F811
    from typer.testing import CliRunner

    from screening.cli import app

    result = CliRunner().invoke(app, ["build-models"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("static: "))
    folder = Path(line.split(" at ", 1)[1])
    assert folder.parent == static_models and (folder / "model.safetensors").exists()


def test_the_screen_says_why_the_protocol_prior_weighs_what_it_does() -> None:
    from screening.app.ranking import prior_note
    from screening.rank.learner import PriorWeight

    assert "100%" in prior_note(PriorWeight(1.0, 0, 3, None, None))
    counted = prior_note(PriorWeight(0.2, 2, 10, None, None))
    assert "weighs 20% of the order" in counted and "2 includes so far" in counted
    agreed = prior_note(PriorWeight(0.35, 1, 9, 0.62, 0.74))
    assert "AUC 0.62" in agreed and "0.74 after shrinkage for 1 include" in agreed
