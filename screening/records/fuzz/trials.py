"""Run fuzz trials: each file is imported into a real project by a worker process with a memory limit, and
the parent kills the worker when a trial runs past its time limit.

A trial passes when the import either succeeds (every stored value free of NUL and within its column) or is
refused with an ImportFormatError that names the file and leaves every table as it was. Anything else, a
traceback, a hang, a memory blow-up or a refusal that wrote something, is a failure and keeps its detail.
"""

from __future__ import annotations

import multiprocessing
import resource
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from random import Random

from screening.records.fuzz.bombs import BOMBS
from screening.records.fuzz.mutate import mutate, mutate_xlsx

PASSING = ("imported", "already_imported", "refused")
SEED_EXTENSIONS = (".ris", ".csv", ".tsv", ".txt", ".xlsx", ".bib", ".nbib")


@dataclass(frozen=True)
class Trial:
    format: str  # the format of the file the trial was made from ("bomb" for crafted files)
    origin: str  # seed file or bomb name
    name: str  # file name the trial is imported under
    data: bytes


@dataclass(frozen=True)
class Outcome:
    format: str
    origin: str
    name: str
    kind: str  # one of PASSING, else: traceback, hang, memory, died, wrote_on_refusal, unnamed_file, bad_value
    detail: str
    located: bool  # a refusal that names a line or record
    seconds: float
    peak_rss_mb: float
    size: int  # bytes of the file

    @property
    def passed(self) -> bool:
        return self.kind in PASSING


def seed_files(folder: Path) -> dict[str, list[Path]]:
    """The export files in ``folder`` grouped by the format the importers read them as."""
    from screening.records.read import read_records

    seeds: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in SEED_EXTENSIONS:
            seeds.setdefault(read_records(path).format, []).append(path)
    return seeds


def mutant_trials(seeds: dict[str, list[Path]], per_format: int, seed: int) -> Iterator[Trial]:
    """``per_format`` mutants of each format's seed files (round robin); trial i is reproducible alone."""
    for fmt, paths in seeds.items():
        originals = [(path, path.read_bytes()) for path in paths]
        for i in range(per_format):
            path, data = originals[i % len(originals)]
            rng = Random(f"{seed}:{fmt}:{i}")
            mutated = mutate_xlsx(data, rng) if fmt == "xlsx" else mutate(data, rng)
            yield Trial(fmt, path.name, f"m{i}-{path.name}", mutated)


def bomb_trials() -> Iterator[Trial]:
    for bomb in BOMBS:
        name, data = bomb()
        yield Trial("bomb", bomb.__name__, name, data)


def run_trials(trials: Iterable[Trial], timeout: float = 30.0, memory_limit_mb: int = 2048,
               fresh_worker: bool = False) -> list[Outcome]:
    """Run every trial in a worker process; a worker that hangs or dies is replaced and the trial recorded.

    ``fresh_worker`` starts a new worker for every trial, so that each outcome's peak memory is its own.
    """
    context = multiprocessing.get_context("spawn")
    outcomes: list[Outcome] = []
    worker = _Worker(context, memory_limit_mb)
    try:
        for trial in trials:
            if fresh_worker and outcomes:
                worker.restart()
            outcomes.append(worker.run(trial, timeout))
    finally:
        worker.stop()
    return outcomes


def summarise(outcomes: list[Outcome]) -> dict:
    """Counts per format and kind, the share of refusals that name a line or record, and every failure."""
    by_format: dict[str, Counter] = {}
    for outcome in outcomes:
        by_format.setdefault(outcome.format, Counter())[outcome.kind] += 1
    refusals = [o for o in outcomes if o.kind == "refused"]
    whole_file = Counter(_reason(o.detail) for o in refusals if not o.located)
    return {
        "trials": len(outcomes),
        "by_format": {fmt: dict(sorted(counts.items())) for fmt, counts in by_format.items()},
        "refused": len(refusals),
        "refused_with_line_or_record": sum(o.located for o in refusals),
        "refused_whole_file_reasons": dict(whole_file.most_common()),
        "slowest_seconds": round(max((o.seconds for o in outcomes), default=0.0), 2),
        "peak_rss_mb": round(max((o.peak_rss_mb for o in outcomes), default=0.0), 1),
        "failures": [asdict(o) for o in outcomes if not o.passed],
    }


def _reason(message: str) -> str:
    """The kind of a whole-file refusal: its message without the file name and the details in brackets."""
    return message.split(": ", 1)[-1].split(" (", 1)[0][:80]


class _Worker:
    def __init__(self, context, memory_limit_mb: int) -> None:  # type: ignore[no-untyped-def]
        self._context, self._memory_limit_mb = context, memory_limit_mb
        self._start()

    def _start(self) -> None:
        self._conn, child = self._context.Pipe()
        self._process = self._context.Process(target=_serve, args=(child, self._memory_limit_mb), daemon=True)
        self._process.start()
        child.close()

    def run(self, trial: Trial, timeout: float) -> Outcome:
        started = time.perf_counter()
        try:
            self._conn.send(trial)
            if self._conn.poll(timeout):
                return Outcome(**self._conn.recv())
            kind, detail = "hang", f"no answer after {timeout:.0f} s"
        except (EOFError, BrokenPipeError, ConnectionResetError):
            kind, detail = "died", f"worker exited with code {self._process.exitcode}"
        self.restart()
        return Outcome(trial.format, trial.origin, trial.name, kind, detail, False,
                       time.perf_counter() - started, 0.0, len(trial.data))

    def restart(self) -> None:
        self.stop()
        self._start()

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._conn.close()


def _serve(conn, memory_limit_mb: int) -> None:  # type: ignore[no-untyped-def]
    """Worker loop: one project for all trials; every trial checks the tables did not change on refusal."""
    from screening.store.project import Project

    limit = memory_limit_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    with tempfile.TemporaryDirectory() as tmp:
        project = Project.init(Path(tmp) / "project")
        folder = Path(tmp) / "files"
        folder.mkdir()
        while True:
            try:
                trial = conn.recv()
            except EOFError:
                return
            conn.send(asdict(run_trial(project, folder, trial)))


def run_trial(project, folder: Path, trial: Trial) -> Outcome:  # type: ignore[no-untyped-def]
    """Import one trial file and classify what happened (see the module docstring)."""
    from screening.records.errors import ImportFormatError
    from screening.records.service import import_file

    path = folder / trial.name
    path.write_bytes(trial.data)
    before = _table_counts(project)
    started = time.perf_counter()
    located = False
    try:
        summary = import_file(project, path)
    except ImportFormatError as error:
        located = error.line is not None or error.record is not None
        kind, detail = _judge_refusal(project, trial, error, before)
    except MemoryError:
        kind, detail = "memory", "MemoryError"
    except Exception as error:  # noqa: BLE001 - the point of the trial is to catch any escape
        kind, detail = "traceback", _where(error)
    else:
        kind = "already_imported" if summary.already_imported else "imported"
        detail = summary.describe()
        if (problem := _stored_value_problem(project)) is not None:
            kind, detail = "bad_value", problem
    finally:
        path.unlink()
    return Outcome(trial.format, trial.origin, trial.name, kind, detail, located,
                   time.perf_counter() - started, _peak_rss_mb(), len(trial.data))


def _judge_refusal(project, trial: Trial, error, before: tuple[int, ...]) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    message = str(error)
    if _table_counts(project) != before:
        return "wrote_on_refusal", message[:300]
    if error.file != trial.name or not message.startswith(trial.name):
        return "unnamed_file", message[:300]
    return "refused", message[:300]


def _table_counts(project) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from screening.store.schema import AuditEntry, ImportBatch, Record

    with project.engine.connect() as connection:
        return tuple(connection.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (Record, ImportBatch, AuditEntry))


def _stored_value_problem(project) -> str | None:  # type: ignore[no-untyped-def]
    """The newest import's records must fit their columns and hold no NUL (what PostgreSQL would refuse)."""
    from sqlalchemy import String, func, select

    from screening.store.schema import Record

    text_columns = [c for c in Record.__table__.columns if isinstance(c.type, String)]
    with project.engine.connect() as connection:
        newest = connection.execute(select(func.max(Record.import_id))).scalar_one()
        rows = connection.execute(select(*text_columns).where(Record.import_id == newest)).all()
    for row in rows:
        for column, value in zip(text_columns, row, strict=True):
            if value is None:
                continue
            if "\x00" in value:
                return f"stored a NUL in {column.name}"
            if column.type.length is not None and len(value) > column.type.length:
                return f"stored {len(value)} characters in {column.name} (column holds {column.type.length})"
    return None


def _peak_rss_mb() -> float:
    """The worker's own peak resident memory: VmHWM restarts at exec, unlike ru_maxrss, which a spawned
    worker inherits from the parent that forked it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _where(error: BaseException) -> str:
    """Exception type, message and the innermost frame, enough to find the bug without the whole traceback."""
    frames = traceback.extract_tb(error.__traceback__)
    last = frames[-1] if frames else None
    place = f" at {Path(last.filename).name}:{last.lineno} in {last.name}" if last else ""
    return f"{type(error).__name__}: {str(error)[:200]}{place}"
