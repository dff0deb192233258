"""The bilan's tables (tableaux du bilan), built from the figures' JSON data, for every output.

One list of :class:`Table` serves the markdown and CSV of ``exchange stats``, the PDF, the workbook
and the CSV of ``exchange bilan`` and the landlords' page: each reads the same numbers. A table whose
figures are absent from the data (a landlord's bilan has no territory-wide ones) is left out. A
masked small count (DOMAIN.md §5) is the string :data:`MASKED`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from exchange import glossary

__all__ = ["MASKED", "MASK_BELOW", "Table", "bilan_tables", "cell", "mask"]

MASK_BELOW = 5
"""Counts from 1 to ``MASK_BELOW - 1`` are masked in what landlords see (statistical secrecy)."""
MASKED = "< 5"

_DIMENSIONS = {
    "landlord": "bailleur",
    "commune": "commune",
    "typology": "typologie",
    "qpv": "QPV",
    "year": "année",
}


@dataclass(frozen=True, slots=True)
class Table:
    """One table of the bilan: a title, column headers and rows (the first cell names the row)."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


def cell(value: Any) -> str:
    """A value as the bilan prints it: ``—`` for none, one decimal with a comma for a float.

    >>> cell(None), cell(12), cell(33.25), cell("< 5")
    ('—', '12', '33,2', '< 5')
    """
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def _pairs(title: str, values: Mapping[str, Any] | None, header: str = "Indicateur") -> Table | None:
    if values is None:
        return None
    rows = tuple((glossary.statistic_label(k), v) for k, v in values.items())
    return Table(title, (header, "Valeur"), rows)


def _grid(title: str, table: Mapping[str, Mapping[str, Any]] | None, first: str) -> Table | None:
    if table is None:
        return None
    keys: list[str] = []
    for entry in table.values():
        keys += [k for k in entry if k not in keys]
    rows = tuple((name, *(entry.get(k, 0) for k in keys)) for name, entry in table.items())
    return Table(title, (first, *(glossary.statistic_label(k) for k in keys)), rows)


def bilan_tables(data: Mapping[str, Any]) -> list[Table]:
    """The tables of the bilan (DOMAIN.md §3) in reading order, from ``Stats.to_dict()``-shaped data."""
    found: list[Table | None] = [
        _pairs(
            "Seuil du premier quartile",
            None if "first_quartile_eur" not in data else {"first_quartile_eur": data["first_quartile_eur"]},
        ),
        _pairs(
            "Mixité sociale des attributions (L.441-1 CCH)",
            _without(data.get("mixity"), "first_quartile_eur"),
        ),
        _pairs("Attributions aux ménages DALO puis prioritaires", data.get("priority_shares")),
        _grid("Part des mutations dans toutes les attributions", data.get("mutation_share"), "Bailleur"),
        _pairs("Déménagements par motif de la demande", data.get("moves_by_motive"), "Motif"),
        _pairs("De la demande au déménagement", data.get("funnel"), "Étape"),
    ]
    for dimension, label in _DIMENSIONS.items():
        by = data.get("attributions_by", {}).get(dimension)
        found.append(_grid(f"Attributions par {label}", by, glossary.heading(label)))
    for dimension, label in _DIMENSIONS.items():
        filed = data.get("requests_filed_by", {}).get(dimension)
        found.append(_pairs(f"Demandes déposées par {label}", filed, glossary.heading(label)))
    found += [
        _pairs("Points des mouvements proposés", data.get("points_distribution"), "Points"),
        _pairs("Attente moyenne par typologie (jours)", data.get("wait_by_typology_days"), "Typologie"),
        _pairs("Refus par secteur", data.get("refusals_by_sector"), "Secteur"),
        _pairs(
            "Délai de la proposition à la réponse (jours)", data.get("delay_notice_to_answer_days"), "Mesure"
        ),
        _pairs(
            "Délai de l'acceptation à la décision de CALEOL (jours)",
            data.get("delay_acceptance_to_decision_days"),
            "Mesure",
        ),
    ]
    return [t for t in found if t is not None and t.rows]


def _without(values: Mapping[str, Any] | None, key: str) -> dict[str, Any] | None:
    return None if values is None else {k: v for k, v in values.items() if k != key}


def mask(value: Any) -> Any:
    """A count as landlords may see it: from 1 to 4 it is :data:`MASKED`; other values are kept.

    >>> mask(0), mask(3), mask(12), mask(40.5)
    (0, '< 5', 12, 40.5)
    """
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < MASK_BELOW:
        return MASKED
    return value
