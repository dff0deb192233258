"""Domain tables: territory, landlord, sector, dwelling, household (+ members), request, exclusion, account.

Revision ID: 0001_domain
Revises:
Create Date: 2026-11-23

The workflow tables (run, proposal, move, decision, audit) follow in the next revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_domain"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the territory data and account tables."""
    op.create_table(
        "territory",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_territory")),
        sa.UniqueConstraint("code", name=op.f("uq_territory_code")),
    )
    op.create_table(
        "landlord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_landlord_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landlord")),
        sa.UniqueConstraint("territory_id", "code", name=op.f("uq_landlord_territory_id_code")),
    )
    op.create_table(
        "sector",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("commune", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("qpv", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_sector_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sector")),
        sa.UniqueConstraint("territory_id", "code", name=op.f("uq_sector_territory_id_code")),
    )
    op.create_table(
        "dwelling",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("landlord_id", sa.Integer(), nullable=False),
        sa.Column("sector_id", sa.Integer(), nullable=False),
        sa.Column("rooms", sa.Integer(), nullable=False),
        sa.Column("surface_m2", sa.Float(), nullable=False),
        sa.Column("floor", sa.Integer(), nullable=False),
        sa.Column("elevator", sa.Boolean(), nullable=False),
        sa.Column("accessibility", sa.String(length=16), nullable=False),
        sa.Column("rent", sa.Float(), nullable=False),
        sa.Column("charges", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("offered", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "accessibility IN ('none', 'accessible', 'adapted')", name=op.f("ck_dwelling_accessibility")
        ),
        sa.CheckConstraint("charges >= 0", name=op.f("ck_dwelling_charges_min")),
        sa.CheckConstraint("floor >= 0", name=op.f("ck_dwelling_floor_min")),
        sa.CheckConstraint("lat BETWEEN -90 AND 90", name=op.f("ck_dwelling_lat_range")),
        sa.CheckConstraint("lon BETWEEN -180 AND 180", name=op.f("ck_dwelling_lon_range")),
        sa.CheckConstraint("rent >= 0", name=op.f("ck_dwelling_rent_min")),
        sa.CheckConstraint("rooms >= 1", name=op.f("ck_dwelling_rooms_min")),
        sa.CheckConstraint("surface_m2 > 0", name=op.f("ck_dwelling_surface_positive")),
        sa.ForeignKeyConstraint(
            ["landlord_id"], ["landlord.id"], name=op.f("fk_dwelling_landlord_id_landlord")
        ),
        sa.ForeignKeyConstraint(["sector_id"], ["sector.id"], name=op.f("fk_dwelling_sector_id_sector")),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_dwelling_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dwelling")),
        sa.UniqueConstraint("territory_id", "ref", name=op.f("uq_dwelling_territory_id_ref")),
    )
    with op.batch_alter_table("dwelling", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dwelling_landlord_id"), ["landlord_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dwelling_sector_id"), ["sector_id"], unique=False)

    op.create_table(
        "household",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("dwelling_id", sa.Integer(), nullable=True),
        sa.Column("monthly_resources", sa.Float(), nullable=False),
        sa.Column("mobility", sa.String(length=16), nullable=False),
        sa.Column("priority_dalo", sa.Boolean(), nullable=False),
        sa.Column("priority_handicap", sa.Boolean(), nullable=False),
        sa.Column("priority_violence", sa.Boolean(), nullable=False),
        sa.Column("priority_unfit_housing", sa.Boolean(), nullable=False),
        sa.Column("workplace_lat", sa.Float(), nullable=True),
        sa.Column("workplace_lon", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "mobility IN ('none', 'reduced', 'wheelchair')", name=op.f("ck_household_mobility")
        ),
        sa.CheckConstraint(
            "(workplace_lat IS NULL) = (workplace_lon IS NULL)", name=op.f("ck_household_workplace_complete")
        ),
        sa.CheckConstraint("monthly_resources >= 0", name=op.f("ck_household_resources_min")),
        sa.CheckConstraint(
            "workplace_lat IS NULL OR workplace_lat BETWEEN -90 AND 90",
            name=op.f("ck_household_work_lat_range"),
        ),
        sa.CheckConstraint(
            "workplace_lon IS NULL OR workplace_lon BETWEEN -180 AND 180",
            name=op.f("ck_household_work_lon_range"),
        ),
        sa.ForeignKeyConstraint(
            ["dwelling_id"], ["dwelling.id"], name=op.f("fk_household_dwelling_id_dwelling")
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_household_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("dwelling_id", name=op.f("uq_household_dwelling_id")),
        sa.UniqueConstraint("territory_id", "ref", name=op.f("uq_household_territory_id_ref")),
    )
    op.create_table(
        "exclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("dwelling_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("reason IN ('imported', 'refused', 'rejected')", name=op.f("ck_exclusion_reason")),
        sa.ForeignKeyConstraint(
            ["dwelling_id"],
            ["dwelling.id"],
            name=op.f("fk_exclusion_dwelling_id_dwelling"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_exclusion_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_exclusion_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusion")),
        sa.UniqueConstraint(
            "household_id", "dwelling_id", name=op.f("uq_exclusion_household_id_dwelling_id")
        ),
    )
    with op.batch_alter_table("exclusion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exclusion_dwelling_id"), ["dwelling_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_exclusion_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "household_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("age", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('head', 'partner', 'child', 'other')", name=op.f("ck_household_member_role")
        ),
        sa.CheckConstraint("age BETWEEN 0 AND 130", name=op.f("ck_household_member_age_range")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_household_member_position_min")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_household_member_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_member")),
        sa.UniqueConstraint(
            "household_id", "position", name=op.f("uq_household_member_household_id_position")
        ),
    )
    op.create_table(
        "mutation_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("max_cost", sa.Float(), nullable=False),
        sa.Column("communes", sa.JSON(), nullable=False),
        sa.Column("accept_qpv", sa.Boolean(), nullable=False),
        sa.Column("min_rooms", sa.Integer(), nullable=True),
        sa.Column("max_rooms", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_on IS NOT NULL)", name=op.f("ck_mutation_request_closed_has_date")
        ),
        sa.CheckConstraint("status IN ('open', 'closed', 'paused')", name=op.f("ck_mutation_request_status")),
        sa.CheckConstraint("max_cost >= 0", name=op.f("ck_mutation_request_max_cost_min")),
        sa.CheckConstraint(
            "max_rooms IS NULL OR max_rooms >= 1", name=op.f("ck_mutation_request_max_rooms_min")
        ),
        sa.CheckConstraint(
            "min_rooms IS NULL OR max_rooms IS NULL OR min_rooms <= max_rooms",
            name=op.f("ck_mutation_request_rooms_order"),
        ),
        sa.CheckConstraint(
            "min_rooms IS NULL OR min_rooms >= 1", name=op.f("ck_mutation_request_min_rooms_min")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_mutation_request_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_mutation_request_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mutation_request")),
    )
    with op.batch_alter_table("mutation_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mutation_request_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mutation_request_territory_id"), ["territory_id"], unique=False)
        batch_op.create_index(
            "uq_mutation_request_open_household",
            ["household_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("landlord_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("api_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(role = 'tenant' AND household_id IS NOT NULL AND landlord_id IS NULL)"
            " OR (role = 'staff' AND landlord_id IS NOT NULL AND household_id IS NULL)"
            " OR (role = 'admin' AND landlord_id IS NULL AND household_id IS NULL)",
            name=op.f("ck_user_account_role_links"),
        ),
        sa.CheckConstraint("role IN ('tenant', 'staff', 'admin')", name=op.f("ck_user_account_role")),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_user_account_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["landlord_id"],
            ["landlord.id"],
            name=op.f("fk_user_account_landlord_id_landlord"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_user_account_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("api_token_hash", name=op.f("uq_user_account_api_token_hash")),
        sa.UniqueConstraint("login", name=op.f("uq_user_account_login")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_account_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_user_account_territory_id"), ["territory_id"], unique=False)


def downgrade() -> None:
    """Drop them (children first)."""
    op.drop_table("user_account")
    op.drop_table("mutation_request")
    op.drop_table("household_member")
    op.drop_table("exclusion")
    op.drop_table("household")
    op.drop_table("dwelling")
    op.drop_table("sector")
    op.drop_table("landlord")
    op.drop_table("territory")
