"""`screening remove-reviewer DIR NAME`: audited, never the last lead, decisions kept only with --force."""

from __future__ import annotations

import json

from sqlalchemy import select
from typer.testing import CliRunner

from screening.cli import app
from screening.decisions.reviewers import list_reviewers
from screening.decisions.sign_in import sign_in
from screening.decisions.status import project_status
from screening.store.project import Project
from screening.store.schema import Assignment, AuditEntry
from tests.app_helpers import PASSWORD, decide, make_project, records

runner = CliRunner()


def _run(*args: object):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


def _names(project: Project) -> list[str]:
    with project.session() as session:
        return [r.name for r in list_reviewers(session)]


def test_remove_reviewer_refuses_the_last_lead_and_a_reviewer_with_decisions_unless_forced(tmp_path):
    project = make_project(tmp_path / "p", {"lead": "lead", "ann": "reviewer", "bob": "reviewer"})
    first = int(records(project)["id"].min())
    decide(project, "ann", first, "include")
    with project.session() as session:
        session.add(Assignment(record_id=first, reviewer_id=2, stage="title_abstract"))

    last_lead = _run("remove-reviewer", project.path, "lead")
    assert last_lead.exit_code == 2 and "'lead' is the only lead" in last_lead.output
    decided = _run("remove-reviewer", project.path, "ANN")  # names are identities up to case
    assert decided.exit_code == 2 and "'ann' has 1 decision rows; --force" in decided.output
    assert _names(project) == ["ann", "bob", "lead"]

    plain = _run("remove-reviewer", project.path, "bob")
    assert plain.exit_code == 0 and plain.output.strip() == "removed bob"
    forced = _run("remove-reviewer", project.path, "ann", "--force", "--actor", "lead")
    assert forced.exit_code == 0 and "their 1 decision rows are kept and still count" in forced.output
    assert _names(project) == ["lead"]
    assert project_status(project)["stages"]["title_abstract"]["by_reviewer"] == {"ann": 1}  # still counts
    assert not sign_in(project, "ann", PASSWORD, None).signed_in
    with project.session() as session:
        assert session.scalars(select(Assignment)).all() == []
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "remove_reviewer")).all()
    assert [(r.actor, json.loads(r.new)["decisions_kept"]) for r in rows] == [("cli", 0), ("lead", 1)]
    again = _run("remove-reviewer", project.path, "ann")
    assert again.exit_code == 2 and "no reviewer named 'ann'" in again.output
