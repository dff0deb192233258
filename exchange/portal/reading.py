"""The portal's shared reads (lectures communes): the territory snapshot, a household, dwellings by id.

The candidate dwellings of the offers page (offered vacancies and the dwellings of requesting
households) are read once per territory and kept in :data:`exchange.cache.territory_cache` for a few
seconds; a household's own data, proposals and decisions are always read fresh.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from exchange import models as m
from exchange.cache import territory_cache
from exchange.errors import NotFound
from exchange.loading import plain_dwelling, plain_household, plain_request
from exchange.models.workflow import ProposalMove
from exchange.portal.views import DwellingCard, ReplyRecord, card_of
from exchange.settings import policy_config
from matching.config import PolicyConfig
from matching.territory import Dwelling, Household, Request

__all__ = [
    "TerritorySnapshot",
    "card",
    "clear_cache",
    "dwellings_by_id",
    "load_household",
    "open_request_row",
    "reply_record",
    "reply_records",
    "snapshot",
    "territory_communes",
]

Candidate = tuple[DwellingCard, Dwelling, bool]
"""(card, plain dwelling, vacant) of one candidate dwelling of the offers page."""


@dataclass(frozen=True, slots=True)
class TerritorySnapshot:
    """A territory's candidate dwellings and names, as the offers page and the cards read them."""

    code: str
    territory_id: int
    config: PolicyConfig
    dwellings: Mapping[str, Dwelling]  # candidate dwellings only (offered vacancies, requesting households')
    sector_names: Mapping[str, str]
    landlord_names: Mapping[str, str]
    candidates: tuple[Candidate, ...]  # sorted by cost
    communes: tuple[str, ...]
    loaded_at: float  # time.monotonic() when read: what was computed from it is keyed on it too


def clear_cache(code: str | None = None) -> None:
    """Forget the cached data and statistics of one territory (or of all)."""
    territory_cache.invalidate(code)


def snapshot(session: Session, code: str) -> TerritorySnapshot:
    """The territory's snapshot, read at most every few seconds; :class:`NotFound` for an unknown code."""
    return territory_cache.get(code, "snapshot", lambda: _build_snapshot(session, code))


def _build_snapshot(session: Session, code: str) -> TerritorySnapshot:
    territory_id = _territory_id(session, code)
    requesting = (
        select(m.Household.dwelling_id)
        .join(m.Request, m.Request.household_id == m.Household.id)
        .where(
            m.Request.territory_id == territory_id,
            m.Request.status == "open",
            m.Household.dwelling_id.is_not(None),
        )
    )
    rows = session.scalars(
        select(m.Dwelling)
        .options(joinedload(m.Dwelling.sector), joinedload(m.Dwelling.landlord))
        .where(
            m.Dwelling.territory_id == territory_id,
            (m.Dwelling.offered.is_(True)) | (m.Dwelling.id.in_(requesting)),
        )
    ).all()
    sector_rows = session.execute(
        select(m.Sector.code, m.Sector.name, m.Sector.commune).where(m.Sector.territory_id == territory_id)
    ).all()
    landlord_names: dict[str, str] = dict(
        session.execute(
            select(m.Landlord.code, m.Landlord.name).where(m.Landlord.territory_id == territory_id)
        ).all()
    )
    sector_names = {code_: name for code_, name, _c in sector_rows}
    dwellings = {r.ref: plain_dwelling(r) for r in rows}
    candidates = []
    for r in rows:
        d = dwellings[r.ref]
        found = card_of(d, sector_names.get(d.sector, d.sector), landlord_names.get(d.landlord, d.landlord))
        candidates.append((found, d, bool(r.offered)))
    candidates.sort(key=lambda c: (c[0].cost, c[0].commune))
    return TerritorySnapshot(
        code=code,
        territory_id=territory_id,
        config=policy_config(session, code),
        dwellings=dwellings,
        sector_names=sector_names,
        landlord_names=landlord_names,
        candidates=tuple(candidates),
        communes=tuple(sorted({c for _a, _b, c in sector_rows})),
        loaded_at=time.monotonic(),
    )


def _territory_id(session: Session, code: str) -> int:
    found = session.scalar(select(m.Territory.id).where(m.Territory.code == code))
    if found is None:
        raise NotFound(f"territoire inconnu : {code}")
    return int(found)


def card(snap: TerritorySnapshot, dwelling: Dwelling) -> DwellingCard:
    """The public card of a dwelling, with its sector's and landlord's names."""
    return card_of(
        dwelling,
        snap.sector_names.get(dwelling.sector, dwelling.sector),
        snap.landlord_names.get(dwelling.landlord, dwelling.landlord),
    )


def territory_communes(session: Session, territory_id: int) -> list[str]:
    """Communes of the territory, sorted."""
    for code in territory_cache.codes():
        snap = territory_cache.peek(code, "snapshot")
        if snap is not None and snap.territory_id == territory_id:
            return list(snap.communes)
    return sorted(
        set(session.scalars(select(m.Sector.commune).where(m.Sector.territory_id == territory_id)).all())
    )


def open_request_row(session: Session, household_id: int) -> m.Request | None:
    """The household's open request row, if any."""
    return session.scalars(
        select(m.Request).where(m.Request.household_id == household_id, m.Request.status == "open")
    ).one_or_none()


def load_household(session: Session, household_id: int) -> tuple[Household, Dwelling, Request | None]:
    """A household, its current dwelling and its open request (if any), as plain data read fresh."""
    dwelling = joinedload(m.Household.dwelling)
    row = session.get(
        m.Household,
        household_id,
        options=[
            dwelling.joinedload(m.Dwelling.sector),
            dwelling.joinedload(m.Dwelling.landlord),
            selectinload(m.Household.members),
        ],
    )
    if row is None or row.dwelling is None:
        raise NotFound(f"ménage inconnu ou sans logement : {household_id}")
    household = plain_household(row)
    req = open_request_row(session, household_id)
    return household, plain_dwelling(row.dwelling), None if req is None else plain_request(req, row.ref)


def dwellings_by_id(session: Session, ids: set[int]) -> dict[int, Dwelling]:
    """Plain dwellings by id, read fresh (a proposal's dwellings may no longer be candidates)."""
    rows = session.scalars(
        select(m.Dwelling)
        .options(joinedload(m.Dwelling.sector), joinedload(m.Dwelling.landlord))
        .where(m.Dwelling.id.in_(ids))
    ).all()
    return {r.id: plain_dwelling(r) for r in rows}


def reply_record(session: Session, household_id: int) -> ReplyRecord:
    """The household's answers so far: a move counts once its answer is in (given, or silence recorded)."""
    return reply_records(session, [household_id])[household_id]


def reply_records(session: Session, household_ids: Sequence[int]) -> dict[int, ReplyRecord]:
    """:func:`reply_record` of each household, in one query."""
    records = {h: ReplyRecord(0, 0) for h in household_ids}
    silent = case((ProposalMove.refusal_reason == "no_answer", 1), else_=0)
    rows = session.execute(
        select(ProposalMove.household_id, func.count(), func.sum(silent))
        .where(ProposalMove.household_id.in_(list(records)), ProposalMove.answer.is_not(None))
        .group_by(ProposalMove.household_id)
    ).all()
    for household_id, asked, silences in rows:
        records[household_id] = ReplyRecord(int(asked) - int(silences or 0), int(asked))
    return records
