"""ORM models of the exchange: territory data, portal accounts, the workflow and every other table.

Importing this package registers every table on :data:`Base.metadata` (Alembic compares against it).
"""

from __future__ import annotations

# Importing the other table modules registers their tables (workflow, occupancy review, yearly
# settings, mail outbox, visits) on Base.metadata.
from exchange.models import notification, review, visit, workflow, yearly  # noqa: F401, I001
from exchange.models.account import ACCOUNT_ROLES, UserAccount
from exchange.models.base import NAMING_CONVENTION, Base
from exchange.models.domain import (
    ACCESSIBILITY,
    EXCLUSION_REASONS,
    MOBILITY,
    PAUSE_REASONS,
    REQUEST_STATUSES,
    ROLES,
    Dwelling,
    Exclusion,
    Household,
    HouseholdMember,
    Landlord,
    Request,
    Sector,
    Territory,
)

__all__ = [
    "ACCESSIBILITY",
    "ACCOUNT_ROLES",
    "EXCLUSION_REASONS",
    "MOBILITY",
    "NAMING_CONVENTION",
    "PAUSE_REASONS",
    "REQUEST_STATUSES",
    "ROLES",
    "Base",
    "Dwelling",
    "Exclusion",
    "Household",
    "HouseholdMember",
    "Landlord",
    "Request",
    "Sector",
    "Territory",
    "UserAccount",
]
