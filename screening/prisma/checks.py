"""Do the flow's boxes add up? Each identity PRISMA 2020 implies is checked; a failure is a problem to
report (the diagram is not drawn from counts that do not add up), an explained gap is a note."""

from __future__ import annotations

from dataclasses import dataclass, field

from screening.prisma.counts import Column, PrismaFlow


@dataclass
class FlowChecks:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.problems


def _column_checks(name: str, column: Column, checks: FlowChecks) -> None:
    waiting = len(column.sought) - len(column.assessed) - len(column.not_retrieved)
    if waiting:
        checks.problems.append(f"{name}: reports sought ({len(column.sought)}) != assessed "
                               f"({len(column.assessed)}) + not retrieved ({len(column.not_retrieved)}): "
                               f"{waiting} report(s) still await retrieval or a full-text decision")
    if len(column.assessed) != column.n_excluded + len(column.included):
        checks.problems.append(f"{name}: reports assessed ({len(column.assessed)}) != excluded "
                               f"({column.n_excluded}) + included ({len(column.included)})")


def check_flow(flow: PrismaFlow) -> FlowChecks:
    checks = FlowChecks()
    fields = flow.fields()
    identified = int(fields["database_results"]) + int(fields["register_results"])
    removed = int(fields["duplicates"]) + int(fields["excluded_automatic"]) + int(fields["excluded_other"])
    if fields["records_screened"] != identified - removed:
        waiting = identified - removed - int(fields["records_screened"])
        checks.problems.append(f"records screened ({fields['records_screened']}) != identified ({identified}) - "
                               f"removed ({removed}): {waiting} record(s) still await a title/abstract outcome "
                               "(more decisions or a consensus)")
    if fields["records_screened"] != int(fields["records_excluded"]) + int(fields["dbr_sought_reports"]):
        checks.problems.append(f"records screened ({fields['records_screened']}) != excluded "
                               f"({fields['records_excluded']}) + reports sought ({fields['dbr_sought_reports']})")
    _column_checks("databases and registers", flow.dbr, checks)
    _column_checks("other methods", flow.other, checks)
    awaiting_other = len(flow.kept_other) - len(flow.other.sought) - len(flow.other_screen_excluded)
    if awaiting_other:
        checks.problems.append(f"other methods: {awaiting_other} record(s) still await a title/abstract outcome")
    if flow.unappraised:
        checks.problems.append(f"{flow.unappraised} study(ies) included at full text are not fully appraised yet "
                               "(scores missing or a consensus needed): the quality exclusions are not final")
    checks.problems += flow.reason_conflicts
    if flow.other_already_found:
        checks.notes.append(f"{flow.other_already_found} record(s) from other methods were duplicates of records "
                            "already identified; they are counted under identification only")
    if flow.other_screen_excluded:
        checks.notes.append(f"{len(flow.other_screen_excluded)} record(s) from other methods were excluded at "
                            "title/abstract; PRISMA 2020 has no box for them in the other-methods column")
    return checks
