"""Staff filing for a tenant (DOMAIN.md §4, the digital divide): the landlord's staff files or edits the
request of one of its own tenants, only with the household's consent, recorded in the audit trail."""

from __future__ import annotations

import portal_world
import pytest
from sqlalchemy import delete, select

from exchange import portal
from exchange.errors import InvalidInput, NotFound
from exchange.models import Request
from exchange.models.workflow import AuditEvent

WISHES = portal.Wishes(("Xville",), 2, 4, 700.0, True)


@pytest.fixture
def world(session):
    yield portal_world.build(session)
    portal.clear_cache()


def test_staff_file_a_request_for_their_tenant_with_its_consent(session, world):
    beta = world["account"]["BETA"]
    tenants = {t.household_ref: t for t in portal.landlord_tenants(session, beta)}
    assert "H2" in tenants and "H1" not in tenants  # H1 lives in an ALPHA dwelling
    h2 = tenants["H2"]
    session.execute(delete(Request).where(Request.household_id == h2.household_id))
    with pytest.raises(InvalidInput) as refused:
        portal.file_for_tenant(session, beta, h2.household_id, WISHES, consent=False)
    assert list(refused.value.messages) == ["consent"]
    assert portal.file_for_tenant(session, beta, h2.household_id, WISHES, consent=True) is True
    ref, req = portal.tenant_request(session, beta, h2.household_id)
    assert (ref, req.communes, req.max_cost, req.status) == ("H2", ("Xville",), 700.0, "open")
    cheaper = portal.Wishes(("Xville",), 2, 4, 650.0, True)
    assert portal.file_for_tenant(session, beta, h2.household_id, cheaper, consent=True) is False
    events = session.execute(
        select(AuditEvent.action, AuditEvent.actor, AuditEvent.after)
        .where(AuditEvent.entity == "request")
        .order_by(AuditEvent.id)
    ).all()
    assert [(a, who, after["consent"], after["household"]) for a, who, after in events] == [
        ("request.filed_by_staff", "tps-staff-beta", True, "H2"),
        ("request.edited_by_staff", "tps-staff-beta", True, "H2"),
    ]
    # The household sees its request as its own.
    assert portal.tenant_overview(session, world["account"]["H2"]).request.max_cost == 650.0


def test_another_landlords_tenant_is_unknown(session, world):
    beta = world["account"]["BETA"]
    with pytest.raises(NotFound):
        portal.file_for_tenant(session, beta, world["h"]["H1"], WISHES, consent=True)
    with pytest.raises(NotFound):
        portal.tenant_request(session, world["account"]["H1"], world["h"]["H1"])  # a tenant is not staff
