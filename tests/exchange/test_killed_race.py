"""A run killed with SIGKILL while its solvers race leaves no solver process behind, nor the lock.

The CBC and HiGHS race (``matching.race``) runs in forked children. Killed with their parent, they
must not live on until their time limit holding a copy of its PostgreSQL connection (and with it
the transaction's advisory lock): the next ``exchange run`` must start at once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import workflow_scenario as scenario
from click.testing import CliRunner
from processes import alive, children
from sqlalchemy import Engine

from exchange.cli import cli
from exchange.db import make_engine, upgrade_to_head
from fixtures.generate import generate_territory

PG_ENV = "EXCHANGE_TEST_DATABASE_URL"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get(PG_ENV), reason=f"needs {PG_ENV} (PostgreSQL)"),
    pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc"),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A PostgreSQL database of this module's own: the runs below commit."""
    with scenario.scratch_database("postgresql", tmp_path_factory.mktemp("race")) as url:
        eng = make_engine(url)
        upgrade_to_head(eng)
        yield eng
        eng.dispose()


def test_a_run_killed_during_the_race_leaves_no_solver_and_no_lock(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("EXCHANGE_DATABASE_URL", url)
    # 2,000 dwellings: the solve reaches MIPs large enough to race CBC against HiGHS in seconds.
    document = generate_territory(1, 2000)
    code = f"R{uuid.uuid4().hex[:8].upper()}"
    document["territory"]["code"] = code
    path = tmp_path / "territory.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    imported = CliRunner().invoke(cli, ["import", str(path), "--no-progress"])
    assert imported.exit_code == 0, imported.output

    log = (tmp_path / "run.log").open("w")
    run = subprocess.Popen(
        [sys.executable, "-c", "from exchange.cli import main; main()", "run", code, "--time-limit", "300"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "EXCHANGE_DATABASE_URL": url},
    )
    racers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while len(racers) < 2 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
            racers = children(run.pid)
        assert len(racers) == 2, (tmp_path / "run.log").read_text(encoding="utf-8")
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=10)
        gone = time.monotonic() + 2
        while any(alive(racer) for racer in racers) and time.monotonic() < gone:
            time.sleep(0.02)
        assert [racer for racer in racers if alive(racer)] == []
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        for racer in racers:  # a failed test leaves no solver behind either
            if alive(racer):
                os.kill(racer, signal.SIGKILL)
        log.close()

    again = CliRunner().invoke(cli, ["run", code, "--time-limit", "1"])
    assert "déjà en cours" not in again.output
    assert again.exit_code == 0, again.output
    assert f"({code}," in again.output
