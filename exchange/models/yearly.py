"""A territory's yearly settings for the bilan (réglages annuels): first-quartile threshold, attributions.

The first-quartile threshold (seuil du premier quartile, L.441-1 CCH) is set each year for each EPCI by
ministerial *arrêté*, in euros of yearly resources per consumption unit. Each landlord's total attributions
of the year (every lease signed, not only the exchange's) give the share of mutations in all attributions.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from exchange.models.base import Base


class TerritoryYear(Base):
    """One territory's settings of one year: ``first_quartile_eur`` (null: not set)."""

    __tablename__ = "territory_year"
    __table_args__ = (
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
        CheckConstraint("first_quartile_eur IS NULL OR first_quartile_eur > 0", name="first_quartile_min"),
    )

    territory_id: Mapped[int] = mapped_column(
        ForeignKey("territory.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_quartile_eur: Mapped[float | None] = mapped_column(Float, nullable=True)


class LandlordYear(Base):
    """One landlord's total attributions of one year (all leases signed, mutations or not)."""

    __tablename__ = "landlord_year"
    __table_args__ = (
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
        CheckConstraint("attributions >= 0", name="attributions_min"),
    )

    landlord_id: Mapped[int] = mapped_column(ForeignKey("landlord.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    attributions: Mapped[int] = mapped_column(Integer)
