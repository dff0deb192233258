"""The bilan from the portal: the territory's download, each landlord's own figures (CALEOL space).

A landlord's staff sees only its landlord's slice, small counts masked
(:func:`exchange.bilan.landlord_figures`); the territory's administrator downloads the whole
bilan, the same as ``exchange bilan``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from exchange import bilan
from exchange.bilan_tables import Table
from exchange.errors import NotFound

__all__ = ["BILAN_TYPES", "bilan_file", "landlord_bilan"]

BILAN_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
"""Each downloadable format and its media type."""


def _landlord(account: Any) -> str:
    if account.landlord_code is None:
        raise NotFound("aucun bailleur pour ce compte")
    return str(account.landlord_code)


def landlord_bilan(session: Session, account: Any, *, year: int | None) -> list[Table]:
    """The tables of the staff account's own landlord (aggregates only, small counts masked)."""
    data = bilan.landlord_figures(session, account.territory_code, _landlord(account), year=year)
    return bilan.bilan_tables(data)


def bilan_file(
    session: Session, account: Any, fmt: str, *, year: int | None, own_landlord: bool
) -> tuple[bytes, str, str]:
    """(content, file name, media type) of the bilan: the territory's, or the account's landlord's."""
    if fmt not in BILAN_TYPES:
        raise NotFound(f"format inconnu : {fmt}")
    code = account.territory_code
    if own_landlord:
        landlord = _landlord(account)
        data = bilan.landlord_figures(session, code, landlord, year=year)
        name = f"bilan-{code}-{landlord}-{year or 'toutes-annees'}.{fmt}"
    else:
        data = bilan.territory_figures(session, code, year=year)
        name = f"bilan-{code}-{year or 'toutes-annees'}.{fmt}"
    return bilan.bilan_bytes(data, fmt), name, BILAN_TYPES[fmt]
