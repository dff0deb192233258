"""The workflow scenario run once, with one portal account per household, landlord and the territory.

Shared by the portal service tests (``test_portal_*_services.py``): the services take an
:class:`exchange.accounts.Account`, as the web hands them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import workflow_scenario as scenario

from exchange import accounts, runs
from exchange.cache import territory_cache
from exchange.models import Dwelling, Household

RUN_DAY = date.today()  # the services that write take the time of day: deadlines are still ahead


def build(session: Any, code: str = "TPS") -> dict[str, Any]:
    """Import, create the accounts, run on RUN_DAY; the accounts by household ref, landlord code, "admin"."""
    territory_cache.invalidate()
    territory = scenario.load(session, code)
    rows = scenario.users(session, territory)
    run = runs.run_territory(session, code, as_of=RUN_DAY, now=datetime.now())
    households = scenario.ids(session, territory.id, Household)
    by_id = {i: ref for ref, i in households.items()}
    moves = {by_id[mv.household_id]: mv for p in run.proposals for mv in p.moves}
    return {
        "territory": territory,
        "rows": rows,
        "account": {key: accounts.get_account(session, row.id) for key, row in rows.items()},
        "run": run,
        "h": households,
        "d": scenario.ids(session, territory.id, Dwelling),
        "move": moves,
    }
