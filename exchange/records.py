"""What the workflow changes in the territory data: exclusions, requests, who lives where.

Small helpers over the domain tables (``exchange.models.domain``) used by :mod:`exchange.workflow`
and :mod:`exchange.stats`; they take the session and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from exchange.errors import NotFound
from exchange.models import Dwelling, Exclusion, Household, Request, Territory

__all__ = [
    "add_exclusion",
    "close_requests",
    "count_star",
    "move_households",
    "pause_requests",
    "reopen_closed_request",
    "reopen_request",
    "territory",
    "request_filed_on",
    "requests_filed",
]

# Workflow failure → exclusion reason of the domain table.
_EXCLUSION_REASON = {"refused": "refused", "no_answer": "refused", "withdrawn": "refused"}


def territory(session: Session, code: str) -> Territory:
    """The territory whose code is ``code``; :class:`NotFound` (« territoire inconnu : CODE ») if none."""
    row = session.scalars(select(Territory).where(Territory.code == code)).one_or_none()
    if row is None:
        raise NotFound(f"territoire inconnu : {code}")
    return row


def count_star() -> Any:
    """``count(*)`` (kept here so that callers need not import ``func``)."""
    return func.count()


def add_exclusion(session: Session, household_id: int, dwelling_id: int, *, reason: str) -> None:
    """The pair (household, dwelling) is never proposed again (no-op when already excluded)."""
    exists = session.scalar(
        select(Exclusion.id).where(
            Exclusion.household_id == household_id, Exclusion.dwelling_id == dwelling_id
        )
    )
    if exists is not None:
        return
    territory_id = session.scalar(select(Household.territory_id).where(Household.id == household_id))
    session.add(
        Exclusion(
            territory_id=territory_id,
            household_id=household_id,
            dwelling_id=dwelling_id,
            reason=_EXCLUSION_REASON.get(reason, "rejected"),
            created_at=datetime.now().replace(microsecond=0),
        )
    )
    session.flush()


def close_requests(session: Session, household_ids: Iterable[int], *, on: date) -> None:
    """Close the open requests of these households (their move is confirmed)."""
    ids = list(household_ids)
    session.execute(
        update(Request)
        .where(Request.household_id.in_(ids), Request.status == "open")
        .values(status="closed", closed_on=on)
        .execution_options(synchronize_session="fetch")
    )


def pause_requests(session: Session, household_ids: Iterable[int], *, why: str = "inadmissible") -> list[int]:
    """Pause the open requests of these households; returns their ids.

    ``why`` is one of ``PAUSE_REASONS``: ``inadmissible`` (back to their landlord for review) or
    ``silences`` (the household confirms it). A paused request is left out of the runs until
    :func:`reopen_request`.
    """
    ids = list(
        session.scalars(
            select(Request.id).where(Request.household_id.in_(list(household_ids)), Request.status == "open")
        ).all()
    )
    if ids:
        session.execute(
            update(Request)
            .where(Request.id.in_(ids))
            .values(status="paused", paused_why=why)
            .execution_options(synchronize_session="fetch")
        )
    return ids


def reopen_closed_request(session: Session, household_id: int, *, closed_on: date) -> int | None:
    """Reopen the household's request closed on ``closed_on`` (a confirmed proposal that then failed),
    unless it has an open or paused one since; returns its id, None if none was reopened."""
    current = session.scalar(
        select(Request.id).where(Request.household_id == household_id, Request.status.in_(("open", "paused")))
    )
    if current is not None:
        return None
    return _reopen_latest(
        session, household_id, Request.status == "closed", Request.closed_on == closed_on, closed_on=None
    )


def reopen_request(session: Session, household_id: int) -> int | None:
    """Reopen the household's paused request, its count of lapsed proposals back to 0; returns its id,
    None if none."""
    return _reopen_latest(session, household_id, Request.status == "paused", paused_why=None, silences=0)


def _reopen_latest(session: Session, household_id: int, *where: Any, **values: Any) -> int | None:
    """Open the household's latest request matching ``where``, setting ``values`` too; its id, or None."""
    request_id = session.scalar(
        select(Request.id)
        .where(Request.household_id == household_id, *where)
        .order_by(Request.id.desc())
        .limit(1)
    )
    if request_id is not None:
        session.execute(
            update(Request)
            .where(Request.id == request_id)
            .values(status="open", **values)
            .execution_options(synchronize_session="fetch")
        )
    return request_id


def move_households(session: Session, moves: list[tuple[int, int]]) -> None:
    """Each (household, dwelling): the household now lives there; a filled offered vacancy is withdrawn.

    Everyone leaves first, so that a swap never puts two households in one dwelling, even for a moment.
    """
    households = {
        h.id: h for h in session.scalars(select(Household).where(Household.id.in_([h for h, _ in moves])))
    }
    for household_id, _ in moves:
        households[household_id].dwelling_id = None
    session.flush()
    for household_id, dwelling_id in moves:
        households[household_id].dwelling_id = dwelling_id
    session.execute(
        update(Dwelling)
        .where(Dwelling.id.in_([d for _, d in moves]), Dwelling.offered.is_(True))
        .values(offered=False)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()


def request_filed_on(session: Session, household_id: int, *, before: date) -> date | None:
    """Filing date of the household's latest request filed on or before ``before``."""
    return session.scalar(
        select(Request.filed_on)
        .where(Request.household_id == household_id, Request.filed_on <= before)
        .order_by(Request.filed_on.desc())
        .limit(1)
    )


def requests_filed(session: Session, territory_id: int, year: int | None) -> int:
    """How many requests of the territory were filed in ``year`` (every year when None), any status."""
    query = select(func.count()).select_from(Request).where(Request.territory_id == territory_id)
    if year is not None:
        query = query.where(Request.filed_on >= date(year, 1, 1), Request.filed_on <= date(year, 12, 31))
    return int(session.scalar(query) or 0)
