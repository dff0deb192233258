"""The bilan's yearly settings: each territory's first-quartile threshold, each landlord's attributions

``territory_year.first_quartile_eur`` is the year's first-quartile threshold (yearly resources per
consumption unit, L.441-1 CCH); ``landlord_year.attributions`` the landlord's total attributions of the
year, from which the bilan reports the share of mutations.

Revision ID: 0009_yearly_settings
Revises: 0008_blocked_cases
Create Date: 2026-12-06 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009_yearly_settings"
down_revision: str | Sequence[str] | None = "0008_blocked_cases"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the two tables."""
    op.create_table(
        "territory_year",
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("first_quartile_eur", sa.Float(), nullable=True),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name=op.f("ck_territory_year_year_range")),
        sa.CheckConstraint(
            "first_quartile_eur IS NULL OR first_quartile_eur > 0",
            name=op.f("ck_territory_year_first_quartile_min"),
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_territory_year_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("territory_id", "year", name=op.f("pk_territory_year")),
    )
    op.create_table(
        "landlord_year",
        sa.Column("landlord_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("attributions", sa.Integer(), nullable=False),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name=op.f("ck_landlord_year_year_range")),
        sa.CheckConstraint("attributions >= 0", name=op.f("ck_landlord_year_attributions_min")),
        sa.ForeignKeyConstraint(
            ["landlord_id"],
            ["landlord.id"],
            name=op.f("fk_landlord_year_landlord_id_landlord"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("landlord_id", "year", name=op.f("pk_landlord_year")),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("landlord_year")
    op.drop_table("territory_year")
