"""Read services of the web portal (lecture pour le portail): plain, anonymised views of the data.

Every function takes the session and returns frozen dataclasses; nothing here commits. What a role
may see (DOMAIN.md §5) is decided here: tenant-facing views never carry names, addresses, the
landlord's dwelling or tenant numbers, nor another household's composition or resources.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from matching import policy as rules
from matching.config import PolicyConfig
from matching.territory import Dwelling, Household, Request

CRITERION_LABELS: dict[str, str] = {
    "overcrowding": "Suroccupation",
    "under_occupation": "Sous-occupation",
    "autonomy": "Logement inadapté à la perte d'autonomie",
    "job_distance": "Éloignement du lieu de travail",
}
ACCESSIBILITY_LABELS: dict[str, str] = {
    "none": "non accessible",
    "accessible": "accessible sans marche",
    "adapted": "adapté au fauteuil roulant",
}
MOBILITY_LABELS: dict[str, str] = {
    "none": "aucun besoin particulier",
    "reduced": "mobilité réduite",
    "wheelchair": "fauteuil roulant",
}
PRIORITY_LABELS: dict[str, str] = {
    "dalo": "reconnu DALO",
    "handicap": "handicap",
    "violence": "violences",
    "unfit_housing": "habitat indigne",
}
ROLE_LABELS: dict[str, str] = {
    "head": "titulaire",
    "partner": "conjoint",
    "child": "enfant",
    "other": "autre",
}


def _num(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


@dataclass(frozen=True, slots=True)
class DwellingCard:
    """What anyone may see of a dwelling (DOMAIN.md §5, first row): no ref, no address."""

    commune: str
    sector: str
    qpv: bool
    rooms: int
    surface_m2: float
    floor: int
    elevator: bool
    accessibility: str
    rent: float
    charges: float
    landlord: str

    @property
    def cost(self) -> float:
        """Rent plus charges per month."""
        return self.rent + self.charges

    @property
    def typology(self) -> str:
        """``T3`` for three main rooms."""
        return f"T{self.rooms}"

    @property
    def floor_label(self) -> str:
        """Floor, lift and accessibility in French."""
        floor = "rez-de-chaussée" if self.floor == 0 else f"{self.floor}e étage"
        if self.floor == 1:
            floor = "1er étage"
        lift = "" if self.floor == 0 else (", avec ascenseur" if self.elevator else ", sans ascenseur")
        return f"{floor}{lift}, {ACCESSIBILITY_LABELS.get(self.accessibility, self.accessibility)}"


def card_of(dwelling: Dwelling, sector_name: str, landlord_name: str) -> DwellingCard:
    """The public card of a plain dwelling."""
    return DwellingCard(
        commune=dwelling.commune,
        sector=sector_name,
        qpv=dwelling.qpv,
        rooms=dwelling.rooms,
        surface_m2=dwelling.surface_m2,
        floor=dwelling.floor,
        elevator=dwelling.elevator,
        accessibility=dwelling.accessibility,
        rent=dwelling.rent,
        charges=dwelling.charges,
        landlord=landlord_name,
    )


@dataclass(frozen=True, slots=True)
class CriterionExplanation:
    """One harmonised criterion for one household, explained in plain French with its figures."""

    code: str
    label: str
    active: bool
    text: str


@dataclass(frozen=True, slots=True)
class HouseholdPicture:
    """A household's own view of itself: composition, needs, current dwelling, criteria."""

    composition: str
    size: int
    rooms_needed: int
    max_rooms: int
    min_surface: float
    current: DwellingCard
    criteria: tuple[CriterionExplanation, ...]

    @property
    def active_count(self) -> int:
        """How many criteria are met."""
        return sum(1 for c in self.criteria if c.active)


def composition_text(household: Household, config: PolicyConfig = rules.DEFAULT_CONFIG) -> str:
    """``2 adultes et 2 enfants (4 personnes)`` from the members' ages (adults: ``config.adult_age``)."""
    adults = sum(1 for m in household.members if m.age >= config.adult_age)
    minors = len(household.members) - adults
    parts = [f"{adults} adulte{'s' if adults > 1 else ''}"]
    if minors:
        parts.append(f"{minors} enfant{'s' if minors > 1 else ''} de moins de {config.adult_age} ans")
    n = len(household.members)
    return f"{' et '.join(parts)} ({n} personne{'s' if n > 1 else ''})"


def explain_criteria(
    household: Household, current: Dwelling, config: PolicyConfig
) -> tuple[CriterionExplanation, ...]:
    """The four criteria of POLICY.md §2 in ``current``, each with the figures behind it.

    >>> from matching.territory import Member
    >>> h = Household("H1", "D1", (Member("head", 40), Member("child", 8), Member("child", 6)), 1500.0)
    >>> d = Dwelling("D1", "L", "S", "C", False, 2, 30.0, 3, False, "none", 300.0, 50.0, 0.0, 0.0)
    >>> [(c.code, c.active) for c in explain_criteria(h, d, PolicyConfig())][:2]
    [('overcrowding', True), ('under_occupation', False)]
    """
    n = rules.household_size(household)
    need_rooms = rules.rooms_needed(household, config)
    most_rooms = n + config.under_occupation_extra_rooms
    need_surface = rules.min_surface(n, config)
    active = rules.active_criteria(household, current, config)
    texts = {
        "overcrowding": (
            f"votre ménage de {n} personne{'s' if n > 1 else ''} a besoin d'au moins {need_rooms} "
            f"pièce{'s' if need_rooms > 1 else ''} et {_num(need_surface)} m² ; votre logement a "
            f"{current.rooms} pièce{'s' if current.rooms > 1 else ''} et {_num(current.surface_m2)} m²."
        ),
        "under_occupation": (
            f"un logement est sous-occupé quand il a plus de {most_rooms} pièces pour {n} "
            f"personne{'s' if n > 1 else ''} ; le vôtre en a {current.rooms}."
        ),
        "autonomy": _autonomy_text(household, current),
        "job_distance": _distance_text(household, current, config),
    }
    return tuple(
        CriterionExplanation(code, CRITERION_LABELS[code], code in active, texts[code])
        for code in ("overcrowding", "under_occupation", "autonomy", "job_distance")
    )


def _autonomy_text(household: Household, current: Dwelling) -> str:
    need = MOBILITY_LABELS[household.mobility]
    place = "au rez-de-chaussée" if current.floor == 0 else f"au niveau {current.floor}"
    lift = "avec ascenseur" if current.elevator else "sans ascenseur"
    access = ACCESSIBILITY_LABELS[current.accessibility]
    return f"besoin de mobilité : {need} ; votre logement est {place}, {lift}, {access}."


def _distance_text(household: Household, current: Dwelling, config: PolicyConfig) -> str:
    km = rules.work_distance_km(household, current, config)
    if km is None:
        return "aucun lieu de travail n'est connu pour votre ménage."
    return (
        f"votre logement est à {_num(km)} km de votre lieu de travail à vol d'oiseau ; "
        f"le seuil du territoire est de {_num(config.job_distance_km)} km."
    )


def household_picture(
    household: Household, current: Dwelling, card: DwellingCard, config: PolicyConfig
) -> HouseholdPicture:
    """The household's view of itself from plain data."""
    n = rules.household_size(household)
    return HouseholdPicture(
        composition=composition_text(household, config),
        size=n,
        rooms_needed=rules.rooms_needed(household, config),
        max_rooms=n + config.max_extra_rooms,
        min_surface=rules.min_surface(n, config),
        current=card,
        criteria=explain_criteria(household, current, config),
    )


def compatible(
    household: Household,
    request: Request,
    current: Dwelling,
    dwelling: Dwelling,
    config: PolicyConfig,
    *,
    excluded: bool = False,
) -> bool:
    """Whether POLICY.md §3 allows ``household -> dwelling`` (rules 1–8)."""
    return not rules.move_allowed(household, request, current, dwelling, config, excluded=excluded)


@dataclass(frozen=True, slots=True)
class RequestView:
    """A household's mutation request as its tenant sees it."""

    filed_on: date
    communes: tuple[str, ...]
    min_rooms: int | None
    max_rooms: int | None
    max_cost: float
    accept_qpv: bool
    status: str
    paused_why: str | None = None  # see PAUSE_REASONS
    silences: int = 0  # proposals let lapse in a row

    @property
    def status_label(self) -> str:
        """The request's status in French."""
        return {"open": "en cours", "closed": "close", "paused": "en pause"}.get(self.status, self.status)

    @property
    def confirmable(self) -> bool:
        """Whether the household itself may reopen it (paused after lapsed proposals)."""
        return self.status == "paused" and self.paused_why == "silences"


# ------------------------------------------------------------------------------------------------
# Database-backed views. The candidate dwellings of the offers page are cached per territory
# for a few seconds (the offers page of a 20,000-dwelling territory must stay fast);
# a household's own data, proposals and decisions are always read fresh.
# ------------------------------------------------------------------------------------------------

import math  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Mapping, Sequence  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import case, func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from exchange.errors import InvalidInput, InvalidTerritory, NotFound  # noqa: E402

CACHE_SECONDS = 30.0
"""How long a territory's plain data is reused by the offers page (writes through the portal clear it)."""

OFFER_SORTS = ("cost", "-cost", "-surface", "rooms", "commune")
KIND_LABELS = {"cycle": "Échange", "chain": "Chaîne de vacance"}
STATUS_LABELS = {
    "proposed": "en attente des réponses des ménages",
    "deciding": "en attente des décisions des CALEOL",
    "confirmed": "confirmée, déménagement programmé",
    "completed": "déménagement effectué",
    "failed": "abandonnée",
}
FAILURE_LABELS = {
    "refused": "un ménage a refusé",
    "no_answer": "un ménage n'a pas répondu dans le délai",
    "non_attribution": "une CALEOL n'a pas attribué le logement",
    "inadmissible": "une demande a été jugée irrecevable",
    "not_ranked_first": "un ménage n'a pas été classé premier",
    "condition_failed": "une condition suspensive n'a pas été remplie à temps",
    "withdrawn": "un ménage s'est désisté après avoir accepté",
}


@dataclass(frozen=True, slots=True)
class _Snapshot:
    code: str
    territory_id: int
    config: PolicyConfig
    dwellings: Mapping[str, Dwelling]  # candidate dwellings only (offered vacancies, requesting households')
    sector_names: Mapping[str, str]
    landlord_names: Mapping[str, str]
    candidates: tuple[tuple[DwellingCard, Dwelling, bool], ...]  # (card, plain, vacant), sorted by cost
    communes: tuple[str, ...]
    loaded_at: float


_cache: dict[str, _Snapshot] = {}
_cache_lock = threading.Lock()


def clear_cache(code: str | None = None) -> None:
    """Forget the cached plain data and statistics of one territory (or of all)."""
    with _cache_lock:
        if code is None:
            _cache.clear()
            _stats_cache.clear()
        else:
            _cache.pop(code, None)
            for key in [k for k in _stats_cache if k[0] == code]:
                _stats_cache.pop(key, None)


def _models() -> Any:
    from exchange import models

    return models


def _snapshot(session: Session, code: str) -> _Snapshot:
    now = time.monotonic()
    snap = _cache.get(code)
    if snap is not None and now - snap.loaded_at < CACHE_SECONDS:
        return snap
    with _cache_lock:
        snap = _cache.get(code)
        if snap is not None and time.monotonic() - snap.loaded_at < CACHE_SECONDS:
            return snap
        snap = _build_snapshot(session, code)
        _cache[code] = snap
        return snap


def plain_dwelling(row: Any) -> Dwelling:
    """The plain dwelling of an ORM row (its sector and landlord loaded)."""
    return Dwelling(
        ref=row.ref,
        landlord=row.landlord.code,
        sector=row.sector.code,
        commune=row.sector.commune,
        qpv=row.sector.qpv,
        rooms=row.rooms,
        surface_m2=row.surface_m2,
        floor=row.floor,
        elevator=row.elevator,
        accessibility=row.accessibility,
        rent=row.rent,
        charges=row.charges,
        lat=row.lat,
        lon=row.lon,
    )


def plain_household(row: Any) -> Household:
    """The plain household of an ORM row."""
    from matching.territory import Member, Point

    flags = frozenset(
        p for p in ("dalo", "handicap", "violence", "unfit_housing") if getattr(row, f"priority_{p}")
    )
    workplace = None if row.workplace_lat is None else Point(row.workplace_lat, row.workplace_lon)
    return Household(
        ref=row.ref,
        dwelling=row.dwelling.ref if row.dwelling is not None else None,
        members=tuple(Member(mb.role, mb.age) for mb in sorted(row.members, key=lambda mb: mb.position)),
        monthly_resources=row.monthly_resources,
        mobility=row.mobility,
        priority=flags,  # type: ignore[arg-type]
        workplace=workplace,
    )


def plain_request(row: Any, household_ref: str) -> Request:
    """The plain request of an ORM row."""
    return Request(
        household=household_ref,
        filed_on=row.filed_on,
        max_cost=row.max_cost,
        communes=frozenset(row.communes or ()),
        accept_qpv=row.accept_qpv,
        min_rooms=row.min_rooms,
        max_rooms=row.max_rooms,
    )


def _open_request_row(session: Session, household_id: int) -> Any:
    m = _models()
    return session.scalars(
        select(m.Request).where(m.Request.household_id == household_id, m.Request.status == "open")
    ).one_or_none()


def load_household(session: Session, household_id: int) -> tuple[Household, Dwelling, Request | None]:
    """A household, its current dwelling and its open request (if any), as plain data."""
    from sqlalchemy.orm import joinedload, selectinload

    m = _models()
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
    req = _open_request_row(session, household_id)
    return household, plain_dwelling(row.dwelling), None if req is None else plain_request(req, row.ref)


def _build_snapshot(session: Session, code: str) -> _Snapshot:
    from sqlalchemy.orm import joinedload

    from exchange.policy import policy_config

    m = _models()
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
        card = card_of(d, sector_names.get(d.sector, d.sector), landlord_names.get(d.landlord, d.landlord))
        candidates.append((card, d, bool(r.offered)))
    candidates.sort(key=lambda c: (c[0].cost, c[0].commune))
    return _Snapshot(
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
    m = _models()
    found = session.scalar(select(m.Territory.id).where(m.Territory.code == code))
    if found is None:
        raise NotFound(f"territoire inconnu : {code}")
    return int(found)


def _user_row(session: Session, account: Any) -> Any:
    row = session.get(_models().UserAccount, account.id)
    if row is None:
        raise NotFound("compte introuvable")
    return row


def territory_communes(session: Session, territory_id: int) -> list[str]:
    """Communes of the territory, sorted."""
    m = _models()
    for snap in list(_cache.values()):
        if snap.territory_id == territory_id:
            return list(snap.communes)
    return sorted(
        set(session.scalars(select(m.Sector.commune).where(m.Sector.territory_id == territory_id)).all())
    )


# Tenant: the household and its request ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProposalSummary:
    """One proposal in a household's list."""

    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    notified_on: date
    deadline: datetime
    to_card: DwellingCard
    awaiting_me: bool = False  # the proposal waits for this household's answer
    days_left: int = 0  # whole days until the deadline (0: the last day)


@dataclass(frozen=True, slots=True)
class ReplyRecord:
    """How a household answered its past proposals: ``answered`` of the ``asked`` within the deadline."""

    answered: int
    asked: int

    @property
    def label(self) -> str:
        """« 3 réponses dans le délai sur 4 propositions » (empty when no answer was ever due)."""
        if not self.asked:
            return ""
        plural = "s" if self.asked > 1 else ""
        return (
            f"{self.answered} réponse{'s' if self.answered > 1 else ''} dans le délai "
            f"sur {self.asked} proposition{plural}"
        )


def reply_record(session: Session, household_id: int) -> ReplyRecord:
    """The household's answers so far: a move counts once its answer is in (given, or silence recorded)."""
    return reply_records(session, [household_id])[household_id]


def reply_records(session: Session, household_ids: Sequence[int]) -> dict[int, ReplyRecord]:
    """:func:`reply_record` of each household, in one query."""
    from exchange.models.workflow import ProposalMove

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


@dataclass(frozen=True, slots=True)
class TenantOverview:
    """What the tenant's home page shows."""

    picture: HouseholdPicture
    request: RequestView | None
    live_proposal: ProposalSummary | None
    replies: ReplyRecord = ReplyRecord(0, 0)


def _fresh_household(session: Session, account: Any) -> tuple[Household, Dwelling, Request | None, _Snapshot]:
    """The household's own data read fresh (not from the cache), with the territory snapshot."""
    snap = _snapshot(session, account.territory_code)
    household, current, request = load_household(session, account.household_id)
    return household, current, request, snap


def _card(snap: _Snapshot, d: Dwelling) -> DwellingCard:
    return card_of(
        d, snap.sector_names.get(d.sector, d.sector), snap.landlord_names.get(d.landlord, d.landlord)
    )


def _request_view(session: Session, household_id: int) -> RequestView | None:
    m = _models()
    row = session.scalars(
        select(m.Request)
        .where(m.Request.household_id == household_id)
        .order_by((m.Request.status == "open").desc(), m.Request.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return RequestView(
        filed_on=row.filed_on,
        communes=tuple(sorted(row.communes or ())),
        min_rooms=row.min_rooms,
        max_rooms=row.max_rooms,
        max_cost=float(row.max_cost),
        accept_qpv=bool(row.accept_qpv),
        status=row.status,
        paused_why=row.paused_why,
        silences=int(row.silences or 0),
    )


def tenant_overview(session: Session, account: Any) -> TenantOverview:
    """The tenant's household, criteria, request and live proposal."""
    household, current, _request, snap = _fresh_household(session, account)
    picture = household_picture(household, current, _card(snap, current), snap.config)
    summaries = tenant_proposals(session, account)
    live = next((p for p in summaries if p.status in ("proposed", "deciding", "confirmed")), None)
    return TenantOverview(
        picture,
        _request_view(session, account.household_id),
        live,
        reply_record(session, account.household_id),
    )


@dataclass(frozen=True, slots=True)
class Wishes:
    """What a tenant asks for (souhaits de la demande)."""

    communes: tuple[str, ...]
    min_rooms: int | None
    max_rooms: int | None
    max_cost: float
    accept_qpv: bool


def wishes_from_json(data: Mapping[str, Any], communes: Sequence[str]) -> Wishes:
    """Validate API input into :class:`Wishes`; raises :class:`InvalidInput` naming each bad field."""
    messages: dict[str, list[str]] = {}
    known = {"communes", "min_rooms", "max_rooms", "max_cost", "accept_qpv"}
    for key in sorted(set(data) - known):
        messages[key] = ["champ inconnu."]
    chosen = data.get("communes", [])
    if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
        messages["communes"] = ["liste de communes attendue."]
        chosen = []
    elif unknown := [c for c in chosen if c not in communes]:
        messages["communes"] = [f"commune inconnue : {', '.join(unknown)}."]
    rooms: dict[str, int | None] = {}
    for key in ("min_rooms", "max_rooms"):
        value = data.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10
        ):
            messages[key] = ["entier entre 1 et 10 attendu."]
            value = None
        rooms[key] = value
    lo, hi = rooms["min_rooms"], rooms["max_rooms"]
    if lo is not None and hi is not None and hi < lo:
        messages["max_rooms"] = ["doit être supérieur ou égal à min_rooms."]
    cost = data.get("max_cost")
    if isinstance(cost, bool) or not isinstance(cost, int | float) or not 0 < cost <= 10000:
        messages["max_cost"] = ["nombre entre 0 et 10 000 attendu."]
        cost = 0.0
    qpv = data.get("accept_qpv", True)
    if not isinstance(qpv, bool):
        messages["accept_qpv"] = ["true ou false attendu."]
    if messages:
        raise InvalidInput(messages)
    return Wishes(tuple(chosen), lo, hi, float(cost), bool(qpv))


def save_request(session: Session, account: Any, wishes: Wishes, *, today: date | None = None) -> bool:
    """File the household's request or update its wishes; True when a new request was filed.

    A paused request keeps its status: its wishes change, but only a confirmation (after lapsed
    proposals) or the landlord's review (after a rejection for inadmissibility) reopens it; filing a
    second request beside it would bypass both.
    """
    if wishes.min_rooms is not None and wishes.max_rooms is not None and wishes.max_rooms < wishes.min_rooms:
        raise InvalidInput({"max_rooms": ["doit être supérieur ou égal au minimum."]})
    m = _models()
    row = (
        _open_request_row(session, account.household_id)
        or session.scalars(
            select(m.Request)
            .where(m.Request.household_id == account.household_id, m.Request.status == "paused")
            .order_by(m.Request.id.desc())
            .limit(1)
        ).first()
    )
    created = row is None
    if row is None:
        household = session.get(m.Household, account.household_id)
        if household is None or household.dwelling_id is None:
            raise NotFound("ménage inconnu ou sans logement")
        row = m.Request(
            territory_id=household.territory_id,
            household_id=household.id,
            filed_on=today or date.today(),
            status="open",
        )
        session.add(row)
    row.communes = sorted(wishes.communes)
    row.min_rooms, row.max_rooms = wishes.min_rooms, wishes.max_rooms
    row.max_cost, row.accept_qpv = wishes.max_cost, wishes.accept_qpv
    session.flush()
    clear_cache(account.territory_code)
    return created


# Tenant: offers ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferFilters:
    """Filters, sort and page of the offers list."""

    commune: str | None = None
    rooms: int | None = None  # 6 means 6 and more
    max_cost: int | None = None
    accessible: bool = False
    compatible: bool = False
    sort: str = "cost"
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True, slots=True)
class OfferItem:
    """One anonymised offer and whether it suits the tenant's household."""

    card: DwellingCard
    vacant: bool
    compatible: bool


@dataclass(frozen=True, slots=True)
class OfferPage:
    """One page of offers."""

    items: tuple[OfferItem, ...]
    total: int
    page: int
    pages: int
    per_page: int
    compatible_total: int | None


_SORT_KEYS: dict[str, Any] = {
    "cost": lambda c: (c[0].cost, c[0].commune),
    "-cost": lambda c: (-c[0].cost, c[0].commune),
    "-surface": lambda c: (-c[0].surface_m2, c[0].cost),
    "rooms": lambda c: (c[0].rooms, c[0].cost),
    "commune": lambda c: (c[0].commune, c[0].cost),
}
_compat_cache: dict[tuple[Any, ...], frozenset[str]] = {}


def _compatible_refs(
    snap: _Snapshot,
    household: Household,
    current: Dwelling,
    request: Request | None,
    excluded: frozenset[str],
) -> frozenset[str]:
    if request is None:
        return frozenset()
    key = (snap.code, snap.loaded_at, household, request, excluded)
    found = _compat_cache.get(key)
    if found is None:
        found = frozenset(
            d.ref
            for _card_, d, _vacant in snap.candidates
            if d.ref != current.ref
            and compatible(household, request, current, d, snap.config, excluded=d.ref in excluded)
        )
        if len(_compat_cache) > 512:
            _compat_cache.clear()
        _compat_cache[key] = found
    return found


def _excluded_refs(session: Session, household_id: int) -> frozenset[str]:
    m = _models()
    return frozenset(
        session.scalars(
            select(m.Dwelling.ref)
            .join(m.Exclusion, m.Exclusion.dwelling_id == m.Dwelling.id)
            .where(m.Exclusion.household_id == household_id)
        ).all()
    )


_Candidate = tuple[DwellingCard, Dwelling, bool]


def _offer_checks(filters: OfferFilters, fits: frozenset[str]) -> list[Callable[[_Candidate], bool]]:
    """One predicate per active filter of the offers list."""
    checks: list[Callable[[_Candidate], bool]] = []
    if filters.commune is not None:
        commune = filters.commune
        checks.append(lambda c: c[0].commune == commune)
    if filters.rooms is not None:
        rooms = filters.rooms
        checks.append(lambda c: c[0].rooms == rooms or (rooms >= 6 and c[0].rooms >= 6))
    if filters.max_cost is not None:
        max_cost = filters.max_cost
        checks.append(lambda c: c[0].cost <= max_cost)
    if filters.accessible:
        checks.append(lambda c: c[0].accessibility != "none" or c[0].floor == 0 or c[0].elevator)
    if filters.compatible:
        checks.append(lambda c: c[1].ref in fits)
    return checks


def list_offers(session: Session, account: Any, filters: OfferFilters) -> OfferPage:
    """Dwellings of requesting households and offered vacancies, anonymised, filtered, sorted, paged."""
    household, current, request, snap = _fresh_household(session, account)
    excluded = _excluded_refs(session, account.household_id)
    fits = _compatible_refs(snap, household, current, request, excluded)
    rows: Sequence[tuple[DwellingCard, Dwelling, bool]] = snap.candidates
    if filters.sort != "cost":
        rows = sorted(rows, key=_SORT_KEYS.get(filters.sort, _SORT_KEYS["cost"]))
    # Only the active filters are tested on each of the (thousands of) candidates: the default page
    # (no filter) is the most requested one.
    checks = _offer_checks(filters, fits)
    own = current.ref
    if checks:
        selected = [c for c in rows if c[1].ref != own and all(check(c) for check in checks)]
    else:
        selected = [c for c in rows if c[1].ref != own]
    per_page = max(1, filters.per_page)
    pages = max(1, math.ceil(len(selected) / per_page))
    page = min(max(1, filters.page), pages)
    chunk = selected[(page - 1) * per_page : page * per_page]
    items = tuple(OfferItem(card, vacant, d.ref in fits) for card, d, vacant in chunk)
    return OfferPage(items, len(selected), page, pages, per_page, len(fits) if request is not None else None)


# Tenant: proposals ------------------------------------------------------------------------------


def refusal_reasons() -> list[tuple[str, str]]:
    """The fixed refusal reasons a household may give (DOMAIN.md §2.2), as (code, French label)."""
    from exchange.workflow import REFUSAL_LABELS

    return [
        (code, label[0].upper() + label[1:]) for code, label in REFUSAL_LABELS.items() if code != "no_answer"
    ]


def decision_kinds() -> list[tuple[str, str]]:
    """The R.441-3 decision kinds, as (code, French label)."""
    from exchange.workflow import DECISION_LABELS

    return [(code, label[0].upper() + label[1:]) for code, label in DECISION_LABELS.items()]


def _deadline(day: date) -> datetime:
    return datetime.combine(day, datetime.max.time()).replace(microsecond=0)


def _dwelling_refs(session: Session, ids: set[int]) -> dict[int, str]:
    m = _models()
    return dict(session.execute(select(m.Dwelling.id, m.Dwelling.ref).where(m.Dwelling.id.in_(ids))).all())


def _dwelling_by_id(session: Session, snap: _Snapshot, ids: set[int]) -> dict[int, Dwelling]:
    """Plain dwellings by id, read fresh (a proposal's dwellings may no longer be candidates)."""
    from sqlalchemy.orm import joinedload

    m = _models()
    rows = session.scalars(
        select(m.Dwelling)
        .options(joinedload(m.Dwelling.sector), joinedload(m.Dwelling.landlord))
        .where(m.Dwelling.id.in_(ids))
    ).all()
    return {r.id: plain_dwelling(r) for r in rows}


def tenant_proposals(session: Session, account: Any, *, today: date | None = None) -> list[ProposalSummary]:
    """The household's proposals, newest first."""
    from exchange import workflow

    today = today or date.today()
    snap = _snapshot(session, account.territory_code)
    proposals = workflow.proposals_of_household(session, account.household_id)
    mine = [next(mv for mv in p.moves if mv.household_id == account.household_id) for p in proposals]
    by_id = _dwelling_by_id(session, snap, {mv.to_dwelling_id for mv in mine})
    return [
        ProposalSummary(
            p.id,
            p.kind,
            KIND_LABELS.get(p.kind, p.kind),
            p.status,
            STATUS_LABELS.get(p.status, p.status),
            p.notified_on,
            _deadline(p.answer_deadline),
            _card(snap, by_id[mv.to_dwelling_id]),
            awaiting_me=p.status == "proposed" and mv.answer is None and today <= p.answer_deadline,
            days_left=max(0, (p.answer_deadline - today).days),
        )
        for p, mv in zip(proposals, mine, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class ChainStep:
    """One anonymised move of a proposal as the households see it."""

    label: str
    is_me: bool
    from_card: DwellingCard
    to_card: DwellingCard
    vacant_start: bool
    answer_label: str


@dataclass(frozen=True, slots=True)
class MyMove:
    """The tenant's own move: both dwellings and why it was proposed."""

    from_card: DwellingCard
    to_card: DwellingCard
    points: int
    why: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TrackerStep:
    """One step of the tracker: label, state (done, current, failed, todo) and a note."""

    label: str
    state: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class ProposalDetail:
    """A proposal as one of its households sees it (anonymised, DOMAIN.md §5)."""

    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    notified_on: date
    deadline: datetime
    time_left: timedelta
    move_date: date | None
    can_answer: bool
    my_answer: str | None
    mine: MyMove
    steps: tuple[ChainStep, ...]
    tracker: tuple[TrackerStep, ...]
    can_withdraw: bool = False  # accepted, and the proposal is still live: the household may withdraw


def points_lines(detail: Mapping[str, Any]) -> list[str]:
    """The points of a move explained in French, from the stored breakdown.

    >>> detail = {"base": 100, "criteria": {"overcrowding": 50}, "seniority": 3, "seniority_months": 3}
    >>> points_lines(detail)[1]
    '50 points : le critère « suroccupation » est résolu.'
    """
    lines = [f"{detail.get('base', 0)} points : tout mouvement qui aboutit."]
    for code, pts in (detail.get("criteria") or {}).items():
        lines.append(f"{pts} points : le critère « {CRITERION_LABELS.get(code, code).lower()} » est résolu.")
    for code, pts in (detail.get("priorities") or {}).items():
        lines.append(f"{pts} points : situation prioritaire ({PRIORITY_LABELS.get(code, code)}).")
    months = detail.get("seniority_months", 0)
    lines.append(f"{detail.get('seniority', 0)} points : ancienneté de la demande ({months} mois complets).")
    return lines


def why_lines(
    detail: Mapping[str, Any], criteria_before: Sequence[str], criteria_after: Sequence[str]
) -> list[str]:
    """Why a move was proposed to its household: the points, then what stays true."""
    lines = points_lines(detail)
    if not criteria_before:
        lines.append("Votre demande est une demande de confort : aucun critère n'était rempli.")
    remaining = [CRITERION_LABELS.get(c, c).lower() for c in criteria_after]
    if remaining:
        lines.append(f"Critère qui resterait rempli : {', '.join(remaining)}.")
    return lines


def _answer_label(move: Any) -> str:
    if move.answer == "accepted":
        return "A accepté"
    if move.answer == "refused":
        return "A refusé" if move.refusal_reason != "no_answer" else "N'a pas répondu à temps"
    return "N'a pas encore répondu"


def _tracker(proposal: Any, now: datetime) -> tuple[TrackerStep, ...]:
    moves = list(proposal.moves)
    waiting = sum(1 for mv in moves if mv.answer is None)
    status = proposal.status
    failed = status == "failed"
    answered_done = status in ("deciding", "confirmed", "completed") or (failed and waiting == 0)
    left = _deadline(proposal.answer_deadline) - now
    steps = [TrackerStep("Proposition envoyée", "done", f"le {proposal.notified_on:%d/%m/%Y}")]
    if status == "proposed":
        steps.append(
            TrackerStep(
                "Réponses des ménages",
                "current",
                f"{waiting} ménage(s) sur {len(moves)} n'ont pas encore répondu ; "
                f"délai : {max(left, timedelta(0)).days} jour(s) restant(s)",
            )
        )
    else:
        steps.append(
            TrackerStep(
                "Réponses des ménages",
                "done" if answered_done else "failed",
                "tous les ménages ont accepté" if answered_done and not failed else "",
            )
        )
    decided = sum(1 for mv in moves if mv.decision is not None)
    if status == "deciding":
        due = [mv.decision_due for mv in moves if mv.decision is None and mv.decision_due]
        note = f"{len(moves) - decided} décision(s) attendue(s) sur {len(moves)}"
        if due:
            note += f", au plus tard le {min(due):%d/%m/%Y}"
        steps.append(TrackerStep("Décisions des CALEOL", "current", note))
    elif status in ("confirmed", "completed"):
        steps.append(TrackerStep("Décisions des CALEOL", "done", "tous les logements sont attribués"))
    else:
        steps.append(TrackerStep("Décisions des CALEOL", "failed" if failed and answered_done else "todo"))
    if status == "confirmed":
        steps.append(
            TrackerStep(
                "Déménagement",
                "current",
                f"prévu le {proposal.move_date:%d/%m/%Y}" if proposal.move_date else "",
            )
        )
    elif status == "completed":
        steps.append(TrackerStep("Déménagement", "done", "effectué"))
    else:
        steps.append(TrackerStep("Déménagement", "todo"))
    if failed:
        steps.append(
            TrackerStep(
                "Proposition abandonnée",
                "failed",
                FAILURE_LABELS.get(proposal.failure or "", proposal.failure or "")
                + " ; les autres ménages restent candidats aux prochains appariements",
            )
        )
    return tuple(steps)


def _household_proposal(session: Session, account: Any, proposal_id: int) -> tuple[Any, Any]:
    from exchange.models.workflow import Proposal

    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"proposition inconnue : {proposal_id}")
    mine = next((mv for mv in proposal.moves if mv.household_id == account.household_id), None)
    if mine is None:
        raise NotFound(f"proposition inconnue : {proposal_id}")  # not theirs: same answer as unknown
    return proposal, mine


def tenant_proposal(
    session: Session, account: Any, proposal_id: int, *, now: datetime | None = None
) -> ProposalDetail:
    """One proposal of the household; :class:`NotFound` if the household is not in it."""
    at = now or datetime.now()
    proposal, mine = _household_proposal(session, account, proposal_id)
    snap = _snapshot(session, account.territory_code)
    ids = {mv.from_dwelling_id for mv in proposal.moves} | {mv.to_dwelling_id for mv in proposal.moves}
    by_id = _dwelling_by_id(session, snap, ids)
    from_ids = {mv.from_dwelling_id for mv in proposal.moves}
    letters = iter("ABCDEFGHIJ")
    steps = tuple(
        ChainStep(
            label="vous" if mv.household_id == account.household_id else next(letters),
            is_me=mv.household_id == account.household_id,
            from_card=_card(snap, by_id[mv.from_dwelling_id]),
            to_card=_card(snap, by_id[mv.to_dwelling_id]),
            vacant_start=mv.to_dwelling_id not in from_ids,
            answer_label=_answer_label(mv),
        )
        for mv in proposal.moves
    )
    deadline = _deadline(proposal.answer_deadline)
    my_answer = None
    if mine.answer == "accepted":
        my_answer = "vous avez accepté"
    elif mine.answer == "refused":
        my_answer = "vous avez refusé"
    return ProposalDetail(
        id=proposal.id,
        kind=proposal.kind,
        kind_label=KIND_LABELS.get(proposal.kind, proposal.kind),
        status=proposal.status,
        status_label=STATUS_LABELS.get(proposal.status, proposal.status),
        notified_on=proposal.notified_on,
        deadline=deadline,
        time_left=deadline - at,
        move_date=proposal.move_date,
        can_answer=proposal.status == "proposed" and mine.answer is None and at <= deadline,
        my_answer=my_answer,
        mine=MyMove(
            _card(snap, by_id[mine.from_dwelling_id]),
            _card(snap, by_id[mine.to_dwelling_id]),
            mine.points,
            tuple(why_lines(mine.points_detail or {}, mine.criteria_before or [], mine.criteria_after or [])),
        ),
        steps=steps,
        tracker=_tracker(proposal, at),
        can_withdraw=proposal.live and mine.answer == "accepted",
    )


def confirm_request(session: Session, account: Any) -> None:
    """The household confirms its request, paused after lapsed proposals (workflow service)."""
    from exchange import workflow

    workflow.confirm_request(session, account.household_id, _user_row(session, account))
    clear_cache(account.territory_code)


def withdraw(
    session: Session, account: Any, proposal_id: int, *, reason: str | None, comment: str | None
) -> None:
    """The household withdraws from a proposal it accepted (workflow service)."""
    from exchange import workflow

    _proposal, mine = _household_proposal(session, account, proposal_id)
    try:
        workflow.withdraw_move(session, mine, _user_row(session, account), reason=reason or "", note=comment)
    except ValueError as exc:
        field = "comment" if str(exc).startswith("note") else "reason"
        raise InvalidInput({field: [str(exc).partition(":")[2].strip() or str(exc)]}) from exc
    clear_cache(account.territory_code)


def answer(
    session: Session,
    account: Any,
    proposal_id: int,
    *,
    accepted: bool,
    reason: str | None,
    comment: str | None,
) -> None:
    """The household accepts or refuses its move in the proposal (workflow service)."""
    from exchange import workflow

    _proposal, mine = _household_proposal(session, account, proposal_id)
    try:
        workflow.answer_move(
            session,
            mine,
            _user_row(session, account),
            accepted=accepted,
            reason=None if accepted else reason,
            note=comment,
        )
    except ValueError as exc:
        raise InvalidInput({"reason": [str(exc).partition(":")[2].strip() or str(exc)]}) from exc
    clear_cache(account.territory_code)


# CALEOL -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A move waiting for the staff's CALEOL."""

    move_id: int
    proposal_id: int
    household_ref: str
    household_size: int
    dwelling_ref: str
    to_card: DwellingCard
    points: int
    decision_due: date | None
    overdue: bool


@dataclass(frozen=True, slots=True)
class DecisionView:
    """A recorded decision."""

    kind: str
    kind_label: str
    reason: str
    decided_on: date
    rank: int | None
    condition: str | None
    condition_due: date | None
    condition_status: str | None


@dataclass(frozen=True, slots=True)
class Dossier:
    """Everything the destination CALEOL needs on one move (DOMAIN.md §5: it may see the household)."""

    move_id: int
    proposal_id: int
    kind_label: str
    size: int
    status: str
    status_label: str
    household_ref: str
    members: tuple[tuple[str, int], ...]
    resources: float
    effort_rate: float
    mobility: str
    priorities: tuple[str, ...]
    job_distance: str
    from_ref: str
    dwelling_ref: str
    from_card: DwellingCard
    to_card: DwellingCard
    criteria_before: tuple[str, ...]
    criteria_after: tuple[str, ...]
    points: int
    points_lines: tuple[str, ...]
    decision_due: date | None
    overdue: bool
    can_decide: bool
    decision: DecisionView | None
    replies: ReplyRecord = ReplyRecord(0, 0)


def _household_refs(session: Session, ids: set[int]) -> dict[int, str]:
    m = _models()
    return dict(session.execute(select(m.Household.id, m.Household.ref).where(m.Household.id.in_(ids))).all())


def committee_queue(session: Session, account: Any, *, today: date | None = None) -> list[QueueItem]:
    """Moves into the staff's landlord's dwellings awaiting a decision, overdue first."""
    from exchange import workflow

    day = today or date.today()
    snap = _snapshot(session, account.territory_code)
    moves = workflow.landlord_queue(session, account.landlord_id)
    m = _models()
    dwellings = _dwelling_by_id(session, snap, {mv.to_dwelling_id for mv in moves})
    households = _household_refs(session, {mv.household_id for mv in moves})
    sizes: dict[int, int] = dict(
        session.execute(
            select(m.HouseholdMember.household_id, func.count())
            .where(m.HouseholdMember.household_id.in_({mv.household_id for mv in moves}))
            .group_by(m.HouseholdMember.household_id)
        ).all()
    )
    items = [
        QueueItem(
            mv.id,
            mv.proposal_id,
            households[mv.household_id],
            int(sizes.get(mv.household_id, 0)),
            dwellings[mv.to_dwelling_id].ref,
            _card(snap, dwellings[mv.to_dwelling_id]),
            mv.points,
            mv.decision_due,
            workflow.is_overdue(mv, day),
        )
        for mv in moves
    ]
    items.sort(key=lambda q: (not q.overdue, q.decision_due or date.max, q.move_id))
    return items


def _staff_move(session: Session, account: Any, move_id: int) -> Any:
    from exchange import workflow

    m = _models()
    try:
        move = workflow.get_move(session, move_id)
    except NotFound:
        raise
    landlord_id = session.scalar(select(m.Dwelling.landlord_id).where(m.Dwelling.id == move.to_dwelling_id))
    if account.role != "staff" or landlord_id != account.landlord_id:
        raise NotFound(f"mouvement inconnu : {move_id}")  # another landlord's move: as if it did not exist
    return move


def _decision_view(decision: Any) -> DecisionView | None:
    from exchange.workflow import DECISION_LABELS

    if decision is None:
        return None
    return DecisionView(
        decision.kind,
        DECISION_LABELS.get(decision.kind, decision.kind),
        decision.reason,
        decision.decided_on,
        decision.rank,
        decision.condition,
        decision.condition_due,
        decision.condition_status,
    )


def move_dossier(session: Session, account: Any, move_id: int, *, today: date | None = None) -> Dossier:
    """The dossier of a move into the staff's landlord's dwellings; :class:`NotFound` otherwise."""
    from exchange import workflow

    m = _models()
    day = today or date.today()
    move = _staff_move(session, account, move_id)
    proposal = move.proposal
    snap = _snapshot(session, account.territory_code)
    row = session.get(m.Household, move.household_id)
    if row is None:
        raise NotFound(f"mouvement inconnu : {move_id}")
    household = plain_household(row)
    by_id = _dwelling_by_id(session, snap, {move.from_dwelling_id, move.to_dwelling_id})
    current, target = by_id[move.from_dwelling_id], by_id[move.to_dwelling_id]
    distance = rules.work_distance_km(household, target, snap.config)
    if distance is None:
        job = "pas de lieu de travail déclaré"
    elif distance > snap.config.job_distance_km:
        job = "le logement proposé resterait trop loin du lieu de travail"
    else:
        job = "le logement proposé est à distance raisonnable du lieu de travail"
    detail = move.points_detail or {}
    return Dossier(
        move_id=move.id,
        proposal_id=proposal.id,
        kind_label=KIND_LABELS.get(proposal.kind, proposal.kind),
        size=len(proposal.moves),
        status=proposal.status,
        status_label=STATUS_LABELS.get(proposal.status, ""),
        household_ref=household.ref,
        members=tuple((ROLE_LABELS.get(mb.role, mb.role), mb.age) for mb in household.members),
        resources=household.monthly_resources,
        effort_rate=round(100 * target.cost / household.monthly_resources, 1)
        if household.monthly_resources
        else 0.0,
        mobility=MOBILITY_LABELS.get(household.mobility, household.mobility),
        priorities=tuple(PRIORITY_LABELS.get(p, p) for p in sorted(household.priority)),
        job_distance=job,
        from_ref=current.ref,
        dwelling_ref=target.ref,
        from_card=_card(snap, current),
        to_card=_card(snap, target),
        criteria_before=tuple(CRITERION_LABELS.get(c, c) for c in move.criteria_before or ()),
        criteria_after=tuple(CRITERION_LABELS.get(c, c) for c in move.criteria_after or ()),
        points=move.points,
        points_lines=tuple(points_lines(detail)),
        decision_due=move.decision_due,
        overdue=workflow.is_overdue(move, day),
        can_decide=proposal.status == "deciding" and move.decision is None,
        decision=_decision_view(move.decision),
        replies=reply_record(session, move.household_id),
    )


def decide(
    session: Session,
    account: Any,
    move_id: int,
    *,
    kind: str,
    reason: str,
    rank: int | None = None,
    condition: str | None = None,
    condition_due: date | None = None,
) -> None:
    """Record the CALEOL decision on a move into the staff's landlord's dwelling (workflow service)."""
    from exchange import workflow

    move = _staff_move(session, account, move_id)
    try:
        workflow.decide_move(
            session,
            move,
            _user_row(session, account),
            kind=kind,
            reason=reason,
            rank=rank,
            condition=condition,
            condition_due=condition_due,
        )
    except ValueError as exc:
        name, _, message = str(exc).partition(":")
        raise InvalidInput({name.strip(): [message.strip() or str(exc)]}) from exc
    clear_cache(account.territory_code)


@dataclass(frozen=True, slots=True)
class MinutesRow:
    """One decision in the minutes."""

    decided_on: date
    move_id: int
    household_ref: str
    dwelling_ref: str
    typology: str
    commune: str
    kind_label: str
    reason: str
    condition_due: date | None


@dataclass(frozen=True, slots=True)
class Minutes:
    """The minutes (procès-verbal) of a CALEOL session: its decisions between two dates."""

    landlord: str
    start: date
    end: date
    rows: tuple[MinutesRow, ...]
    summary: tuple[tuple[str, int], ...]


def session_minutes(session: Session, account: Any, start: date, end: date) -> Minutes:
    """Decisions of the staff's landlord's CALEOL from ``start`` to ``end`` (inclusive)."""
    from exchange.models.workflow import CommitteeDecision, ProposalMove
    from exchange.workflow import DECISION_LABELS

    m = _models()
    rows = session.execute(
        select(CommitteeDecision, ProposalMove, m.Dwelling, m.Household.ref, m.Sector.commune)
        .join(ProposalMove, ProposalMove.id == CommitteeDecision.move_id)
        .join(m.Dwelling, m.Dwelling.id == ProposalMove.to_dwelling_id)
        .join(m.Sector, m.Sector.id == m.Dwelling.sector_id)
        .join(m.Household, m.Household.id == ProposalMove.household_id)
        .where(
            CommitteeDecision.landlord_id == account.landlord_id,
            CommitteeDecision.decided_on >= start,
            CommitteeDecision.decided_on <= end,
        )
        .order_by(CommitteeDecision.decided_on, CommitteeDecision.id)
    ).all()
    out = tuple(
        MinutesRow(
            d.decided_on,
            mv.id,
            href,
            dw.ref,
            f"T{dw.rooms}",
            commune,
            DECISION_LABELS.get(d.kind, d.kind),
            d.reason,
            d.condition_due,
        )
        for d, mv, dw, href, commune in rows
    )
    counts: dict[str, int] = {}
    for r in out:
        counts[r.kind_label] = counts.get(r.kind_label, 0) + 1
    landlord = session.scalar(select(m.Landlord.name).where(m.Landlord.id == account.landlord_id)) or ""
    return Minutes(landlord, start, end, out, tuple(sorted(counts.items())))


# Territory --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TerritoryInfo:
    """Key figures of a territory."""

    code: str
    name: str
    landlords: int
    dwellings: int
    households: int
    open_requests: int
    offers: int
    live_proposals: int
    last_run_id: int | None
    last_run_at: datetime | None


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def territory_overview(session: Session, account: Any) -> TerritoryInfo:
    """Counts of the admin's territory."""
    from exchange.models.workflow import Proposal, Run

    m = _models()
    tid = account.territory_id
    territory = session.get(m.Territory, tid)
    if territory is None:
        raise NotFound("territoire inconnu")
    last = session.scalars(
        select(Run).where(Run.territory_id == tid).order_by(Run.id.desc()).limit(1)
    ).first()
    return TerritoryInfo(
        code=territory.code,
        name=territory.name,
        landlords=_count(session, m.Landlord, m.Landlord.territory_id == tid),
        dwellings=_count(session, m.Dwelling, m.Dwelling.territory_id == tid),
        households=_count(session, m.Household, m.Household.territory_id == tid),
        open_requests=_count(session, m.Request, m.Request.territory_id == tid, m.Request.status == "open"),
        offers=_count(session, m.Dwelling, m.Dwelling.territory_id == tid, m.Dwelling.offered.is_(True)),
        live_proposals=_count(
            session,
            Proposal,
            Proposal.territory_id == tid,
            Proposal.status.in_(("proposed", "deciding", "confirmed")),
        ),
        last_run_id=None if last is None else last.id,
        last_run_at=None if last is None else last.finished_at,
    )


def import_document(session: Session, account: Any, document: Any) -> str:
    """Import a territory document of the admin's own territory (all or nothing); its French summary line.

    Raises :class:`InvalidTerritory` (messages by field path) before anything is written.
    """
    from exchange import interchange

    if not isinstance(document, dict):
        raise InvalidTerritory({"(document)": ["un objet JSON est attendu"]})
    territory = document.get("territory")
    code = territory.get("code") if isinstance(territory, dict) else None
    if code != account.territory_code:
        raise InvalidTerritory(
            {
                "territory.code": [
                    f"le document concerne le territoire {code!r}, "
                    f"vous administrez {account.territory_code!r}"
                ]
            }
        )
    summary = interchange.import_document(session, document)
    clear_cache(account.territory_code)
    return summary.line()


def policy_defaults() -> dict[str, Any]:
    """POLICY.md's default settings."""
    return PolicyConfig().to_dict()


def policy_settings(session: Session, account: Any) -> dict[str, Any]:
    """The admin's territory's current settings (every key)."""
    from exchange.policy import policy_config

    return policy_config(session, account.territory_code).to_dict()


def save_policy(session: Session, account: Any, values: Mapping[str, Any]) -> None:
    """Validate and store settings; raises :class:`exchange.policy.InvalidPolicy` (messages per setting)."""
    from exchange.policy import update_policy

    update_policy(session, account.territory_code, dict(values))
    clear_cache(account.territory_code)


RUN_STATUS_LABELS = {
    "optimal": "optimal (meilleure solution prouvée)",
    "feasible": "réalisable (temps de calcul épuisé avant la preuve d'optimalité)",
    "unknown": "indéterminé",
}


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run in the list."""

    id: int
    as_of: date
    status: str
    proposal_count: int
    move_count: int
    objective: int

    @property
    def status_label(self) -> str:
        """The solver status in French."""
        return RUN_STATUS_LABELS.get(self.status, self.status)


@dataclass(frozen=True, slots=True)
class ProposalRow:
    """One proposal of a run report."""

    id: int
    kind_label: str
    size: int
    points: int
    status_label: str


@dataclass(frozen=True, slots=True)
class RunReport:
    """A run's report: facts in French and its proposals."""

    id: int
    facts: tuple[tuple[str, str], ...]
    proposals: tuple[ProposalRow, ...]


def list_runs(session: Session, account: Any) -> list[RunRow]:
    """The territory's latest runs."""
    from exchange import runs

    return [
        RunRow(r.id, r.as_of, r.status, r.proposal_count, r.move_count, r.objective)
        for r in runs.list_runs(session, account.territory_id)
    ]


def run_report(session: Session, account: Any, run_id: int) -> RunReport:
    """One run of the admin's territory; :class:`NotFound` otherwise."""
    from exchange.models.workflow import Run

    run = session.get(Run, run_id)
    if run is None or run.territory_id != account.territory_id:
        raise NotFound(f"calcul inconnu : {run_id}")
    seconds = sum(
        v for k, v in (run.timings or {}).items() if k.endswith("_s") and not k.startswith("solver_")
    )
    facts = (
        ("Date de référence", run.as_of.strftime("%d/%m/%Y")),
        ("Statut du solveur", RUN_STATUS_LABELS.get(run.status, run.status)),
        ("Demandes examinées", str(run.requests)),
        ("Logements vacants proposés", str(run.vacancies)),
        ("Mouvements possibles (arcs)", str(run.arcs)),
        ("Ménages laissés de côté (déjà dans une proposition)", str(run.skipped_households)),
        ("Propositions", str(run.proposal_count)),
        ("Mouvements proposés", str(run.move_count)),
        ("Points (objectif)", str(run.objective)),
        ("Borne", f"{run.bound:.0f}"),
        ("Durée", f"{seconds:.2f} s".replace(".", ",")),
    )
    proposals = tuple(
        ProposalRow(
            p.id,
            KIND_LABELS.get(p.kind, p.kind),
            len(p.moves),
            p.points,
            STATUS_LABELS.get(p.status, p.status),
        )
        for p in run.proposals
    )
    return RunReport(run.id, facts, proposals)


@dataclass(frozen=True, slots=True)
class StatsSection:
    """One table (and maybe a chart) of the statistics page."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    chart: str | None = None
    chart_alt: str = ""


@dataclass(frozen=True, slots=True)
class StatsView:
    """The statistics page."""

    years: tuple[int, ...]
    sections: tuple[StatsSection, ...]


STAT_LABELS = {
    "made": "faites",
    "accepted": "acceptées",
    "confirmed": "confirmées",
    "completed": "réalisées",
    "failed": "échouées",
    "live": "en cours",
    "cycle": "échanges",
    "chain": "chaînes",
    "refused": "refusées",
    "convenience": "demandes de confort",
    "out_of": "sorties de QPV",
    "into": "entrées en QPV",
    "within": "au sein des QPV",
    "outside": "hors QPV",
    "median": "médiane",
    "q1": "premier quartile",
    "q3": "troisième quartile",
    "n": "nombre",
    **CRITERION_LABELS,
}


def _stat_label(key: str) -> str:
    from exchange.workflow import DECISION_LABELS, REFUSAL_LABELS

    label = (
        STAT_LABELS.get(key) or DECISION_LABELS.get(key) or REFUSAL_LABELS.get(key) or FAILURE_LABELS.get(key)
    )
    return label or key.replace("_", " ")


_stats_cache: dict[tuple[str, int | None], tuple[float, Any]] = {}


def _figures(session: Session, code: str, year: int | None) -> Any:
    """The territory's statistics, reused for a few seconds (the page and its charts ask together)."""
    from exchange import stats as stats_module

    hit = _stats_cache.get((code, year))
    if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    figures = stats_module.compute_stats(session, code, year=year)
    _stats_cache[(code, year)] = (time.monotonic(), figures)
    return figures


def _chart_series(stats: Any) -> dict[str, tuple[str, Mapping[str, Any]]]:
    return {
        "propositions": (
            "Propositions",
            {k: stats.proposals.get(k, 0) for k in ("made", "accepted", "confirmed", "completed", "failed")},
        ),
        "motifs-de-refus": ("Motifs de refus", stats.refusal_reasons),
        "decisions-caleol": ("Décisions de CALEOL", stats.decisions_by_kind),
        "demandes-par-critere": ("Demandes ouvertes par critère", stats.open_requests_by_criterion),
    }


def stats_view(session: Session, account: Any, *, year: int | None) -> StatsView:
    """Tables of the housing conference's figures, with chart names."""
    from exchange.models.workflow import Proposal

    figures = _figures(session, account.territory_code, year)
    years = sorted(
        {
            d.year
            for d in session.scalars(
                select(Proposal.notified_on).where(Proposal.territory_id == account.territory_id)
            ).all()
        }
        | {date.today().year}
    )
    sections: list[StatsSection] = []
    for name, (title, values) in _chart_series(figures).items():
        rows = tuple((_stat_label(k), str(v)) for k, v in values.items())
        alt = f"Diagramme en barres : {title.lower()} — " + ", ".join(f"{a} {b}" for a, b in rows)
        sections.append(StatsSection(title, ("Indicateur", "Nombre"), rows, name if rows else None, alt))
    sections.append(
        StatsSection(
            "Échecs",
            ("Cause", "Nombre"),
            tuple((_stat_label(k), str(v)) for k, v in figures.failures.items()),
        )
    )
    sections.append(
        StatsSection(
            "Réponses des ménages",
            ("Réponse", "Nombre"),
            (
                *((_stat_label(k), str(v)) for k, v in figures.answers.items()),
                ("silences", str(figures.silences)),
            ),
        )
    )
    codes = sorted(set(figures.flows) | {d for row in figures.flows.values() for d in row})
    sections.append(
        StatsSection(
            "Flux entre bailleurs (départ → arrivée)",
            ("Départ", *codes),
            tuple((s, *(str(figures.flows.get(s, {}).get(d, 0)) for d in codes)) for s in codes),
        )
    )
    sections.append(
        StatsSection(
            "QPV", ("Mouvement", "Nombre"), tuple((_stat_label(k), str(v)) for k, v in figures.qpv.items())
        )
    )
    delay = figures.delay_request_to_move_days
    sections.append(
        StatsSection(
            "Délai de la demande au déménagement (jours)",
            ("Mesure", "Valeur"),
            tuple((_stat_label(k), "—" if v is None else f"{v:g}") for k, v in delay.items()),
        )
    )
    keys = sorted({k for e in figures.per_landlord.values() for k in e})
    sections.append(
        StatsSection(
            "Par bailleur",
            ("Bailleur", *(_stat_label(k) for k in keys)),
            tuple((c, *(str(e.get(k, 0)) for k in keys)) for c, e in figures.per_landlord.items()),
        )
    )
    return StatsView(tuple(years), tuple(sections))


def stats_data(session: Session, account: Any, *, year: int | None) -> dict[str, Any]:
    """The figures as plain JSON data."""
    from exchange import stats as stats_module

    data: dict[str, Any] = stats_module.compute_stats(session, account.territory_code, year=year).to_dict()
    return data


def stats_chart(session: Session, account: Any, name: str, *, year: int | None) -> str:
    """One bar chart of the figures as an SVG document (matplotlib)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figures = _figures(session, account.territory_code, year)
    series = _chart_series(figures)
    if name not in series:
        raise NotFound(f"graphique inconnu : {name}")
    title, values = series[name]
    fig = Figure(figsize=(7, 3.5))
    ax = fig.subplots()
    ax.barh([_stat_label(k) for k in values], list(values.values()), color="#0b4f9c")
    ax.invert_yaxis()
    ax.set_title(title)
    ax.set_xlabel("nombre")
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    return out.getvalue()
