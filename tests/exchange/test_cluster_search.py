"""A giant part's search spread over a Dask LocalCluster of 2 processes (matching.search.Regions on Dask).

As in tests/matching/test_giant_search.py, a generated metropolitan territory of 600 dwellings stands
for a giant part: no proof MIP fits (``tuning.PROOF_MAX`` patched to 0), regions start at 30
households, and the first solution is poorer than it could be, so that the search has work.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import dask
import distributed  # noqa: F401 - its defaults loaded, so that dask.config.set restores them
import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from exchange import cluster
from exchange.cli import cli
from exchange.db import get_engine
from exchange.interchange import import_document
from exchange.loading import read_document
from fixtures.generate import generate_territory
from matching import check, search, solve, tuning
from matching.graph import build_instance
from matching.types import Instance, Solution, SolveParams

pytestmark = pytest.mark.xdist_group("dask")  # one LocalCluster at a time on a small machine

PARAMS = SolveParams(time_limit_s=6, workers=1, seed=5)
AS_OF = date(2026, 11, 22)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A LocalCluster of 2 worker processes, one thread each (the default retries)."""
    with cluster.connect(None, workers=2) as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def instance() -> Instance:
    plain, config = read_document(generate_territory(4, 600, shape="metropole"))
    return build_instance(plain, config)


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """In this process: every part giant, small regions, first solutions without every other cycle."""
    values: list[int] = []
    real = search.first_solution

    def poorer(*args: Any, **kwargs: Any) -> search.Incumbent:
        model = args[0]
        found = real(*args, **kwargs)
        kept = [j for i, j in enumerate(found.chosen) if i % 2 or bool((model.coefs[j] < 0).any())]
        values.append(sum(model.weights[j] for j in kept))
        return search.Incumbent(kept, values[-1])

    monkeypatch.setattr(search, "first_solution", poorer)
    monkeypatch.setattr(tuning, "PROOF_MAX", 0)
    monkeypatch.setattr(tuning, "REGION", 30)
    return values


def _valid(instance: Instance, solution: Solution, starts: list[int]) -> None:
    assert check.problems(instance, solution, PARAMS) == []
    assert starts
    assert solution.objective >= sum(starts)


def test_regions_are_cluster_tasks_and_merge(client: Any, instance: Instance, starts: list[int]) -> None:
    executor = client.get_executor(pure=False)
    solution = solve(instance, PARAMS, executor=executor, executor_workers=cluster.total_threads(client))
    _valid(instance, solution, starts)
    timings = solution.timings
    assert timings["lns_tasks"] >= 2
    assert timings["lns_regions"] > timings["lns_rounds"]  # two regions a round, on the two workers
    assert timings["lns_merged"] >= 1
    assert solution.objective > sum(starts)


def _killer(marker: str) -> Any:
    """A worker plugin that kills its worker's process when a region task starts, once per ``marker``."""
    from distributed import WorkerPlugin

    class KillOnce(WorkerPlugin):  # local: pickled by value, so the workers need not import this module
        def transition(self, key: Any, start: str, finish: str, **kwargs: Any) -> None:
            if finish == "executing" and str(key).startswith("solve_region"):
                try:
                    Path(marker).touch(exist_ok=False)
                except FileExistsError:
                    return
                import os

                os._exit(1)

    return KillOnce()


def test_a_worker_killed_mid_search_loses_its_region_only(
    instance: Instance, starts: list[int], tmp_path: Path
) -> None:
    marker = tmp_path / "killed"
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        cluster.connect(None, workers=2) as c,
    ):
        c.register_plugin(_killer(str(marker)), name="kill-once")
        solution = solve(instance, PARAMS, executor=c.get_executor(pure=False), executor_workers=2)
    assert marker.exists()  # a worker did die mid-search
    _valid(instance, solution, starts)
    assert solution.timings["lns_lost"] >= 1


def _giant_everywhere() -> Any:
    """A worker plugin: in the workers, no proof fits, regions of 30, and no first solution at all."""
    from distributed import WorkerPlugin

    class Giant(WorkerPlugin):
        def setup(self, worker: Any) -> None:
            from matching import tuning

            self.saved = (tuning.PROOF_MAX, tuning.MIP_MAX, tuning.REGION)
            tuning.PROOF_MAX, tuning.MIP_MAX, tuning.REGION = 0, 1, 30

        def teardown(self, worker: Any) -> None:
            from matching import tuning

            tuning.PROOF_MAX, tuning.MIP_MAX, tuning.REGION = self.saved

    return Giant()


def test_a_territory_task_spreads_its_search_over_the_cluster(client: Any, instance: Instance) -> None:
    """What ``exchange run`` on a cluster does: the territory's task sends its regions to both workers."""
    client.register_plugin(_giant_everywhere(), name="giant")
    try:
        solution, _ = cluster.submitter(client)(instance, PARAMS).result()
    finally:
        client.unregister_worker_plugin("giant")
    assert check.problems(instance, solution, PARAMS) == []
    assert solution.timings["lns_tasks"] >= 2
    assert solution.timings["lns_regions"] > solution.timings["lns_rounds"]
    assert solution.objective > 0  # from nothing: every move comes from the regions


def test_cli_runs_one_territory_on_local_workers(fresh_db_url: str) -> None:
    engine = get_engine(fresh_db_url)
    with Session(engine) as session, session.begin():
        import_document(session, generate_territory(11, 160, code="NLA", name="Territoire NLA", as_of=AS_OF))
    result = CliRunner().invoke(
        cli, ["run", "NLA", "--as-of", AS_OF.isoformat(), "--time-limit", "30", "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == "1 territoire calculé sur 1"
    assert any(line.startswith("calcul n° ") and "(NLA, 2026-11-22)" in line for line in lines)
