"""Tables of the territory data (FORMAT.md): territory, landlord, sector, dwelling, household, request,
exclusion.

Invariants held by the database itself, not only by the import code: a dwelling houses at most one
household (``household.dwelling_id`` is UNIQUE); a household has at most one *open* request
(partial unique index ``uq_mutation_request_open_household``, on SQLite and PostgreSQL alike);
refs and codes are unique per territory; enums and ranges are CHECK constraints.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange.models.base import Base

__all__ = [
    "ACCESSIBILITY",
    "EXCLUSION_REASONS",
    "MOBILITY",
    "PAUSE_REASONS",
    "REQUEST_STATUSES",
    "ROLES",
    "Dwelling",
    "Exclusion",
    "Household",
    "HouseholdMember",
    "Landlord",
    "Request",
    "Sector",
    "Territory",
]

ACCESSIBILITY = ("none", "accessible", "adapted")
MOBILITY = ("none", "reduced", "wheelchair")
ROLES = ("head", "partner", "child", "other")
REQUEST_STATUSES = ("open", "closed", "paused")
PAUSE_REASONS = ("inadmissible", "silences")
"""inadmissible: a CALEOL found the demand inadmissible, the landlord reopens it after review;
silences: the household let too many proposals lapse, it confirms its request to reopen it."""
EXCLUSION_REASONS = ("imported", "refused", "rejected")
"""imported: listed by the territory document; refused: the household refused the move;
rejected: a committee (CALEOL) did not attribute the dwelling."""

_OPEN_WHERE = text("status = 'open'")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _utcnow() -> datetime:
    return datetime.now().replace(microsecond=0)


class Territory(Base):
    """A territory (territoire, e.g. an agglomeration) running one exchange.

    ``policy`` holds the settings of :class:`matching.config.PolicyConfig` that differ from
    POLICY.md's defaults (an empty dict means the defaults); see :mod:`exchange.settings`.
    """

    __tablename__ = "territory"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[date] = mapped_column(Date)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    landlords: Mapped[list[Landlord]] = relationship(back_populates="territory", order_by="Landlord.code")
    sectors: Mapped[list[Sector]] = relationship(back_populates="territory", order_by="Sector.code")


class Landlord(Base):
    """A social landlord (bailleur social)."""

    __tablename__ = "landlord"
    __table_args__ = (UniqueConstraint("territory_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))

    territory: Mapped[Territory] = relationship(back_populates="landlords")


class Sector(Base):
    """A sector (secteur) of one commune, inside a QPV (quartier prioritaire) or not."""

    __tablename__ = "sector"
    __table_args__ = (UniqueConstraint("territory_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    commune: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    qpv: Mapped[bool] = mapped_column(Boolean)

    territory: Mapped[Territory] = relationship(back_populates="sectors")


class Dwelling(Base):
    """A dwelling (logement); ``offered`` marks a vacant dwelling offered to the exchange."""

    __tablename__ = "dwelling"
    __table_args__ = (
        UniqueConstraint("territory_id", "ref"),
        CheckConstraint("rooms >= 1", name="rooms_min"),
        CheckConstraint("surface_m2 > 0", name="surface_positive"),
        CheckConstraint("floor >= 0", name="floor_min"),
        CheckConstraint(_in("accessibility", ACCESSIBILITY), name="accessibility"),
        CheckConstraint("rent >= 0", name="rent_min"),
        CheckConstraint("charges >= 0", name="charges_min"),
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
        CheckConstraint("lon BETWEEN -180 AND 180", name="lon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(64))
    landlord_id: Mapped[int] = mapped_column(ForeignKey("landlord.id"), index=True)
    sector_id: Mapped[int] = mapped_column(ForeignKey("sector.id"), index=True)
    rooms: Mapped[int] = mapped_column(Integer)
    surface_m2: Mapped[float] = mapped_column(Float)
    floor: Mapped[int] = mapped_column(Integer)
    elevator: Mapped[bool] = mapped_column(Boolean)
    accessibility: Mapped[str] = mapped_column(String(16))
    rent: Mapped[float] = mapped_column(Float)
    charges: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    offered: Mapped[bool] = mapped_column(Boolean, default=lambda: False)

    landlord: Mapped[Landlord] = relationship()
    sector: Mapped[Sector] = relationship()
    household: Mapped[Household | None] = relationship(back_populates="dwelling", uselist=False)


class Household(Base):
    """A household (ménage) living in ``dwelling`` (at most one household per dwelling)."""

    __tablename__ = "household"
    __table_args__ = (
        UniqueConstraint("territory_id", "ref"),
        UniqueConstraint("dwelling_id"),
        CheckConstraint("monthly_resources >= 0", name="resources_min"),
        CheckConstraint(_in("mobility", MOBILITY), name="mobility"),
        CheckConstraint("(workplace_lat IS NULL) = (workplace_lon IS NULL)", name="workplace_complete"),
        CheckConstraint("workplace_lat IS NULL OR workplace_lat BETWEEN -90 AND 90", name="work_lat_range"),
        CheckConstraint("workplace_lon IS NULL OR workplace_lon BETWEEN -180 AND 180", name="work_lon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(String(64))
    dwelling_id: Mapped[int | None] = mapped_column(ForeignKey("dwelling.id"), nullable=True)
    monthly_resources: Mapped[float] = mapped_column(Float)
    mobility: Mapped[str] = mapped_column(String(16), default=lambda: "none")
    # Priority flags (publics prioritaires) of FORMAT.md's ``priority`` list.
    priority_dalo: Mapped[bool] = mapped_column(Boolean, default=lambda: False)
    priority_handicap: Mapped[bool] = mapped_column(Boolean, default=lambda: False)
    priority_violence: Mapped[bool] = mapped_column(Boolean, default=lambda: False)
    priority_unfit_housing: Mapped[bool] = mapped_column(Boolean, default=lambda: False)
    workplace_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    workplace_lon: Mapped[float | None] = mapped_column(Float, nullable=True)

    dwelling: Mapped[Dwelling | None] = relationship(back_populates="household")
    members: Mapped[list[HouseholdMember]] = relationship(
        back_populates="household", order_by="HouseholdMember.position", cascade="all, delete-orphan"
    )
    requests: Mapped[list[Request]] = relationship(
        back_populates="household", order_by="Request.id", cascade="all, delete-orphan"
    )

    @property
    def priority(self) -> list[str]:
        """The priority flags set, in FORMAT.md's order."""
        flags = ("dalo", "handicap", "violence", "unfit_housing")
        return [flag for flag in flags if getattr(self, f"priority_{flag}")]


class HouseholdMember(Base):
    """One person of a household (membre du ménage), in document order (``position``)."""

    __tablename__ = "household_member"
    __table_args__ = (
        UniqueConstraint("household_id", "position"),
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("age BETWEEN 0 AND 130", name="age_range"),
        CheckConstraint("position >= 0", name="position_min"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    age: Mapped[int] = mapped_column(Integer)

    household: Mapped[Household] = relationship(back_populates="members")


class Request(Base):
    """A mutation request (demande de mutation); at most one ``open`` request per household."""

    __tablename__ = "mutation_request"
    __table_args__ = (
        CheckConstraint(_in("status", REQUEST_STATUSES), name="status"),
        CheckConstraint("max_cost >= 0", name="max_cost_min"),
        CheckConstraint("min_rooms IS NULL OR min_rooms >= 1", name="min_rooms_min"),
        CheckConstraint("max_rooms IS NULL OR max_rooms >= 1", name="max_rooms_min"),
        CheckConstraint(
            "min_rooms IS NULL OR max_rooms IS NULL OR min_rooms <= max_rooms", name="rooms_order"
        ),
        CheckConstraint("(status = 'closed') = (closed_on IS NOT NULL)", name="closed_has_date"),
        CheckConstraint(f"paused_why IS NULL OR {_in('paused_why', PAUSE_REASONS)}", name="paused_why"),
        CheckConstraint("silences >= 0", name="silences_min"),
        Index(
            "uq_mutation_request_open_household",
            "household_id",
            unique=True,
            sqlite_where=_OPEN_WHERE,
            postgresql_where=_OPEN_WHERE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"), index=True)
    filed_on: Mapped[date] = mapped_column(Date)
    max_cost: Mapped[float] = mapped_column(Float)
    communes: Mapped[list[str]] = mapped_column(JSON, default=list)
    accept_qpv: Mapped[bool] = mapped_column(Boolean, default=lambda: True)
    min_rooms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    max_rooms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(8), default=lambda: "open")
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Why a paused request is paused (None for one paused before this was recorded: the landlord's review).
    paused_why: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Proposals the household let lapse in a row (silence past the deadline); an answer or a
    # confirmation of the request resets it.
    silences: Mapped[int] = mapped_column(Integer, default=lambda: 0, server_default="0")

    household: Mapped[Household] = relationship(back_populates="requests")


class Exclusion(Base):
    """A move never to propose again: ``household`` must not be offered ``dwelling``."""

    __tablename__ = "exclusion"
    __table_args__ = (
        UniqueConstraint("household_id", "dwelling_id"),
        CheckConstraint(_in("reason", EXCLUSION_REASONS), name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id", ondelete="CASCADE"))
    dwelling_id: Mapped[int] = mapped_column(ForeignKey("dwelling.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(16), default=lambda: "imported")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow)
