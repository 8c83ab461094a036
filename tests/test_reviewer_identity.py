"""Reviewer names are identities up to case, width and spacing; old projects open and get keys."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from screening.decisions.queries import record_status
from screening.decisions.record import record_decision
from screening.decisions.reviewers import (
    ReviewerError,
    add_reviewer,
    authenticate,
    ensure_reviewer,
    find_reviewer,
)
from screening.store.identity import reviewer_key
from screening.store.project import Project
from screening.store.schema import AuditEntry, Reviewer
from screening.store.settings import set_setting
from tests.conftest import FIXTURES, REPO
from tests.reviewer_adder import start_adders
from tests.store_helpers import make_project

OLD_DATABASE = FIXTURES / "store" / "before_reviewer_keys.sqlite.gz"


@pytest.mark.parametrize("spelling", ["ann", "ANN", "  Ann ", "Ａｎｎ", "ａｎｎ"])
def test_case_width_and_spacing_name_one_reviewer(tmp_path, spelling):
    project = make_project(tmp_path, reviewers={"Ann": "reviewer"})
    with project.session() as session:
        ann = find_reviewer(session, "Ann")
        assert ensure_reviewer(session, spelling).id == ann.id
        with pytest.raises(ReviewerError, match="reviewer '.*' already exists( as 'Ann')?$"):
            add_reviewer(session, spelling)
        assert session.scalar(select(func.count(Reviewer.id))) == 1
        assert ann.name == "Ann" and ann.name_key == "ann"  # shown as first added


def test_keys_fold_unicode_compatibility_forms():
    assert reviewer_key("Straße") == reviewer_key("STRASSE") == "strasse"
    assert reviewer_key("ﬁona") == reviewer_key("Fiona")  # the fi ligature
    assert reviewer_key("Mary\u00a0 Ann") == reviewer_key(" mary   ann") == "mary ann"


def test_one_person_cannot_satisfy_dual_screening_under_two_spellings(tmp_path):
    project = make_project(tmp_path, reviewers={"Ann": "reviewer"})
    with project.session() as session:
        set_setting(session, "required_reviewers", "2", actor="lead")
    with project.session() as session:
        record_decision(session, reviewer="Ann", record_id=1, decision="include")
        record_decision(session, reviewer=ensure_reviewer(session, "ann").name, record_id=1, decision="include")
        record_decision(session, reviewer="ANN", record_id=2, decision="exclude")
    status = record_status(project).set_index("record_id")
    assert status.loc[1, "n_decisions"] == 1 and status.loc[1, "status"] == "in_progress"
    assert status.loc[2, "n_decisions"] == 1


def test_sign_in_name_is_case_insensitive(tmp_path):
    project = make_project(tmp_path, reviewers={})
    with project.session() as session:
        add_reviewer(session, "Ann", role="lead", password="a long password")  # a lead: the first password
        assert authenticate(session, "aNN ", "a long password").name == "Ann"


def test_too_long_name_is_refused_before_writing(tmp_path):
    project = make_project(tmp_path, reviewers={})
    with project.session() as session, pytest.raises(ReviewerError, match="longer than 128"):
        ensure_reviewer(session, "x" * 129)


def _old_project_files(tmp_path) -> Path:  # type: ignore[no-untyped-def]
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "project.yaml").write_text("db_url: sqlite:///screening.sqlite\nprotocol: null\n", encoding="utf-8")
    with gzip.open(OLD_DATABASE) as packed, open(folder / "screening.sqlite", "wb") as out:
        shutil.copyfileobj(packed, out)
    return folder


def _old_project(tmp_path) -> Project:  # type: ignore[no-untyped-def]
    return Project.open(_old_project_files(tmp_path))


def test_project_from_before_reviewer_keys_opens_and_gets_keys(tmp_path):
    project = _old_project(tmp_path)
    with project.session() as session:
        keys = dict(session.execute(select(Reviewer.name, Reviewer.name_key)).all())
        assert keys == {"Ann": "ann", "ann": None, "lead": "lead"}
        collision = session.scalars(select(AuditEntry).where(AuditEntry.action == "reviewer_name_collision")).one()
        assert json.loads(collision.old)["name"] == "Ann" and json.loads(collision.new) == {"name": "ann"}
        # The later "ann" keeps its decisions and its exact name; every other spelling means "Ann".
        assert find_reviewer(session, "ann").name == "ann"
        assert find_reviewer(session, "ANN").name == "Ann"
        assert ensure_reviewer(session, "aNN").name == "Ann"
        assert session.scalar(select(func.count(Reviewer.id))) == 3
        add_reviewer(session, "Bob")
    assert len(record_status(project)) == 1
    project.close()
    reopened = Project.open(project.path)  # the upgrade runs once
    with reopened.session() as session:
        assert session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "reviewer_name_collision")) == 1
        assert find_reviewer(session, "BOB").name == "Bob"


def test_four_processes_adding_the_same_reviewers_create_each_once(tmp_path):
    project = make_project(tmp_path, reviewers={})
    adders = start_adders(str(project.path), tmp_path / "barrier", n_processes=4, n=30)
    errors = [adder.communicate(timeout=300)[1] for adder in adders]
    assert [adder.returncode for adder in adders] == [0, 0, 0, 0], errors
    with project.session() as session:
        names = session.scalars(select(Reviewer.name_key).where(Reviewer.name_key.like("reviewer %"))).all()
        assert sorted(names) == sorted(f"reviewer {i}" for i in range(30))
        added = session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.actor.like("process %")))
        assert added == 30


def test_four_processes_opening_an_old_project_at_once_upgrade_it_once(tmp_path):
    project = _old_project_files(tmp_path)
    opener = "import sys; from screening.store.project import Project; Project.open(sys.argv[1]).close()"
    openers = [subprocess.Popen([sys.executable, "-c", opener, str(project)], cwd=REPO, stderr=subprocess.PIPE,
                                text=True) for _ in range(4)]
    errors = [p.communicate(timeout=300)[1] for p in openers]
    assert [p.returncode for p in openers] == [0, 0, 0, 0], errors
    with Project.open(project).session() as session:
        assert session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "reviewer_name_collision")) == 1
