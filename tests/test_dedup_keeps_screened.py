"""A record that already has decisions stays the kept one when a fuller copy is imported later."""

from __future__ import annotations

from screening.decisions.queries import current_decisions
from screening.decisions.record import record_decision
from screening.dedup.service import run_dedup
from screening.store.schema import ImportBatch, Record
from tests.store_helpers import TITLES, make_project


def test_screened_record_stays_kept(tmp_path):
    project = make_project(tmp_path)
    with project.session() as session:
        session.get(Record, 1).authors = "Barg AA; Kenet G"
        record_decision(session, reviewer="alice", record_id=1, decision="include")
        batch = ImportBatch(file_name="later.ris", sha256="1" * 64, format="ris", n_records=1)
        session.add(batch)
        session.flush()
        session.add(Record(import_id=batch.id, source_id="L1", source_file="later.ris", source_position=1,
                           title=TITLES[0].upper(), abstract="A much longer abstract " * 20, year=2020,
                           authors="Barg AA; Kenet G", doi="10.1111/bjh.16964"))
    report = run_dedup(project)
    assert report.duplicates_removed == 1
    with project.session() as session:
        later = session.query(Record).filter_by(source_id="L1").one()
        assert later.duplicate_of == 1 and session.get(Record, 1).duplicate_of is None
    assert current_decisions(project)["record_id"].tolist() == [1]
