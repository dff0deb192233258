"""A run killed with SIGKILL at any stage leaves nothing; the lock keeps a second run out meanwhile.

Each test works on committed data in the session's database (a territory of its own), runs
``exchange run`` in a real subprocess and stops it at a known stage with ``EXCHANGE_RUN_PAUSE_AT``.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime

import pytest
import workflow_scenario as scenario
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from exchange import runs
from exchange.cli import cli
from exchange.db import make_engine, upgrade_to_head
from exchange.models import Exclusion, Territory
from exchange.models.workflow import AuditEvent, Proposal, ProposalMove, Run, RunLock

AS_OF = "2026-01-05"


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def engine(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of this module's own: these tests commit, which the shared ``session`` never does."""
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    with scenario.scratch_database(backend, tmp_path_factory.mktemp("crash")) as url:
        eng = make_engine(url)
        upgrade_to_head(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def committed(engine: Engine) -> Iterator[str]:
    """A committed copy of the scenario under a territory code of its own."""
    code = f"K{uuid.uuid4().hex[:8].upper()}"
    with Session(engine) as session, session.begin():
        scenario.load(session, code)
    yield code


def _spawn(engine: Engine, code: str, pause: str | None, as_of: str = AS_OF) -> subprocess.Popen[str]:
    env = {**os.environ, "EXCHANGE_DATABASE_URL": _url(engine)}
    env.pop(runs.PAUSE_ENV, None)
    if pause:
        env[runs.PAUSE_ENV] = f"{pause}:120"
    return subprocess.Popen(
        [sys.executable, "-c", "from exchange.cli import main; main()", "run", code, "--as-of", as_of],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


_readers: dict[int, threading.Thread] = {}


def _wait_for_pause(process: subprocess.Popen[str], stage: str, timeout: float = 60.0) -> None:
    """Read the run's stderr (in a thread: pipes buffer) until it says ``pause:STAGE``."""
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    stream = process.stderr
    reader = threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True)
    reader.start()
    _readers[process.pid] = reader
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if line.strip() == f"pause:{stage}":
            return
    process.kill()
    raise AssertionError(f"the run never paused at {stage!r}: {''.join(seen)}")


def _kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    reader = _readers.pop(process.pid, None)
    if reader is not None:
        reader.join(timeout=30)  # the pipe reaches its end once the process is gone
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()
    assert process.returncode == -signal.SIGKILL


def _counts(engine: Engine, code: str) -> tuple[int, int, int, int, int]:
    with Session(engine) as session:
        territory_id = session.scalars(select(Territory.id).where(Territory.code == code)).one()

        def count(model, column):  # type: ignore[no-untyped-def]
            return session.scalar(select(func.count()).select_from(model).where(column == territory_id))

        moves = session.scalar(
            select(func.count())
            .select_from(ProposalMove)
            .join(Proposal)
            .where(Proposal.territory_id == territory_id)
        )
        return (
            count(Run, Run.territory_id),
            count(Proposal, Proposal.territory_id),
            moves,
            count(AuditEvent, AuditEvent.territory_id),
            count(RunLock, RunLock.territory_id),
        )


@pytest.mark.parametrize("stage", ["locked", "loaded", "built", "solved", "stored"])
def test_a_run_killed_at_any_stage_leaves_nothing(engine, committed, stage):
    process = _spawn(engine, committed, stage)
    _wait_for_pause(process, stage)
    _kill(process)
    assert _counts(engine, committed) == (0, 0, 0, 0, 0)
    # Running again gives the complete run.
    with Session(engine) as session, session.begin():
        run = runs.run_territory(session, committed, as_of=date(2026, 1, 5))
        run_id = run.id
    assert _counts(engine, committed) == (1, 3, 5, 4, 1)
    with Session(engine) as session:
        stored = session.get(Run, run_id)
        assert stored is not None
        assert (stored.proposal_count, stored.move_count, stored.objective) == (3, 5, 776)


@pytest.mark.parametrize("stage", ["loaded", "stored"])
def test_a_run_killed_after_recording_silences_leaves_them_unrecorded(engine, committed, stage):
    """The run of 16 January first records the silences of the run of 5 January, then solves."""
    with Session(engine) as session, session.begin():
        runs.run_territory(session, committed, as_of=date(2026, 1, 5), now=datetime(2026, 1, 5, 2, 30))
    before = _counts(engine, committed)
    assert before == (1, 3, 5, 4, 1)

    def state() -> tuple[list[str], list[str | None], int]:
        with Session(engine) as session:
            tid = session.scalars(select(Territory.id).where(Territory.code == committed)).one()
            statuses = session.scalars(select(Proposal.status).where(Proposal.territory_id == tid)).all()
            answers = session.scalars(
                select(ProposalMove.refusal_reason).join(Proposal).where(Proposal.territory_id == tid)
            ).all()
            excluded = session.scalar(
                select(func.count()).select_from(Exclusion).where(Exclusion.territory_id == tid)
            )
            return sorted(statuses), sorted(answers, key=lambda a: a or ""), int(excluded or 0)

    process = _spawn(engine, committed, stage, as_of="2026-01-16")
    _wait_for_pause(process, stage)
    _kill(process)
    assert _counts(engine, committed) == before
    assert state() == (["proposed"] * 3, [None] * 5, 0)  # no silence recorded, no exclusion
    with Session(engine) as session, session.begin():
        second = runs.run_territory(
            session, committed, as_of=date(2026, 1, 16), now=datetime(2026, 1, 16, 2, 30)
        )
        assert (second.proposal_count, second.move_count) == (1, 2)  # H5 <-> H6, the only pair not excluded
    assert state() == (["failed"] * 3 + ["proposed"], [None] * 2 + ["no_answer"] * 5, 5)


def test_a_run_that_finishes_commits_everything(engine, committed):
    process = _spawn(engine, committed, None)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "3 propositions, 5 mouvements, 776 points, optimum prouvé" in out
    assert _counts(engine, committed) == (1, 3, 5, 4, 1)
    with Session(engine) as session:
        run = session.scalars(select(Run).join(Territory).where(Territory.code == committed)).one()
        assert set(run.timings) >= {"lock_s", "load_s", "graph_s", "solve_s", "store_s"}
        assert (run.requests, run.vacancies, run.arcs, run.status) == (6, 1, 7, "optimal")


def test_a_second_run_meanwhile_exits_with_a_clear_message(engine, committed, monkeypatch):
    holder = _spawn(engine, committed, "locked")
    try:
        _wait_for_pause(holder, "locked")
        monkeypatch.setenv("EXCHANGE_DATABASE_URL", _url(engine))
        monkeypatch.delenv(runs.PAUSE_ENV, raising=False)
        result = CliRunner().invoke(cli, ["run", committed, "--as-of", AS_OF])
        assert result.exit_code == 1, result.output
        if engine.dialect.name == "postgresql":
            assert f"un calcul est déjà en cours pour le territoire {committed} ;" in result.output
        else:
            assert (
                f"la base est occupée par un autre calcul ou une autre écriture : le calcul du territoire "
                f"{committed} n'a pas démarré" in result.output.replace("\n", " ")
            )
    finally:
        _kill(holder)
    result = CliRunner().invoke(cli, ["run", committed, "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert _counts(engine, committed) == (1, 3, 5, 4, 1)


def test_a_run_of_another_territory_meanwhile(engine, committed, monkeypatch):
    """PostgreSQL: runs of two territories go on side by side. SQLite has one write lock for the whole
    file: the other territory's run is told to retry (docs/SCHEDULING.md)."""
    other = f"K{uuid.uuid4().hex[:8].upper()}"
    with Session(engine) as session, session.begin():
        scenario.load(session, other)
    holder = _spawn(engine, committed, "locked")
    try:
        _wait_for_pause(holder, "locked")
        monkeypatch.setenv("EXCHANGE_DATABASE_URL", _url(engine))
        monkeypatch.delenv(runs.PAUSE_ENV, raising=False)
        result = CliRunner().invoke(cli, ["run", other, "--as-of", AS_OF])
        if engine.dialect.name == "postgresql":
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code == 1, result.output
            assert f"le calcul du territoire {other} n'a pas démarré" in result.output.replace("\n", " ")
    finally:
        _kill(holder)
    done = (1, 3, 5, 4, 1) if engine.dialect.name == "postgresql" else (0, 0, 0, 0, 0)
    assert _counts(engine, other) == done
