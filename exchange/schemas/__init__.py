"""marshmallow schemas: the two documents of FORMAT.md and the contracts of the API's requests.

``fields`` holds the strict French fields and :func:`load_or_raise`; ``territory`` the territory
document; ``proposals`` the proposals document; ``contracts`` the bodies and queries of ``/api/v1/``
(shared by the services and the portal's forms where they check the same thing).
"""

from __future__ import annotations

from exchange.schemas.fields import INT_MAX, flatten_errors, load_or_raise
from exchange.schemas.proposals import MoveSchema, ProposalSchema, ProposalsDocumentSchema
from exchange.schemas.territory import (
    ACCESSIBILITY,
    FORMAT_VERSION,
    MOBILITY,
    PRIORITIES,
    ROLES,
    BailleurSchema,
    DwellingSchema,
    ExclusionSchema,
    HouseholdSchema,
    MemberSchema,
    OfferSchema,
    PointSchema,
    RequestSchema,
    SectorSchema,
    TerritoryDocumentSchema,
    TerritoryInfoSchema,
    cross_reference_errors,
    validate_territory_document,
)

__all__ = [
    "ACCESSIBILITY",
    "FORMAT_VERSION",
    "INT_MAX",
    "MOBILITY",
    "PRIORITIES",
    "ROLES",
    "BailleurSchema",
    "DwellingSchema",
    "ExclusionSchema",
    "HouseholdSchema",
    "MemberSchema",
    "MoveSchema",
    "OfferSchema",
    "PointSchema",
    "ProposalSchema",
    "ProposalsDocumentSchema",
    "RequestSchema",
    "SectorSchema",
    "TerritoryDocumentSchema",
    "TerritoryInfoSchema",
    "cross_reference_errors",
    "flatten_errors",
    "load_or_raise",
    "validate_territory_document",
]
