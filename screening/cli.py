"""The `screening` command line: one sub-command per pipeline step, registered by each area."""

from __future__ import annotations

import typer

from screening.advisory import commands as advisory_commands
from screening.appraisal import commands as appraisal_commands
from screening.decisions import commands as decisions_commands
from screening.decisions import commands_team
from screening.dedup import commands as dedup_commands
from screening.embed import commands as embed_commands
from screening.extraction import commands as extraction_commands
from screening.fulltext import commands as fulltext_commands
from screening.measures import commands_agreement, commands_simulation, commands_stopping
from screening.prisma import commands as prisma_commands
from screening.protocol import commands as protocol_commands
from screening.rank import commands as rank_commands
from screening.records import commands as records_commands
from screening.sources import commands as sources_commands
from screening.store import commands as store_commands

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Screen literature for a systematic review (records, dedup, protocol, rank, decisions, measures, "
         "full texts, appraisal, extraction, PRISMA).",
)

for area in (store_commands, records_commands, dedup_commands, protocol_commands, rank_commands, embed_commands,
             decisions_commands, commands_team, commands_simulation, commands_agreement, commands_stopping,
             sources_commands,
             fulltext_commands, advisory_commands, appraisal_commands, extraction_commands, prisma_commands):
    area.register(app)


def main() -> None:
    app()
