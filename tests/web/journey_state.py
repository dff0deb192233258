"""The portal scenario brought to a state where every page of every role has content (test client).

The swap H4 <-> H5 is accepted by both households and BETA's CALEOL attributed H4's move (ALPHA
still has H5's move to decide; BETA's decision can still be corrected); the chain H3 -> D9 is
accepted and attributed by BETA (confirmed, its move scheduled); the swap H1 <-> H2 waits for answers.
"""

from __future__ import annotations

from typing import Any

from portal_helpers import login, run_scenario
from sqlalchemy import select
from sqlalchemy.orm import Session


def bring_to_journey_state(client: Any, engine: Any) -> dict[str, int]:
    """Answer and decide as above through the portal (CSRF off); the ids of the proposals and moves."""
    from exchange import models as m
    from exchange.models.workflow import ProposalMove, Run

    run_scenario(engine)
    with Session(engine) as db:
        hid = dict(db.execute(select(m.Household.ref, m.Household.id)).all())
        moves = {
            ref: db.scalars(select(ProposalMove).where(ProposalMove.household_id == hid[ref])).one()
            for ref in ("H1", "H3", "H4", "H5")
        }
        ids = {
            "proposal_h1": moves["H1"].proposal_id,
            "proposal_h3": moves["H3"].proposal_id,
            "proposal_h4": moves["H4"].proposal_id,
            "move_h1": moves["H1"].id,
            "move_h3": moves["H3"].id,
            "move_h4": moves["H4"].id,
            "move_h5": moves["H5"].id,
            "run": db.scalar(select(Run.id)) or 0,
        }
    for name, proposal in (("h4", "proposal_h4"), ("h5", "proposal_h4"), ("h3", "proposal_h3")):
        login(client, name)
        answered = client.post(f"/locataire/propositions/{ids[proposal]}", data={"answer": "accept"})
        assert answered.status_code == 302
        client.post("/deconnexion")
    login(client, "beta")
    for move in ("move_h4", "move_h3"):
        decided = client.post(
            f"/caleol/mouvements/{ids[move]}", data={"kind": "attribution", "reason": "Dossier complet."}
        )
        assert decided.status_code == 302
    client.post("/deconnexion")
    return ids
