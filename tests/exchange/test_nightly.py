"""Several territories at once on a Dask LocalCluster of 2 processes (exchange.nightly, exchange.cluster).

The territories are generated (both shapes, distinct codes and seeds), small enough for a shared machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import dask
import distributed  # noqa: F401 - its defaults loaded, so that dask.config.set restores them
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from exchange import cluster, glossary, nightly, runs
from exchange.cli import cli
from exchange.db import get_engine
from exchange.interchange import import_document
from exchange.models import Territory
from exchange.models.workflow import Run
from fixtures.generate import generate_territory
from matching.types import SolveParams

pytestmark = pytest.mark.xdist_group("dask")  # one LocalCluster at a time on a small machine

AS_OF = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 2, 30)
PARAMS = SolveParams(max_cycle=3, max_chain=3, time_limit_s=120, workers=1, seed=7)
WORLD = (("NLA", 11, "littoral"), ("NMB", 12, "metropole"), ("NLC", 13, "littoral"))


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A LocalCluster of 2 worker processes, one thread each (the default retries)."""
    with cluster.connect(None, workers=2) as dask_client:
        yield dask_client


@pytest.fixture
def world(fresh_db_url: str) -> Engine:
    """Three generated territories, imported and committed."""
    engine = get_engine(fresh_db_url)
    with Session(engine) as session, session.begin():
        for code, seed, shape in WORLD:
            doc = generate_territory(
                seed, 160, shape=shape, code=code, name=f"Territoire {code}", as_of=AS_OF
            )
            import_document(session, doc)
    return engine


def _serial_objectives(engine: Engine) -> dict[str, int]:
    """Each territory run alone in this process, then rolled back."""
    found = {}
    for code, _, _ in WORLD:
        with Session(engine) as session:
            session.begin()
            found[code] = runs.run_territory(session, code, as_of=AS_OF, params=PARAMS, now=NOW).objective
            session.rollback()
    return found


def _stored(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.execute(
            select(Territory.code, Run.objective).join(Run, Run.territory_id == Territory.id)
        )
        return {code: objective for code, objective in rows}


def _night(engine: Engine, dask_client: Any, codes: list[str] | None = None) -> list[nightly.Outcome]:
    plans = [(code, PARAMS) for code in codes or [c for c, _, _ in WORLD]]
    return nightly.run_territories(
        engine, plans, cluster.submitter(dask_client), as_of=AS_OF, now=NOW, window=3
    )


def test_territories_at_once_give_the_serial_objectives(world: Engine, client: Any) -> None:
    serial = _serial_objectives(world)
    stages: list[tuple[str, str]] = []
    outcomes = nightly.run_territories(
        world,
        [(code, PARAMS) for code in serial],
        cluster.submitter(client),
        as_of=AS_OF,
        now=NOW,
        window=3,
        progress=lambda code, stage: stages.append((code, stage)),
    )
    assert [o.error for o in outcomes] == [None, None, None]
    assert {o.code: o.run.objective for o in outcomes if o.run} == serial
    assert _stored(world) == serial
    assert all(v > 0 for v in serial.values())
    for code in serial:  # progress per territory, in the order of a run
        assert [s for c, s in stages if c == code] == list(runs.STAGES)


def test_one_unknown_territory_fails_alone(world: Engine, client: Any) -> None:
    outcomes = _night(world, client, ["NLA", "XXXX", "NMB"])
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[1].error == "territoire inconnu : XXXX"
    assert set(_stored(world)) == {"NLA", "NMB"}


def _killer(marker: str) -> Any:
    """A worker plugin that kills its worker's process when a territory's task starts, once per ``marker``."""
    from distributed import WorkerPlugin

    class KillOnce(WorkerPlugin):  # local: pickled by value, so the workers need not import this module
        def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
            if finish == "executing" and str(key).startswith("solve_task"):
                try:
                    Path(marker).touch(exist_ok=False)
                except FileExistsError:
                    return
                os._exit(1)

    return KillOnce()


def test_a_killed_worker_is_retried_and_every_territory_stored(
    world: Engine, client: Any, tmp_path: Path
) -> None:
    serial = _serial_objectives(world)
    marker = tmp_path / "killed"
    client.register_plugin(_killer(str(marker)), name="kill-once")
    try:
        outcomes = _night(world, client)
    finally:
        client.unregister_worker_plugin("kill-once")
    assert marker.exists()  # a worker did die mid-run
    assert [o.error for o in outcomes] == [None, None, None]
    assert _stored(world) == serial


def test_a_worker_lost_for_good_fails_its_territory_only(world: Engine, tmp_path: Path) -> None:
    marker = tmp_path / "killed"
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        cluster.connect(None, workers=2) as c,
    ):
        c.register_plugin(_killer(str(marker)), name="kill-once")
        # One territory in flight: a dead worker fails every task it held, here only the first one's.
        plans = [(code, PARAMS) for code, _, _ in WORLD]
        outcomes = nightly.run_territories(world, plans, cluster.submitter(c), as_of=AS_OF, now=NOW, window=1)
    assert marker.exists()
    failed = [o for o in outcomes if not o.ok]
    assert len(failed) == 1
    assert failed[0].error == str(cluster.WorkerLost())
    assert set(_stored(world)) == {o.code for o in outcomes if o.ok}
    assert len(_stored(world)) == 2


def test_a_territory_in_flight_stays_locked(world: Engine, client: Any) -> None:
    """While NLA is solved on the cluster, ``exchange run NLA`` is refused; nothing is stored twice."""
    refused: list[tuple[int, str]] = []
    submit = cluster.submitter(client)

    def submit_then_run_again(instance: Any, params: SolveParams) -> Any:
        future = submit(instance, params)
        if not refused:  # the first territory, NLA: its lock is held, its graph on the cluster
            result = CliRunner().invoke(
                cli, ["run", "NLA", "--as-of", AS_OF.isoformat(), "--time-limit", "30"]
            )
            refused.append((result.exit_code, result.output))
        return future

    outcomes = nightly.run_territories(
        world, [("NLA", PARAMS), ("NMB", PARAMS)], submit_then_run_again, as_of=AS_OF, now=NOW, window=3
    )
    assert [o.ok for o in outcomes] == [True, True]
    ((code, output),) = refused
    assert code == 1
    if world.dialect.name == "sqlite":  # one write lock for the whole file
        assert "la base est occupée par un autre calcul" in output
    else:
        assert "un calcul est déjà en cours pour le territoire NLA" in output
    with Session(world) as session:
        assert session.scalar(select(func.count()).select_from(Run)) == 2


def test_cli_runs_several_territories_and_says_which_failed(world: Engine) -> None:
    result = CliRunner().invoke(
        cli,
        ["run", "NLA", "ZZZZ", "NMB", "--as-of", AS_OF.isoformat(), "--time-limit", "60", "--workers", "2"],
    )
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == "2 territoires calculés sur 3 ; en échec : ZZZZ"
    assert any(line.startswith("calcul n° ") and "(NLA, 2026-11-22)" in line for line in lines)
    assert "échec du calcul du territoire ZZZZ : territoire inconnu : ZZZZ" in result.stderr
    assert f"NMB : {glossary.RUN_STAGES['stored']}" in result.stderr
    assert set(_stored(world)) == {"NLA", "NMB"}
