"""Paper proposal letters (courriers de proposition), the staff's side (DOMAIN.md §4: the digital divide).

A landlord's staff prints the letter of a live proposal for one of its own tenant households
(:func:`tenant_letter`), or, after a run, every letter for its households that no e-mail reaches
(:func:`landlord_letters`: no active tenant account with an address, or no account at all). The letter
shows the proposal as the household's own page does (:func:`~exchange.portal.tenant.tenant_proposal`,
anonymised); another landlord's tenant is :class:`~exchange.errors.NotFound`, as if it did not exist.
Each printed letter writes an audit event ``letter.printed`` on the household's move, which the
« Mes locataires » page reads back (« courrier imprimé le … »). The PDF itself: :mod:`exchange.letters`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange import letters, notifications, settings
from exchange import models as m
from exchange.errors import InvalidInput, NotFound
from exchange.models.workflow import AuditEvent, Proposal, ProposalMove, Run
from exchange.portal.access import OnBehalf, own_tenant, user_row
from exchange.portal.staff_views import LetterBatch, ProposalLetter
from exchange.portal.tenant import tenant_proposal
from exchange.schemas.fields import INT_MAX
from exchange.workflow import NotAllowed

__all__ = [
    "LETTER_PRINTED",
    "LetterStatus",
    "landlord_letters",
    "letter_statuses",
    "letters_due",
    "tenant_letter",
]

LETTER_PRINTED = "letter.printed"
"""The audit action of a printed letter (entity ``move``: the household's move in the proposal)."""


@dataclass(frozen=True, slots=True)
class LetterStatus:
    """Where a household's letter stands: the proposal awaiting its answer, mail, last printing."""

    proposal_id: int
    move_id: int
    has_mail: bool  # an e-mail reaches the household: the letter is optional
    printed_at: datetime | None


def _awaiting(
    session: Session, landlord_id: int, *, today: date, run_id: int | None = None
) -> list[tuple[m.Household, m.Dwelling, ProposalMove]]:
    """The landlord's tenant households whose answer to a proposal is awaited, by household ref."""
    query = (
        select(m.Household, m.Dwelling, ProposalMove)
        .join(m.Dwelling, m.Dwelling.id == m.Household.dwelling_id)
        .join(ProposalMove, ProposalMove.household_id == m.Household.id)
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .where(
            m.Dwelling.landlord_id == landlord_id,
            Proposal.status == "proposed",
            Proposal.answer_deadline >= today,
            ProposalMove.answer.is_(None),
        )
        .order_by(m.Household.ref)
    )
    if run_id is not None:
        query = query.where(Proposal.run_id == run_id)
    return [(h, d, mv) for h, d, mv in session.execute(query)]


def letter_statuses(
    session: Session, landlord_id: int, *, today: date | None = None
) -> dict[int, LetterStatus]:
    """By household id: the landlord's tenants with a proposal awaiting their answer, and their letter."""
    rows = _awaiting(session, landlord_id, today=today or date.today())
    with_mail = notifications.households_with_mail(session, (h.id for h, _d, _mv in rows))
    printed = _printed_at(session, [mv.id for _h, _d, mv in rows])
    return {
        h.id: LetterStatus(mv.proposal_id, mv.id, h.id in with_mail, printed.get(mv.id)) for h, _d, mv in rows
    }


def _printed_at(session: Session, move_ids: Sequence[int]) -> dict[int, datetime]:
    if not move_ids:
        return {}
    return {
        int(move_id): at
        for move_id, at in session.execute(
            select(AuditEvent.entity_id, func.max(AuditEvent.at))
            .where(
                AuditEvent.action == LETTER_PRINTED,
                AuditEvent.entity == "move",
                AuditEvent.entity_id.in_(list(move_ids)),
            )
            .group_by(AuditEvent.entity_id)
        )
    }


def _names(session: Session, territory_id: int, landlord_id: int) -> tuple[str, str, str]:
    """The territory's code and name and the landlord's name."""
    row = session.execute(
        select(m.Territory.code, m.Territory.name, m.Landlord.name)
        .join(m.Landlord, m.Landlord.territory_id == m.Territory.id)
        .where(m.Territory.id == territory_id, m.Landlord.id == landlord_id)
    ).one()
    return str(row[0]), str(row[1]), str(row[2])


def _letter(
    session: Session,
    household: m.Household,
    dwelling: m.Dwelling,
    proposal_id: int,
    *,
    portal_url: str,
    contact: str,
    at: datetime,
) -> ProposalLetter:
    code, territory, landlord = _names(session, household.territory_id, dwelling.landlord_id)
    on_behalf = OnBehalf(household.id, household.territory_id, code)
    detail = tenant_proposal(session, on_behalf, proposal_id, now=at)
    if not detail.can_answer:
        raise NotAllowed(
            f"la proposition n° {proposal_id} n'attend plus de réponse du ménage {household.ref} : "
            "il n'y a pas de courrier à imprimer"
        )
    return ProposalLetter(
        landlord=landlord,
        territory=territory,
        printed_on=at.date(),
        household_ref=household.ref,
        dwelling_ref=dwelling.ref,
        proposal=detail,
        pause_after_silences=settings.pause_after_silences(session, household.territory_id),
        dalo=bool(household.priority_dalo),
        portal_url=portal_url,
        contact=contact,
    )


def _record(
    session: Session,
    letter: ProposalLetter,
    move_id: int,
    territory_id: int,
    actor: m.UserAccount | None,
    *,
    at: datetime,
    run_id: int | None,
) -> None:
    session.add(
        AuditEvent.by(
            actor,
            territory_id=territory_id,
            at=at.replace(microsecond=0),
            action=LETTER_PRINTED,
            entity="move",
            entity_id=move_id,
            after={
                "household": letter.household_ref,
                "proposal": letter.proposal.id,
                "run": run_id,
                "batch": run_id is not None,
            },
        )
    )


def _move_id(letter: ProposalLetter, household_id: int, session: Session) -> int:
    found = session.scalar(
        select(ProposalMove.id).where(
            ProposalMove.proposal_id == letter.proposal.id, ProposalMove.household_id == household_id
        )
    )
    assert found is not None
    return int(found)


def tenant_letter(
    session: Session,
    account: Any,
    household_id: int,
    proposal_id: int,
    *,
    portal_url: str,
    now: datetime | None = None,
) -> tuple[bytes, str]:
    """The PDF letter of a proposal awaiting the answer of one of the staff's landlord's tenants, and
    its file name.

    Writes: an audit event ``letter.printed`` naming the staff member; the caller commits.
    :class:`NotFound` for another landlord's tenant, a tenant or a proposal the household is not in;
    :class:`~exchange.workflow.NotAllowed` when the proposal no longer awaits its answer.
    """
    at = now or datetime.now()
    household, dwelling = own_tenant(session, account, household_id)
    staff = user_row(session, account)
    letter = _letter(
        session,
        household,
        dwelling,
        proposal_id,
        portal_url=portal_url,
        contact=staff.display_name or "",
        at=at,
    )
    _record(
        session,
        letter,
        _move_id(letter, household.id, session),
        household.territory_id,
        staff,
        at=at,
        run_id=None,
    )
    session.flush()
    return letters.letters_pdf([letter]), letters.letter_filename([letter])


def _landlord(session: Session, landlord_code: str, territory_code: str | None) -> m.Landlord:
    query = select(m.Landlord).where(m.Landlord.code == landlord_code)
    if territory_code is not None:
        territory_id = session.scalar(select(m.Territory.id).where(m.Territory.code == territory_code))
        if territory_id is None:
            raise InvalidInput({"territory": [f"territoire inconnu : {territory_code}"]})
        query = query.where(m.Landlord.territory_id == territory_id)
    found = session.scalars(query.order_by(m.Landlord.id)).all()
    if not found:
        where = f" dans le territoire {territory_code}" if territory_code else ""
        raise InvalidInput({"landlord": [f"bailleur inconnu{where} : {landlord_code}"]})
    if len(found) > 1:
        raise InvalidInput(
            {
                "territory": [
                    f"le code {landlord_code} désigne un bailleur de plusieurs territoires : précisez-le"
                ]
            }
        )
    return found[0]


def _latest_run(session: Session, territory_id: int) -> int | None:
    """The territory's latest run, whose proposals the batch prints by default."""
    return session.scalar(
        select(Run.id).where(Run.territory_id == territory_id).order_by(Run.id.desc()).limit(1)
    )


def _run(session: Session, territory_id: int, run_id: int | None) -> int:
    if run_id is None:
        latest = _latest_run(session, territory_id)
        if latest is None:
            raise InvalidInput({"run": ["aucun appariement n'a encore été calculé dans ce territoire"]})
        return int(latest)
    found = (  # an id beyond the database's integers is no run (PostgreSQL and SQLite would fail on it)
        session.scalar(select(Run.territory_id).where(Run.id == run_id)) if 0 < run_id <= INT_MAX else None
    )
    if found != territory_id:
        raise InvalidInput({"run": [f"appariement inconnu dans le territoire du bailleur : {run_id}"]})
    return run_id


def letters_due(session: Session, account: Any, *, today: date | None = None) -> tuple[int | None, int]:
    """The staff's landlord: the territory's latest run and how many of its tenants with a proposal of
    that run awaiting their answer no e-mail reaches (the letters :func:`landlord_letters` prints)."""
    run_id = _latest_run(session, account.territory_id)
    if run_id is None:
        return None, 0
    rows = _awaiting(session, account.landlord_id, today=today or date.today(), run_id=run_id)
    with_mail = notifications.households_with_mail(session, (h.id for h, _d, _mv in rows))
    return int(run_id), sum(1 for h, _d, _mv in rows if h.id not in with_mail)


def landlord_letters(
    session: Session,
    landlord_code: str,
    *,
    territory_code: str | None = None,
    run_id: int | None = None,
    actor: m.UserAccount | None = None,
    portal_url: str,
    now: datetime | None = None,
) -> LetterBatch:
    """After a run (``run_id``, the territory's latest by default): one letter for each of the
    landlord's tenant households with a proposal of that run awaiting its answer that no e-mail reaches.

    Writes: one audit event ``letter.printed`` per letter (``actor``, or ``system`` from the command
    line); the caller commits. Raises :class:`InvalidInput` keyed ``landlord``, ``territory`` or ``run``
    for an unknown (or ambiguous) landlord, territory or run.
    """
    at = now or datetime.now()
    landlord = _landlord(session, landlord_code, territory_code)
    if actor is not None and (actor.role != "staff" or actor.landlord_id != landlord.id):
        raise NotFound(f"bailleur inconnu : {landlord_code}")
    run = _run(session, landlord.territory_id, run_id)
    rows = _awaiting(session, landlord.id, today=at.date(), run_id=run)
    with_mail = notifications.households_with_mail(session, (h.id for h, _d, _mv in rows))
    contact = "" if actor is None else actor.display_name or ""
    made: list[ProposalLetter] = []
    for household, dwelling, move in rows:
        if household.id in with_mail:
            continue
        letter = _letter(
            session, household, dwelling, move.proposal_id, portal_url=portal_url, contact=contact, at=at
        )
        _record(session, letter, move.id, household.territory_id, actor, at=at, run_id=run)
        made.append(letter)
    session.flush()
    return LetterBatch(
        landlord=landlord.code,
        run_id=run,
        household_refs=tuple(letter.household_ref for letter in made),
        content=letters.letters_pdf(made) if made else None,
    )
