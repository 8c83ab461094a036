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
