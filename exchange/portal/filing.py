"""Staff acting for a tenant (dépôt par le bailleur, DOMAIN.md §4: the digital divide): a landlord's staff
creates or edits the request of one of its own tenants, with the household's consent recorded, and records
the answer the household gave to a proposal at the agency, by phone or by letter, or its withdrawal from a
proposal it accepted.

The request is the tenant's own (the same row and rules as :func:`exchange.portal.tenant.save_request`);
the audit trail says which staff member filed it, when, and that the household consented. The answer goes
through the household's own service (:func:`exchange.portal.tenant.record_answer`, the same deadline,
notifications and repair), the withdrawal too (:func:`exchange.portal.tenant.record_withdrawal`: the same
exclusion, reopened requests, notifications and repair); their audit events name the staff member and the
channel. Another landlord's
tenant is :class:`~exchange.errors.NotFound`, as if it did not exist (DOMAIN.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import glossary, notifications
from exchange import models as m
from exchange.errors import InvalidInput
from exchange.models.workflow import LIVE_STATUSES, AuditEvent, Proposal, ProposalMove
from exchange.portal.access import OnBehalf, own_tenant, user_row
from exchange.portal.letters import letter_statuses
from exchange.portal.reading import open_request_row
from exchange.portal.tenant import (
    record_answer,
    record_withdrawal,
    request_view,
    save_request,
    tenant_proposal,
)
from exchange.portal.views import ProposalDetail, RequestView, Wishes

__all__ = [
    "CONSENT_MISSING",
    "TenantRow",
    "file_for_tenant",
    "landlord_tenants",
    "record_tenant_answer",
    "record_tenant_withdrawal",
    "tenant_answer_proposal",
    "tenant_request",
]

CONSENT_MISSING = (
    "Cochez cette case : le ménage doit avoir donné son accord pour que vous déposiez sa demande."
)


@dataclass(frozen=True, slots=True)
class TenantRow:
    """One household living in a dwelling of the staff's landlord, and where its request stands."""

    household_id: int
    household_ref: str
    dwelling_ref: str
    commune: str
    request_status: str  # "" when it has none
    request_label: str
    letter_proposal: int | None = None  # a proposal awaiting its answer: its paper letter can be printed
    has_mail: bool = True  # an e-mail reaches it (else the letter is how it learns of the proposal)
    letter_printed_at: datetime | None = None  # the last printing of that proposal's letter
    withdraw_proposal: int | None = None  # a live proposal it accepted: staff may record its withdrawal


def landlord_tenants(session: Session, account: Any) -> list[TenantRow]:
    """The staff's landlord's tenants, by ref, with their request's status."""
    rows = session.execute(
        select(m.Household.id, m.Household.ref, m.Dwelling.ref, m.Sector.commune)
        .join(m.Dwelling, m.Dwelling.id == m.Household.dwelling_id)
        .join(m.Sector, m.Sector.id == m.Dwelling.sector_id)
        .where(m.Dwelling.landlord_id == account.landlord_id)
        .order_by(m.Household.ref)
    ).all()
    statuses = dict(
        session.execute(
            select(m.Request.household_id, m.Request.status)
            .where(m.Request.household_id.in_([r[0] for r in rows]))
            .order_by(m.Request.id)
        ).all()
    )
    letters = letter_statuses(session, account.landlord_id)
    with_mail = notifications.households_with_mail(session, (r[0] for r in rows))
    accepted = _accepted_live(session, [r[0] for r in rows])
    return [
        TenantRow(
            hid,
            ref,
            dwelling,
            commune,
            statuses.get(hid, ""),
            glossary.REQUEST_STATUSES.get(statuses.get(hid, ""), "pas de demande"),
            letter_proposal=letters[hid].proposal_id if hid in letters else None,
            has_mail=hid in with_mail,
            letter_printed_at=letters[hid].printed_at if hid in letters else None,
            withdraw_proposal=accepted.get(hid),
        )
        for hid, ref, dwelling, commune in rows
    ]


def _accepted_live(session: Session, household_ids: list[int]) -> dict[int, int]:
    """By household id: the live proposal whose move it accepted (at most one: a household is in one live
    proposal at a time), the one its withdrawal may be recorded for."""
    if not household_ids:
        return {}
    return {
        int(hid): int(pid)
        for hid, pid in session.execute(
            select(ProposalMove.household_id, ProposalMove.proposal_id)
            .join(Proposal, Proposal.id == ProposalMove.proposal_id)
            .where(
                ProposalMove.household_id.in_(household_ids),
                ProposalMove.answer == "accepted",
                Proposal.status.in_(LIVE_STATUSES),
            )
            .order_by(ProposalMove.proposal_id)
        )
    }


def tenant_request(session: Session, account: Any, household_id: int) -> tuple[str, RequestView | None]:
    """The ref and the current request of one of the landlord's tenants."""
    household, _dwelling = own_tenant(session, account, household_id)
    return household.ref, request_view(session, household.id)


def file_for_tenant(
    session: Session,
    account: Any,
    household_id: int,
    wishes: Wishes,
    *,
    consent: bool,
    today: date | None = None,
) -> bool:
    """File or edit the request of one of the landlord's tenants, with its consent; True when filed.

    Writes: the household's request (:func:`save_request`) and an audit event naming the staff member
    and the consent; the caller commits. Raises :class:`InvalidInput` (``consent``) without consent.
    """
    household, _dwelling = own_tenant(session, account, household_id)
    if not consent:
        raise InvalidInput({"consent": [CONSENT_MISSING]})
    on_behalf = OnBehalf(household.id, household.territory_id, account.territory_code)
    created = save_request(session, on_behalf, wishes, today=today)
    row = (
        open_request_row(session, household.id)
        or session.scalars(
            select(m.Request)
            .where(m.Request.household_id == household.id)
            .order_by(m.Request.id.desc())
            .limit(1)
        ).first()
    )
    assert row is not None
    staff = user_row(session, account)
    session.add(
        AuditEvent.by(
            staff,
            territory_id=household.territory_id,
            at=datetime.now().replace(microsecond=0),
            action="request.filed_by_staff" if created else "request.edited_by_staff",
            entity="request",
            entity_id=row.id,
            after={"household": household.ref, "consent": True, "landlord_id": account.landlord_id},
        )
    )
    session.flush()
    return created


def _on_behalf(session: Session, account: Any, household_id: int) -> tuple[m.Household, OnBehalf]:
    household, _dwelling = own_tenant(session, account, household_id)
    return household, OnBehalf(household.id, household.territory_id, account.territory_code, staff=account)


def tenant_answer_proposal(
    session: Session, account: Any, household_id: int, proposal_id: int
) -> tuple[str, ProposalDetail]:
    """The ref of one of the landlord's tenants and a proposal made to it, as the household sees it
    (anonymised): what the staff reads before recording the household's answer or withdrawal."""
    household, on_behalf = _on_behalf(session, account, household_id)
    return household.ref, tenant_proposal(session, on_behalf, proposal_id)


def record_tenant_answer(
    session: Session,
    account: Any,
    household_id: int,
    proposal_id: int,
    *,
    accepted: bool,
    reason: str | None,
    comment: str | None,
    channel: str | None,
) -> None:
    """Record the answer one of the landlord's tenants gave at the agency, by phone or by letter
    (``channel``: ``desk``, ``phone``, ``mail``).

    Writes: as the household's own answer (:func:`record_answer`: the move, the proposal, the audit
    trail, notifications, repair after a refusal); the audit event names the staff member and the
    channel. The caller commits. Raises :class:`~exchange.errors.NotFound` for another landlord's
    tenant or a proposal not made to this one, :class:`InvalidInput` by field (``answer``... ``channel``),
    and the workflow's refusals (deadline passed, already answered).
    """
    _household, on_behalf = _on_behalf(session, account, household_id)
    record_answer(
        session,
        on_behalf,
        proposal_id,
        accepted=accepted,
        reason=reason,
        comment=comment,
        channel=channel,
    )


def record_tenant_withdrawal(
    session: Session,
    account: Any,
    household_id: int,
    proposal_id: int,
    *,
    reason: str | None,
    comment: str | None,
    channel: str | None,
) -> None:
    """Record the withdrawal (désistement) one of the landlord's tenants gave at the agency, by phone or by
    letter (``channel``: ``desk``, ``phone``, ``mail``), from a proposal it accepted.

    Writes: as the household's own withdrawal (:func:`record_withdrawal`: the move, the proposal, the
    exclusion, reopened requests after a confirmation, the audit trail, notifications, repair); the audit
    event names the staff member and the channel. The caller commits. Raises
    :class:`~exchange.errors.NotFound` for another landlord's tenant or a proposal not made to this one,
    :class:`InvalidInput` by field (``reason``, ``comment``, ``channel``), and the workflow's refusals
    (not accepted, proposal closed).
    """
    _household, on_behalf = _on_behalf(session, account, household_id)
    record_withdrawal(session, on_behalf, proposal_id, reason=reason, comment=comment, channel=channel)
