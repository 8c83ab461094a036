"""rank_project and `screening rank` on a real project database (records, decisions, consensus)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import update
from typer.testing import CliRunner

from screening.cli import app
from screening.decisions.record import record_consensus, record_decision
from screening.decisions.reviewers import add_reviewer
from screening.rank.api import rank_project
from screening.rank.project_data import load_records_and_labels
from screening.store.project import Project
from screening.store.schema import ImportBatch, Record
from tests.rank_helpers import RANK_FIXTURES, load_sample


def _project(tmp_path: Path, name: str = "Sep_2021") -> tuple[Project, pd.DataFrame]:
    records, _ = load_sample(name)
    project = Project.init(tmp_path / "project", protocol=RANK_FIXTURES / f"{name}.criteria.md")
    with project.session() as session:
        batch = ImportBatch(file_name="sample.csv", sha256="1" * 64, format="csv", n_records=len(records))
        session.add(batch)
        session.flush()
        for i, row in enumerate(records.itertuples()):
            session.add(Record(import_id=batch.id, source_id=row.record_id, source_file="sample.csv",
                               source_position=i + 1, title=row.title, abstract=row.abstract or None))
        for reviewer, role in (("alice", "reviewer"), ("bob", "reviewer"), ("lead", "lead")):
            add_reviewer(session, reviewer, role=role)
    return project, records


def test_rank_project_uses_decisions_consensus_and_skips_duplicates(tmp_path: Path) -> None:
    project, records = _project(tmp_path)
    labels = records["label_included"].to_numpy()
    includes = [int(i) + 1 for i in np.flatnonzero(labels == 1)]  # DB ids are positions + 1
    excludes = [int(i) + 1 for i in np.flatnonzero(labels == 0)]
    with project.session() as session:
        for rid in includes[:3]:
            record_decision(session, reviewer="alice", record_id=rid, decision="include")
        for rid in excludes[:10]:
            record_decision(session, reviewer="alice", record_id=rid, decision="exclude")
        record_decision(session, reviewer="alice", record_id=includes[3], decision="exclude")  # changed mind:
        record_decision(session, reviewer="alice", record_id=includes[3], decision="include")  # newest counts
        record_decision(session, reviewer="alice", record_id=includes[4], decision="maybe")  # not a label
        record_decision(session, reviewer="alice", record_id=excludes[10], decision="include")  # conflict...
        record_decision(session, reviewer="bob", record_id=excludes[10], decision="exclude")
        record_consensus(session, record_id=excludes[10], stage="title_abstract", decision="exclude",
                         recorded_by="lead")  # ...resolved by consensus
        session.execute(update(Record).where(Record.id == excludes[11]).values(duplicate_of=excludes[12]))

    frame, position_labels = load_records_and_labels(project)
    by_id = {int(frame["record_id"][p]): y for p, y in position_labels.items()}
    assert by_id == {**{r: 1 for r in includes[:4]}, **{r: 0 for r in excludes[:11]}}

    ranking = rank_project(project, encoder="tfidf")
    assert list(ranking.columns) == ["record_id", "source_id", "rank", "score", "eligibility"]
    assert len(ranking) == len(records) - 1 and excludes[11] not in set(ranking["record_id"])
    assert ranking["rank"].tolist() == list(range(1, len(ranking) + 1))
    assert ranking["score"].is_monotonic_decreasing
    unlabelled = ranking[~ranking["record_id"].isin(list(by_id))]
    top = unlabelled.head(len(unlabelled) // 5)
    truth = dict(zip(np.arange(1, len(labels) + 1), labels, strict=True))
    found = sum(truth[r] for r in top["record_id"])
    total = sum(truth[r] for r in unlabelled["record_id"])
    assert found / total > 0.3  # random: 0.2
    project.close()


def test_cli_writes_the_ranking_csv(tmp_path: Path) -> None:
    project, records = _project(tmp_path, "Smid_2020")
    project.close()
    out = tmp_path / "ranking.csv"
    result = CliRunner().invoke(app, ["rank", str(tmp_path / "project"), "--encoder", "tfidf", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out, dtype={"source_id": str})
    assert list(written.columns) == ["source_id", "rank", "score", "eligibility"]
    assert sorted(written["source_id"]) == sorted(records["record_id"])
    included = set(records.loc[records["label_included"] == 1, "record_id"])
    assert written.head(20)["source_id"].isin(included).sum() >= 8  # 20 % of records, 20 % includes


def test_cli_unknown_encoder_is_a_clear_error(tmp_path: Path) -> None:
    project, _ = _project(tmp_path, "Donners_2021")
    project.close()
    result = CliRunner().invoke(app, ["rank", str(tmp_path / "project"), "--encoder", "bert"])
    assert result.exit_code == 2
    assert "unknown encoder 'bert'" in result.output
