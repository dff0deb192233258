"""ORM models of the exchange: territory data, portal accounts and (if present) the workflow tables.

Importing this package registers every table on :data:`Base.metadata` (Alembic compares against it).
"""

from __future__ import annotations

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

import exchange.models.yearly  # noqa: F401  (the bilan's yearly settings)

try:  # The workflow tables (run, proposal, move, decision, audit) live in their own module.
    import exchange.models.workflow  # noqa: F401
except ModuleNotFoundError as exc:  # pragma: no cover - only before the workflow module exists
    if exc.name != "exchange.models.workflow":
        raise
