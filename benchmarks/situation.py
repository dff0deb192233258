#!/usr/bin/env python3
"""Benchmark of « Ma situation » (exchange.portal.situation): how long a tenant waits for its page.

Steps, for each size asked (default: the demo's 2,000 dwellings, seed 2026, as ``make demo``, and
5,000 dwellings as ``exchange generate --seed 2026 --dwellings 5000``):

1. generate the territory and import it into a scratch SQLite file;
2. give it a history: ``--completed`` households without a request get a closed request and a
   completed move (filed 2 to 24 months before), so the median wait has cases to read;
3. time :func:`exchange.portal.tenant_situation` for ``--tenants`` households with an open request:
   the first call reads the territory and the completed moves (cold: what a tenant meets once every
   ``CACHE_SECONDS`` per territory, and after each write to it), the others reuse them (warm);
4. time the page ``/locataire/situation`` itself (rendering included), warm, through the Flask test
   client for one tenant signed in.

It prints a markdown table (milliseconds) and the load average of the machine.

Usage::

    .venv/bin/python benchmarks/situation.py
    .venv/bin/python benchmarks/situation.py --sizes 5000 --tenants 50
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/ holds a script called matching.py: keep this folder off sys.path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _history(session: Any, territory_id: int, count: int, seed: int) -> int:
    """Completed moves of households without an open request, each with its closed request."""
    from sqlalchemy import select

    from exchange import models as m
    from exchange.models.workflow import Proposal, ProposalMove

    rng = random.Random(seed)
    busy = select(m.Request.household_id).where(m.Request.territory_id == territory_id)
    rows = session.execute(
        select(m.Household.id, m.Household.dwelling_id).where(
            m.Household.territory_id == territory_id,
            m.Household.dwelling_id.is_not(None),
            m.Household.id.not_in(busy),
        )
    ).all()
    dwellings = session.scalars(select(m.Dwelling.id).where(m.Dwelling.territory_id == territory_id)).all()
    made = 0
    for household_id, home in rng.sample(rows, min(count, len(rows))):
        moved = date(2025, 1, 1) + timedelta(days=rng.randrange(600))
        filed = moved - timedelta(days=rng.randrange(60, 730))
        session.add(
            m.Request(
                territory_id=territory_id,
                household_id=household_id,
                filed_on=filed,
                max_cost=900.0,
                status="closed",
                closed_on=moved,
            )
        )
        proposal = Proposal(
            territory_id=territory_id,
            kind="chain",
            points=150,
            status="completed",
            notified_on=moved - timedelta(days=45),
            answer_deadline=moved - timedelta(days=30),
            move_date=moved,
        )
        proposal.moves.append(
            ProposalMove(
                position=0,
                household_id=household_id,
                from_dwelling_id=home,
                to_dwelling_id=rng.choice(dwellings),
                points=150,
                criteria_before=rng.choice([["overcrowding"], ["under_occupation"], [], ["autonomy"]]),
                criteria_after=[],
                live=False,
            )
        )
        session.add(proposal)
        made += 1
    return made


def _bench(size: int, seed: int, tenants: int, completed: int) -> dict[str, Any]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from exchange import accounts, portal
    from exchange import models as m
    from exchange.db import make_engine, upgrade_to_head
    from exchange.interchange import import_document
    from fixtures.generate import generate_territory
    from web import create_app

    row: dict[str, Any] = {"size": size}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'situation.db'}"
        engine = make_engine(url)
        upgrade_to_head(engine)
        doc = generate_territory(seed, size)
        code = doc["territory"]["code"]
        with Session(engine) as session, session.begin():
            summary = import_document(session, doc)
            territory = session.scalars(select(m.Territory).where(m.Territory.code == code)).one()
            row["completed"] = _history(session, territory.id, completed, seed)
            demo = accounts.demo_accounts(session, summary.territory)
        row["requests"] = len(doc["requests"])
        with Session(engine) as session:
            territory = session.scalars(select(m.Territory).where(m.Territory.code == code)).one()
            households = session.scalars(
                select(m.Request.household_id)
                .where(m.Request.territory_id == territory.id, m.Request.status == "open")
                .order_by(m.Request.id)
            ).all()
            picked = random.Random(seed).sample(list(households), min(tenants, len(households)))
            portal.clear_cache()
            times = []
            for household_id in picked:
                account = SimpleNamespace(
                    territory_code=code, territory_id=territory.id, household_id=household_id
                )
                start = time.perf_counter()
                found = portal.tenant_situation(session, account)
                times.append((time.perf_counter() - start) * 1000)
            row["cold_ms"] = times[0]
            row["warm_median_ms"] = statistics.median(times[1:])
            row["warm_max_ms"] = max(times[1:])
            row["wait"] = found.wait.comparison
        tenant = next(a for a in demo if a.role == "tenant")
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "b",
                "ENGINE": engine,
                "DATABASE_URL": url,
                "WTF_CSRF_ENABLED": False,
            }
        )
        client = app.test_client()
        client.post("/connexion", data={"login": tenant.login, "password": tenant.password})
        pages = []
        for _ in range(11):
            start = time.perf_counter()
            response = client.get("/locataire/situation")
            pages.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
        row["page_median_ms"] = statistics.median(pages[1:])
        engine.dispose()
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 5000])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--tenants", type=int, default=30)
    parser.add_argument("--completed", type=int, default=300)
    args = parser.parse_args(argv)
    rows = [_bench(size, args.seed, args.tenants, args.completed) for size in args.sizes]
    print(
        "| dwellings | open requests | completed moves | cold (ms) | warm median (ms) | warm max (ms) "
        "| page warm median (ms) | wait compared with |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['size']} | {r['requests']} | {r['completed']} | {r['cold_ms']:.0f} | "
            f"{r['warm_median_ms']:.1f} | {r['warm_max_ms']:.1f} | {r['page_median_ms']:.1f} | {r['wait']} |"
        )
    print(f"\nload average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
