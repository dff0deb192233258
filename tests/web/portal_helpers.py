"""Helpers shared by the portal tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

PASSWORD = "motdepasse-test"
# The portal scenario's accounts: (login, role, what it is attached to).
ACCOUNTS: list[tuple[str, str, dict[str, str]]] = [
    ("h1", "tenant", {"household": "H1"}),
    ("h2", "tenant", {"household": "H2"}),
    ("h3", "tenant", {"household": "H3"}),
    ("h4", "tenant", {"household": "H4"}),
    ("h5", "tenant", {"household": "H5"}),
    ("alpha", "staff", {"landlord": "ALPHA"}),
    ("beta", "staff", {"landlord": "BETA"}),
    ("admin", "admin", {}),
]


def login(client: Any, name: str, password: str = PASSWORD) -> Any:
    return client.post("/connexion", data={"login": name, "password": password})


def run_scenario(engine: Any) -> None:
    """Store the scenario's proposals as a run would.

    The swap H1 <-> H2, the swap H4 <-> H5, the chain H3 -> D9.

    Written directly with the workflow models so that these tests do not depend on the solver.
    """
    from datetime import date, datetime, timedelta

    from sqlalchemy import select

    from exchange import models as m
    from exchange.models.workflow import Proposal, ProposalMove, Run

    today = date.today()
    with Session(engine) as session, session.begin():
        tid = session.scalar(select(m.Territory.id).where(m.Territory.code == "TWEB"))
        h = dict(session.execute(select(m.Household.ref, m.Household.id)).all())
        d = dict(session.execute(select(m.Dwelling.ref, m.Dwelling.id)).all())
        now = datetime.now()
        run = Run(
            territory_id=tid,
            as_of=today,
            started_at=now,
            finished_at=now,
            status="optimal",
            objective=0,
            bound=0.0,
            requests=6,
            vacancies=1,
            arcs=7,
            skipped_households=0,
            proposal_count=3,
            move_count=5,
            params={},
            timings={},
        )
        shapes = [
            ("cycle", [("H1", "D1", "D2", ["under_occupation"]), ("H2", "D2", "D1", ["overcrowding"])]),
            ("cycle", [("H4", "D4", "D5", ["under_occupation"]), ("H5", "D5", "D4", ["overcrowding"])]),
            ("chain", [("H3", "D3", "D9", ["overcrowding"])]),
        ]
        for kind, moves in shapes:
            p = Proposal(
                territory_id=tid,
                kind=kind,
                points=0,
                status="proposed",
                notified_on=today,
                answer_deadline=today + timedelta(days=10),
            )
            for pos, (ref, src, dst, crit) in enumerate(moves):
                pts = {"under_occupation": 40, "overcrowding": 50}[crit[0]]
                detail = {
                    "base": 100,
                    "criteria": {crit[0]: pts},
                    "priorities": {},
                    "seniority_months": 3,
                    "seniority": 3,
                    "total": 100 + pts + 3,
                }
                p.moves.append(
                    ProposalMove(
                        position=pos,
                        household_id=h[ref],
                        from_dwelling_id=d[src],
                        to_dwelling_id=d[dst],
                        points=detail["total"],
                        points_detail=detail,
                        criteria_before=crit,
                        criteria_after=[],
                        live=True,
                    )
                )
            p.points = sum(mv.points for mv in p.moves)
            run.proposals.append(p)
        run.objective = sum(p.points for p in run.proposals)
        session.add(run)
