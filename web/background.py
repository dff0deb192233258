"""Matching runs started from the portal, solved in a background thread of the web process.

The request only records the job (``exchange.runs.claim_job``, committed: every web worker sees it)
and answers at once; a thread then solves it with ``exchange.runs.execute_job``, which commits the run
and the job's outcome together, or records the failure and nothing else. A plain thread is enough:
nothing is lost if the process dies meanwhile (the run's single transaction is rolled back and the job
turns stale after its time limit), and no queue or broker has to be deployed.

``RUNS_IN_BACKGROUND = False`` (tests) solves within the request instead, with the same code path.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from flask import current_app

from exchange import portal, runs
from web.db import get_engine, get_session

__all__ = ["start_run", "threads"]


def threads() -> list[threading.Thread]:
    """The run threads this app started (tests join them)."""
    started: list[threading.Thread] = current_app.extensions.setdefault("exchange_run_threads", [])
    return started


def _work(engine: Any, job_id: int, code: str) -> None:
    if runs.execute_job(engine, job_id) == "finished":
        portal.clear_cache(code)


def start_run(account: Any, *, as_of: date) -> int:
    """Record a job for the admin's territory, commit it, solve it in the background; the job's id.

    Raises :class:`exchange.runs.JobInProgress` while another job of the territory runs (the request
    session is then left to the caller to roll back).
    """
    session = get_session()
    job_id = runs.claim_job(session, account.territory_code, as_of=as_of, requested_by=account.login)
    session.commit()
    engine = get_engine()
    if not current_app.config.get("RUNS_IN_BACKGROUND", True):
        _work(engine, job_id, account.territory_code)
        return job_id
    thread = threading.Thread(
        target=_work,
        args=(engine, job_id, account.territory_code),
        name=f"appariement-{job_id}",
        daemon=True,  # a stopped server leaves the job running: it turns stale, nothing was written
    )
    started = threads()
    started[:] = [t for t in started if t.is_alive()]
    started.append(thread)
    thread.start()
    return job_id
