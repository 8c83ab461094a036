"""`screening rank --out`: neutralised like every spreadsheet, and a bad path is a clear error, not a traceback."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from screening.cli import app
from screening.records.service import import_file
from tests.app_helpers import make_project

runner = CliRunner()
HOSTILE_ID = '=HYPERLINK("http://evil.example","x")'


def test_rank_out_neutralises_cells(tmp_path):
    project = make_project(tmp_path / "p")
    hostile = tmp_path / "hostile.csv"
    pd.DataFrame({"record_id": [HOSTILE_ID], "title": ["Emicizumab pharmacokinetics in children"],
                  "abstract": ["Clearance and half-life of emicizumab."]}).to_csv(hostile, index=False)
    import_file(project, hostile)
    out = tmp_path / "ranking.csv"
    result = runner.invoke(app, ["rank", str(project.path), "--encoder", "tfidf", "--out", str(out)])
    assert result.exit_code == 0, result.output
    ranking = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert len(ranking) == 41 and "'" + HOSTILE_ID in set(ranking["source_id"])
    assert not ranking["source_id"].str.startswith(("=", "+", "-", "@")).any()


@pytest.mark.parametrize("where", ["missing folder", "a folder"])
def test_rank_out_to_a_bad_path_is_a_clear_error(tmp_path, where):
    project = make_project(tmp_path / "p")
    out = tmp_path / "no_such_folder" / "ranking.csv" if where == "missing folder" else tmp_path
    result = runner.invoke(app, ["rank", str(project.path), "--encoder", "tfidf", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert ("does not exist" if where == "missing folder" else "is a folder") in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not (tmp_path / "no_such_folder").exists()
