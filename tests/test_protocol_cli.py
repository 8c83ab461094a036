"""``screening protocol FILE``: validating a protocol and converting published criteria to YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from screening.protocol.commands import register
from screening.protocol.export import protocol_to_yaml
from screening.protocol.load import load_protocol

FIXTURES = Path(__file__).parent / "fixtures" / "protocol"
PROTOCOLS = Path(__file__).resolve().parents[1] / "data" / "protocols"

app = typer.Typer()


@app.callback()
def _group() -> None:
    """Keep ``protocol`` a sub-command, as in the real CLI."""


register(app)
runner = CliRunner()


@pytest.mark.parametrize("path", [PROTOCOLS / "coproduction_integrated_care.yaml", FIXTURES / "Sep_2021.criteria.md",
                                  FIXTURES / "Nagtegaal_2019.criteria.md"])
def test_yaml_export_reads_back_to_the_same_protocol(path: Path, tmp_path: Path) -> None:
    original = load_protocol(path)
    copy = tmp_path / "copy.yaml"
    copy.write_text(protocol_to_yaml(original), encoding="utf-8")
    assert load_protocol(copy) == original


def test_protocol_command_summarises_a_valid_file() -> None:
    result = runner.invoke(app, ["protocol", str(PROTOCOLS / "donners_2021.yaml")])
    assert result.exit_code == 0, result.output
    assert "valid protocol" in result.output
    assert "concept emicizumab (required" in result.output
    assert "  E-NO-PK: " in result.output


def test_protocol_command_converts_markdown_to_yaml(tmp_path: Path) -> None:
    result = runner.invoke(app, ["protocol", str(FIXTURES / "Meijboom_2021.criteria.md"), "--yaml"])
    assert result.exit_code == 0, result.output
    converted = tmp_path / "meijboom.yaml"
    converted.write_text(result.output, encoding="utf-8")
    assert load_protocol(converted) == load_protocol(FIXTURES / "Meijboom_2021.criteria.md")


def test_protocol_command_reports_problems_and_exits_non_zero() -> None:
    result = runner.invoke(app, ["protocol", str(FIXTURES / "invalid_unknown_key.yaml")])
    assert result.exit_code == 2
    assert "concepts[0].synonym: unknown key" in result.output
