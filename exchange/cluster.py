"""Dask distributed for the nightly run: a cluster to solve on, and the task a worker runs.

Without a scheduler address, a :class:`~distributed.LocalCluster` of processes on this machine
(one thread each: the solvers hold the GIL); with one (``--scheduler tcp://HOST:8786`` or
:data:`SCHEDULER_ENV`), an existing cluster. Workers receive plain graphs
(:class:`matching.types.Instance`) and never open the database. On a worker, the independent
parts of a territory's graph are tasks of the same cluster (:func:`solve_task`), and so are the
regions of a giant part's search, as many at once as the cluster has threads: one big territory
also spreads over the workers.

A worker that dies (killed, out of memory) has its tasks run again elsewhere by the scheduler, up
to ``distributed.scheduler.allowed-failures`` times; past that the territory fails with
:class:`WorkerLost`, and only that territory.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

from exchange.errors import ExchangeError
from exchange.runs import solve_prepared
from matching.types import Instance, Solution, SolveParams

__all__ = ["SCHEDULER_ENV", "WorkerLost", "connect", "solve_task", "submitter", "total_threads"]

SCHEDULER_ENV = "EXCHANGE_DASK_SCHEDULER"
"""The address of an existing Dask scheduler (``tcp://HOST:8786``), when ``--scheduler`` is not given."""


class WorkerLost(ExchangeError):
    """The processes solving a territory died too many times (killed, out of memory)."""

    def __init__(self) -> None:
        super().__init__(
            "le processus de calcul de ce territoire s'est arrêté à plusieurs reprises (tué, ou mémoire "
            "épuisée) ; rien n'a été enregistré pour ce territoire : relancez-le seul, ou donnez plus "
            "de mémoire aux workers"
        )


@contextmanager
def connect(scheduler: str | None = None, *, workers: int | None = None) -> Iterator[Any]:
    """A Dask client of the cluster at ``scheduler``, or of a new local cluster of ``workers`` processes."""
    from distributed import Client, LocalCluster

    client_of: Any = Client  # distributed ships no type hints for its constructors
    local_cluster: Any = LocalCluster
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address:
        with client_of(address) as client:
            yield client
        return
    with (
        local_cluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            scheduler_port=0,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},  # no dashboard; its health routes on a free port
        ) as cluster,
        client_of(cluster) as client,
    ):
        yield client


def total_threads(client: Any) -> int:
    """How many tasks the cluster runs at once (its workers' threads)."""
    return sum(int(w.get("nthreads", 1)) for w in client.scheduler_info()["workers"].values()) or 1


def solve_task(instance: Instance, params: SolveParams) -> tuple[Solution, float]:
    """A territory's task: solve its graph, its independent parts and a giant part's search regions
    being tasks of the same cluster."""
    from distributed import worker_client

    with worker_client() as client:  # leaves the worker's thread to the parts while it waits
        return solve_prepared(instance, params, client.get_executor(pure=False), total_threads(client))


def submitter(client: Any) -> Any:
    """A function that starts :func:`solve_task` on the cluster and gives a plain future of its result.

    A :class:`distributed.KilledWorker` becomes :class:`WorkerLost`.
    """
    from distributed import KilledWorker

    held: dict[int, Any] = {}  # a Dask future released too early cancels its task

    def submit(instance: Instance, params: SolveParams) -> Future[tuple[Solution, float]]:
        remote = client.submit(solve_task, instance, params, pure=False)
        local: Future[tuple[Solution, float]] = Future()
        held[id(local)] = remote

        def settle(done: Any) -> None:
            held.pop(id(local), None)
            try:
                local.set_result(done.result())
            except KilledWorker as exc:
                local.set_exception(WorkerLost().with_traceback(exc.__traceback__))
            except Exception as exc:  # handed to the coordinator, which reports the territory failed
                local.set_exception(exc)

        remote.add_done_callback(settle)
        return local

    return submit
