"""What the portal shows a tenant (vues du locataire): anonymised cards and views, frozen, and their labels.

A :class:`DwellingCard` is what anyone may see of a dwelling (DOMAIN.md §5, first row): no ref, no
address. Tenant-facing views never carry names, addresses, the landlord's dwelling or tenant numbers,
nor another household's composition or resources. The staff's views are in :mod:`.staff_views`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from exchange import glossary
from matching.territory import Dwelling


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
        return f"{floor}{lift}, {glossary.ACCESSIBILITY.get(self.accessibility, self.accessibility)}"


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
    move_date: date | None = None  # set once every CALEOL attributed its dwelling


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


@dataclass(frozen=True, slots=True)
class TenantOverview:
    """What the tenant's home page shows."""

    picture: HouseholdPicture
    request: RequestView | None
    live_proposal: ProposalSummary | None
    replies: ReplyRecord = ReplyRecord(0, 0)


@dataclass(frozen=True, slots=True)
class Wishes:
    """What a tenant asks for (souhaits de la demande)."""

    communes: tuple[str, ...]
    min_rooms: int | None
    max_rooms: int | None
    max_cost: float
    accept_qpv: bool


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
    parties: tuple[TrackerStep, ...] = ()  # every party's step, anonymised (portal/tracker.py)


@dataclass(frozen=True, slots=True)
class PointsLine:
    """One part of a household's points (POLICY.md §4): its code, how many points, why in French."""

    code: str  # "base", a criterion, a priority flag, "seniority"
    points: int
    text: str


@dataclass(frozen=True, slots=True)
class WideningCount:
    """How many dwellings would fit if the household widened one wish, said in French."""

    wish: str  # matching.diagnosis.WISHES
    dwellings: int
    text: str


@dataclass(frozen=True, slots=True)
class MedianWait:
    """The median wait of similar requests, from filing to the move, or why there is no figure.

    ``comparison`` is ``criterion_typology``, ``criterion``, ``all`` or ``none`` (fewer comparable
    completed moves than the statistics' small-count threshold at every level); ``cases`` is 0 then.
    """

    comparison: str
    comparison_label: str
    cases: int
    months: int | None
    text: str
    definition: str


@dataclass(frozen=True, slots=True)
class TenantSituation:
    """« Ma situation »: what a tenant sees of itself (counts only, nothing of another household).

    Without an open or paused request, ``points`` is empty and the counts are None. ``fitting`` counts the
    candidate dwellings (POLICY.md §3) its rules allow; ``fitting_vacant`` those of them vacant and
    offered; ``fitting_swappable`` those whose occupant, also asking to move, could take its dwelling.
    """

    has_request: bool
    filed_on: date | None
    seniority_months: int | None  # full months since filing (not capped)
    points: tuple[PointsLine, ...]
    points_total: int | None
    points_low: int | None  # the least and most points of its allowed moves today
    points_high: int | None
    fitting: int | None
    fitting_vacant: int | None
    fitting_swappable: int | None
    widenings: tuple[WideningCount, ...]
    wait: MedianWait
    paused: bool = False  # the request is paused: it takes no part in the runs until it is open again
