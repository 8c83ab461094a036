"""Sign-in hardening: backoff per name and client that survives a restart, one scrypt for unknown names,
OWASP scrypt parameters with rehash of older hashes, a password policy, and no way to lock the lead out."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from screening.app.auth import forwarded_client, passwords_in_use
from screening.cli import app
from screening.decisions import passwords
from screening.decisions.password_policy import password_problem
from screening.decisions.reviewers import ReviewerError, add_reviewer, authenticate, set_password
from screening.decisions.sign_in import NAME_BACKOFF, sign_in
from screening.store.project import Project
from screening.store.schema import AuditEntry, Reviewer, SignInAttempt, utcnow
from tests.sign_in_racer import start_racers
from tests.store_helpers import make_project
from tests.test_store_postgres import pg_url  # noqa: F401  (fixture)

LEAD_PASSWORD = "lantern orbit pebble"
ANN_PASSWORD = "violet canyon drum"
runner = CliRunner()


@pytest.fixture
def team(tmp_path) -> Project:
    project = make_project(tmp_path, reviewers={"bo": "reviewer"})  # bo has no password
    with project.session() as session:
        add_reviewer(session, "lead", role="lead", password=LEAD_PASSWORD)
        add_reviewer(session, "ann", password=ANN_PASSWORD)
    return project


@pytest.fixture
def scrypt_calls(monkeypatch) -> list[tuple[int, int, int]]:
    """Every scrypt run by the password module, as (N, r, p)."""
    calls: list[tuple[int, int, int]] = []
    real = hashlib.scrypt

    def counting(password, *, salt, n, r, p, maxmem=0, dklen=64):  # type: ignore[no-untyped-def]
        calls.append((n, r, p))
        return real(password, salt=salt, n=n, r=r, p=p, maxmem=maxmem, dklen=dklen)

    monkeypatch.setattr(passwords.hashlib, "scrypt", counting)
    return calls


def _legacy_hash(password: str, n: int) -> str:
    """A hash as main stored it before: scrypt$N$8$1$salt$digest with hashlib's 64-byte digest."""
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1)
    return f"scrypt${n}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


# Throttling -------------------------------------------------------------------------------------------------

def test_hundred_fast_guesses_are_mostly_refused_and_the_right_password_then_waits(team):
    """The probe's attack: 100 wrong passwords at 23/s, then the right one. Before: all 100 checked, then in."""
    start = utcnow()
    results = [sign_in(team, "lead", f"guess {i}", "203.0.113.7", now=start + timedelta(seconds=i / 23))
               for i in range(100)]
    checked = [r for r in results if not r.throttled]
    # 3 free failures, then waits of 1 s and 2 s fit into the 4.3 s the attack lasts.
    assert len(checked) == 5 and not any(r.signed_in for r in results)
    right = sign_in(team, "lead", LEAD_PASSWORD, "203.0.113.7", now=start + timedelta(seconds=100 / 23))
    assert right.throttled and not right.signed_in and right.retry_after > 0
    with team.session() as session:
        assert session.scalar(select(func.count(SignInAttempt.id))) == 5  # refused attempts are not stored
        assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "sign_in_failed")) == 5


def test_backoff_doubles_per_name_and_a_success_resets_it(team):
    start = utcnow()
    waits = []
    for i in range(6):
        result = sign_in(team, "Lead ", "wrong", f"198.51.100.{i}", now=start)  # typed names are case-folded
        assert not result.throttled
        waits.append(result.retry_after)
        start += timedelta(seconds=result.retry_after)
    assert waits == [0.0, 0.0, 1.0, 2.0, 4.0, 8.0]
    assert sign_in(team, "lead", LEAD_PASSWORD, "198.51.100.9", now=start - timedelta(seconds=1)).throttled
    assert sign_in(team, "lead", LEAD_PASSWORD, "198.51.100.9", now=start).signed_in
    assert sign_in(team, "lead", "wrong", "198.51.100.9", now=start).retry_after == 0.0  # count starts again
    assert NAME_BACKOFF.delay(100) == 900.0  # capped at 15 minutes


def test_unknown_names_back_off_exactly_like_known_ones(team):
    start = utcnow()
    known = [sign_in(team, "lead", "wrong", "198.51.100.1", now=start) for _ in range(4)]
    unknown = [sign_in(team, "nobody", "wrong", "198.51.100.2", now=start) for _ in range(4)]
    assert [(r.retry_after, r.throttled) for r in known] == [(r.retry_after, r.throttled) for r in unknown]


def test_one_client_trying_many_names_is_throttled(team):
    start = utcnow()
    spray = [sign_in(team, f"name{i}", "Password1", "192.0.2.9", now=start) for i in range(12)]
    assert [r.throttled for r in spray] == [False] * 10 + [True] * 2
    # The names themselves were tried once each: the same name from another address is still checked.
    assert sign_in(team, "lead", LEAD_PASSWORD, "192.0.2.10", now=start).signed_in


def test_backoff_survives_a_restart_and_is_audited(team):
    start = utcnow()
    for _ in range(3):
        sign_in(team, "ann", "wrong", None, now=start)
    team.close()
    reopened = Project.open(team.path)  # a new server process would open the project like this
    assert sign_in(reopened, "ann", ANN_PASSWORD, None, now=start + timedelta(seconds=0.5)).throttled
    assert sign_in(reopened, "ann", ANN_PASSWORD, None, now=start + timedelta(seconds=1)).signed_in
    with reopened.session() as session:
        rows = session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.new)
                               .where(AuditEntry.action.like("sign_in%")).order_by(AuditEntry.id)).all()
    assert [r.action for r in rows] == ["sign_in_failed"] * 3 + ["sign_in"]
    assert rows[0].actor == "ann" and '"client": "local"' in rows[0].new


def test_failures_older_than_a_day_are_forgotten(team):
    long_ago = utcnow() - timedelta(days=2)
    for _ in range(8):
        sign_in(team, "ann", "wrong", None, now=long_ago)
    assert sign_in(team, "ann", ANN_PASSWORD, None).signed_in


def test_a_clock_set_back_never_makes_the_wait_longer_than_the_delay(team):
    future = utcnow() + timedelta(hours=5)
    for _ in range(3):
        sign_in(team, "ann", "wrong", None, now=future)
    assert sign_in(team, "ann", ANN_PASSWORD, None).retry_after == 1.0  # 1 s after 3 failures, not 5 h


def _servers_racing_let_one_attempt_through(project: Project) -> None:
    """Four processes (as four app servers) try 'lead' at the same instant while the backoff allows one."""
    long_ago = utcnow() - timedelta(minutes=10)  # 9 failures: the next may come 64 s after the last, long past
    with project.session() as session:
        session.add_all(SignInAttempt(at=long_ago, name_key="lead", client="local", succeeded=False)
                        for _ in range(9))
        session.flush()
        seeded = session.scalar(select(func.max(SignInAttempt.id)))
    racers = start_racers(str(project.path), "lead", "wrong", 4)
    outcomes = [racer.communicate(timeout=120) for racer in racers]
    assert [r.returncode for r in racers] == [0] * 4, [err for _, err in outcomes]
    assert sorted(out.strip() for out, _ in outcomes) == ["checked", "throttled", "throttled", "throttled"]
    with project.session() as session:
        assert session.scalar(select(func.count(SignInAttempt.id)).where(SignInAttempt.id > seeded)) == 1


def test_app_servers_racing_on_one_project_let_one_attempt_through(team):
    _servers_racing_let_one_attempt_through(team)


def _hostile_names_get_the_same_answer(project: Project) -> None:
    now = utcnow()
    for name in ("ann\x00", "a" * 300, "ＡＮＮ", "  ann  "):
        assert not sign_in(project, name, "wrong", "198.51.100.3\x00" + "9" * 100, now=now).signed_in
    assert sign_in(project, " ANN ", "wrong", None, now=now).retry_after == 1.0  # 3 failures on 'ann' before
    with project.session() as session:
        assert sorted(session.scalars(select(SignInAttempt.name_key)).all()) == ["a" * 128, "ann", "ann", "ann"]


def test_hostile_names_and_addresses_are_answered_not_raised(team):
    _hostile_names_get_the_same_answer(team)


@pytest.mark.postgres
def test_sign_in_on_postgres(tmp_path, pg_url):  # noqa: F811
    project = Project.init(tmp_path / "pg", db_url=pg_url)
    with project.session() as session:
        add_reviewer(session, "lead", role="lead", password=LEAD_PASSWORD)
        add_reviewer(session, "ann", password=ANN_PASSWORD)
    _hostile_names_get_the_same_answer(project)
    assert sign_in(project, "lead", LEAD_PASSWORD, "198.51.100.4").signed_in
    _servers_racing_let_one_attempt_through(project)


def test_forwarded_for_names_the_address_the_trusted_proxy_saw():
    assert forwarded_client("6.6.6.6, 203.0.113.5", 1) == "203.0.113.5"  # the first value is the client's word
    assert forwarded_client("203.0.113.5, 10.0.0.2", 2) == "203.0.113.5"
    assert forwarded_client("203.0.113.5", 2) is None and forwarded_client("", 1) is None
    assert forwarded_client("203.0.113.5", 0) is None


# Enumeration ------------------------------------------------------------------------------------------------

def test_unknown_names_and_names_without_password_run_the_same_scrypt(team, scrypt_calls):
    """Before: an unknown name answered without any scrypt (0.9 ms against 32 ms for a known name)."""
    current = passwords.current_params()
    for name in ("lead", "nobody", "bo"):  # known with a password, unknown, known without a password
        scrypt_calls.clear()
        with team.session() as session:
            assert authenticate(session, name, "wrong password") is None
        assert scrypt_calls == [(current.n, current.r, current.p)], name
        scrypt_calls.clear()
        assert not sign_in(team, name, "wrong password", f"client-{name}").signed_in
        assert scrypt_calls == [(current.n, current.r, current.p)], name


def test_a_malformed_stored_hash_is_refused_after_a_scrypt_too(team, scrypt_calls):
    for stored in ("", "scrypt$x", "scrypt$3$8$1$AAAA$AAAA", "scrypt$16384$8$1$not base64!$AAAA",
                   f"scrypt${2**40}$8$1$AAAAAAAAAAAAAAAAAAAAAA==${'A' * 88}", "bcrypt$2b$12$abc$def$ghi"):
        scrypt_calls.clear()
        assert passwords.check_password("anything", stored) is False
        assert len(scrypt_calls) == 1 and scrypt_calls[0][0] == passwords.current_params().n


# Parameters and rehash --------------------------------------------------------------------------------------

def test_production_hashes_use_owasp_parameters(monkeypatch):
    monkeypatch.delenv(passwords.INSECURE_TEST_N_VARIABLE)
    stored = passwords.hash_password(ANN_PASSWORD)
    assert stored.split("$")[:4] == ["scrypt", str(2**17), "8", "1"]  # before: N=2^14
    assert passwords.check_password(ANN_PASSWORD, stored)
    for ignored in ("3", "abc", str(2**18), "-1024"):  # not a power of two, not a number, not lower
        monkeypatch.setenv(passwords.INSECURE_TEST_N_VARIABLE, ignored)
        assert passwords.current_params() == passwords.ScryptParams(2**17, 8, 1), ignored


def test_a_hash_from_before_is_rehashed_with_owasp_parameters_on_sign_in(team, monkeypatch):
    monkeypatch.delenv(passwords.INSECURE_TEST_N_VARIABLE)
    with team.session() as session:
        session.scalars(select(Reviewer).where(Reviewer.name == "ann")).one().password_hash = \
            _legacy_hash("x", 2**14)  # one character, as main allowed
    assert not sign_in(team, "ann", "y", None).signed_in
    with team.session() as session:
        assert session.scalars(select(Reviewer.password_hash).where(Reviewer.name == "ann")).one() \
            .startswith("scrypt$16384$")  # a wrong password changes nothing
    assert sign_in(team, "ann", "x", None).signed_in  # old short passwords still work
    with team.session() as session:
        stored = session.scalars(select(Reviewer.password_hash).where(Reviewer.name == "ann")).one()
        rehash = session.scalars(select(AuditEntry).where(AuditEntry.action == "rehash_password")).one()
    assert stored.startswith("scrypt$131072$8$1$") and passwords.check_password("x", stored)
    assert (rehash.actor, rehash.old, rehash.new) == \
        ("ann", '{"scrypt": "N=16384 r=8 p=1"}', '{"scrypt": "N=131072 r=8 p=1"}')


def test_a_stronger_hash_is_not_downgraded(team, monkeypatch):
    monkeypatch.setenv(passwords.INSECURE_TEST_N_VARIABLE, "4096")
    with team.session() as session:
        set_password(session, "ann", ANN_PASSWORD, actor="lead")
    monkeypatch.setenv(passwords.INSECURE_TEST_N_VARIABLE, "2048")
    assert sign_in(team, "ann", ANN_PASSWORD, None).signed_in
    with team.session() as session:
        assert session.scalars(select(Reviewer.password_hash).where(Reviewer.name == "ann")).one() \
            .startswith("scrypt$4096$")
        assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "rehash_password")) == 0


# Password policy --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("password", "problem"), [
    ("x", "at least 15 characters (this one has 1)"),  # before: accepted
    ("fourteen chars", "at least 15 characters (this one has 14)"),
    ("passwordpassword", "too easy to guess: Repeats"),
    ("123456789012345", "too easy to guess: This is similar to a commonly used password"),
    ("qwertyuiopasdfgh", "too easy to guess"),
    ("annannannannannann", "too easy to guess"),
    ("y" * 257, "at most 256 characters"),
])
def test_weak_passwords_are_refused_with_the_reason(password, problem):
    assert problem in password_problem(password, ["ann"])


@pytest.mark.parametrize("password", ["correct horse battery", ANN_PASSWORD, "Zürich tram at 7 o'clock",
                                      "a" + "🙂 sunny harbour" * 10])
def test_passphrases_are_accepted(password):
    assert password_problem(password, ["ann"]) is None


def test_set_password_and_add_reviewer_apply_the_policy(team):
    with team.session() as session, pytest.raises(ReviewerError, match="at least 15 characters"):
        set_password(session, "ann", "s3cret", actor="lead")
    with team.session() as session, pytest.raises(ReviewerError, match="too easy to guess"):
        add_reviewer(session, "cy", password="cycycycycycycycycy")
    with team.session() as session:
        assert session.scalars(select(Reviewer).where(Reviewer.name == "cy")).first() is None
        assert authenticate(session, "ann", ANN_PASSWORD) is not None


# No lock-out ------------------------------------------------------------------------------------------------

def test_nobody_gets_a_password_before_a_lead(tmp_path):
    """Before: a lead in local mode who gave only a reviewer a password could never sign in again."""
    project = make_project(tmp_path, reviewers={"dana": "lead", "ann": "reviewer"})
    for attempt in (lambda s: set_password(s, "ann", ANN_PASSWORD, actor="dana"),
                    lambda s: add_reviewer(s, "cy", role="advisor", password=ANN_PASSWORD)):
        with project.session() as session, pytest.raises(ReviewerError, match="give a lead a password before"):
            attempt(session)
    assert not passwords_in_use(project)  # still local mode: dana can still get in
    with project.session() as session:
        set_password(session, "dana", LEAD_PASSWORD, actor="dana")
        set_password(session, "ann", ANN_PASSWORD, actor="dana")
        add_reviewer(session, "cy", role="advisor", password="copper meadow violin")
    assert sign_in(project, "dana", LEAD_PASSWORD, None).signed_in


def test_set_password_command_prompts_twice_hidden_and_reports_refusals(tmp_path):
    project = make_project(tmp_path, reviewers={"dana": "lead", "ann": "reviewer"})
    folder = str(project.path)
    first = runner.invoke(app, ["set-password", folder, "ann"], input=f"{ANN_PASSWORD}\n{ANN_PASSWORD}\n")
    assert first.exit_code == 2 and "give a lead a password before 'ann'" in first.output
    assert ANN_PASSWORD not in first.output  # hidden input is not echoed
    weak = runner.invoke(app, ["set-password", folder, "dana"], input="short\nshort\n")
    assert weak.exit_code == 2 and "at least 15 characters" in weak.output
    unknown = runner.invoke(app, ["set-password", folder, "zed"], input=f"{ANN_PASSWORD}\n{ANN_PASSWORD}\n")
    assert unknown.exit_code == 2 and "unknown reviewer 'zed'" in unknown.output
    ok = runner.invoke(app, ["set-password", folder, "dana"],
                       input=f"{LEAD_PASSWORD}\n{LEAD_PASSWORD}x\n{LEAD_PASSWORD}\n{LEAD_PASSWORD}\n")
    assert ok.exit_code == 0 and "do not match" in ok.output and "password set for dana" in ok.output
    assert runner.invoke(app, ["set-password", folder, "ann"], input=f"{ANN_PASSWORD}\n{ANN_PASSWORD}\n"
                         ).exit_code == 0
    assert not any(r.exception and not isinstance(r.exception, SystemExit) for r in (first, weak, unknown, ok))
    with project.session() as session:
        assert authenticate(session, "dana", LEAD_PASSWORD) and authenticate(session, "ann", ANN_PASSWORD)
        actors = session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "set_password")).all()
    assert actors == ["cli", "cli"]
