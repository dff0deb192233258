"""The mapping file of a CSV import (fichier de correspondance): which column holds which field.

A landlord's RPLS extract and the demand register's export name their columns their own way
(``NBPIECE``, ``SURFHAB``, ``DEPCOM``...). The mapping file, JSON or TOML, says for each section
(``dwellings``, ``households``, ``requests``) which column of the file holds each of our fields
(``columns``), the value of a field no column holds (``defaults``), and how local values read
(``values``: « O » → true, « T3 » → 3, « Fauteuil » → ``wheelchair``). ``communes`` maps a commune
code (INSEE) to the territory's sector, or to one sector inside and one outside a QPV.
``list_separator`` splits the cells of list fields (ages, priorities, wished communes).
docs/INTERCHANGE.md describes it with an example; ``fixtures/rpls-mapping.json`` is one.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from typing import Any

from exchange.errors import InvalidTerritory

__all__ = ["FIELDS", "MAPPING", "CsvMapping", "FieldSpec", "SectionMapping", "parse_mapping"]

MAPPING = "correspondance"  # the error path prefix of a problem in the mapping file


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field a CSV section may fill: how its cells read, and whether it must be there.

    ``kind``: ``text``, ``integer``, ``rooms`` (an integer, or a typology « T3 »/« F3 »), ``number``
    (French decimals « 64,5 » too), ``boolean`` (« oui/non », « O/N », « 1/0 »), ``date``
    (« 2025-06-03 » or « 03/06/2025 »), ``integers`` and ``texts`` (lists, split by the separator).
    """

    kind: str
    required: bool = False
    default: Any = None


FIELDS: dict[str, dict[str, FieldSpec]] = {
    "dwellings": {
        "ref": FieldSpec("text", required=True),
        "bailleur": FieldSpec("text", required=True),
        "commune": FieldSpec("text"),  # with ``qpv``, gives the sector through ``communes``
        "qpv": FieldSpec("boolean"),
        "sector": FieldSpec("text"),
        "rooms": FieldSpec("rooms", required=True),
        "surface_m2": FieldSpec("number", required=True),
        "floor": FieldSpec("integer", required=True),
        "elevator": FieldSpec("boolean", required=True),
        "accessibility": FieldSpec("text", default="none"),
        "rent": FieldSpec("number", required=True),
        "charges": FieldSpec("number", required=True),
        "lat": FieldSpec("number", required=True),
        "lon": FieldSpec("number", required=True),
    },
    "households": {
        "ref": FieldSpec("text", required=True),
        "dwelling": FieldSpec("text"),
        "head_age": FieldSpec("integer", required=True),
        "partner_age": FieldSpec("integer"),
        "children_ages": FieldSpec("integers", default=()),
        "other_ages": FieldSpec("integers", default=()),
        "monthly_resources": FieldSpec("number", required=True),
        "mobility": FieldSpec("text", default="none"),
        "priority": FieldSpec("texts", default=()),
        "workplace_lat": FieldSpec("number"),
        "workplace_lon": FieldSpec("number"),
    },
    "requests": {
        "household": FieldSpec("text", required=True),
        "filed_on": FieldSpec("date", required=True),
        "max_cost": FieldSpec("number", required=True),
        "communes": FieldSpec("texts", default=()),  # commune codes when ``communes`` is given
        "accept_qpv": FieldSpec("boolean", default=True),
        "min_rooms": FieldSpec("rooms"),
        "max_rooms": FieldSpec("rooms"),
    },
}

_TOP_KEYS = {"list_separator", "communes", *FIELDS}
_SECTION_KEYS = {"columns", "defaults", "values"}


@dataclass(frozen=True, slots=True)
class SectionMapping:
    """One section's part of the mapping: field → column, field → default, field → {cell: value}."""

    columns: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CsvMapping:
    """A whole mapping file, checked: every key names a known field, every table has the right shape.

    ``communes`` maps a commune code to ``{"qpv": sector, "hors_qpv": sector}`` (a plain sector
    code in the file stands for both); ``None`` when the file has no table (cells then hold sectors
    and commune names directly).
    """

    sections: dict[str, SectionMapping]
    communes: dict[str, dict[str, str]] | None
    list_separator: str = "|"


def _read(text: str | bytes, name: str) -> Any:
    try:
        raw = text.decode("utf-8-sig") if isinstance(text, bytes) else text
    except UnicodeDecodeError as exc:
        raise InvalidTerritory({MAPPING: [f"{name} n'est pas en UTF-8 (octet {exc.start + 1})"]}) from None
    try:
        if name.lower().endswith(".toml"):
            return tomllib.loads(raw)
        return json.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidTerritory({MAPPING: [f"{name} : TOML illisible ({exc})"]}) from None
    except (json.JSONDecodeError, RecursionError, ValueError):
        raise InvalidTerritory({MAPPING: [f"{name} : JSON illisible"]}) from None


def parse_mapping(text: str | bytes, name: str = "correspondance.json") -> CsvMapping:
    """The mapping file ``name`` (JSON, or TOML when it ends in ``.toml``), or :class:`InvalidTerritory`.

    >>> columns = {"household": "NUM", "filed_on": "DEPOT", "max_cost": "LOYER_MAX"}
    >>> parse_mapping(json.dumps({"requests": {"columns": columns}})).sections["requests"].columns["filed_on"]
    'DEPOT'
    >>> parse_mapping(json.dumps({"requests": {"columns": {**columns, "menage": "NUM"}}}))
    Traceback (most recent call last):
    exchange.errors.InvalidTerritory: 1 champ invalide
    """
    doc = _read(text, name)
    problems: dict[str, list[str]] = {}

    def problem(path: str, message: str) -> None:
        problems.setdefault(f"{MAPPING} {path}" if path else MAPPING, []).append(message)

    if not isinstance(doc, dict):
        raise InvalidTerritory({MAPPING: ["doit être un objet"]})
    for key in sorted(set(doc) - _TOP_KEYS):
        problem(str(key), f"clé inconnue (attendu : {', '.join(sorted(_TOP_KEYS))})")
    separator = doc.get("list_separator", "|")
    if not isinstance(separator, str) or len(separator) != 1 or separator in ',;"':
        problem("list_separator", "un seul caractère, autre que la virgule, le point-virgule et le guillemet")
        separator = "|"
    sections = {
        section: _section(section, doc.get(section, {}), problem) for section in FIELDS if section in doc
    }
    communes = _communes(doc["communes"], problem) if "communes" in doc else None
    if problems:
        raise InvalidTerritory(problems)
    return CsvMapping(sections=sections, communes=communes, list_separator=separator)


def _section(section: str, part: Any, problem: Any) -> SectionMapping:
    known = FIELDS[section]
    if not isinstance(part, dict):
        problem(section, "doit être un objet (columns, defaults, values)")
        return SectionMapping()
    for key in sorted(set(part) - _SECTION_KEYS):
        problem(f"{section}.{key}", "clé inconnue (attendu : columns, defaults, values)")
    tables: dict[str, dict[str, Any]] = {}
    for key in ("columns", "defaults", "values"):
        table = part.get(key, {})
        if not isinstance(table, dict):
            problem(f"{section}.{key}", "doit être un objet")
            table = {}
        for name in sorted(set(table) - set(known)):
            problem(f"{section}.{key}.{name}", f"champ inconnu (connus : {', '.join(known)})")
        tables[key] = {k: v for k, v in table.items() if k in known}
    for name, column in tables["columns"].items():
        if not isinstance(column, str) or not column.strip():
            problem(f"{section}.columns.{name}", "doit être le nom d'une colonne du fichier")
    for name, table in tables["values"].items():
        if not isinstance(table, dict):
            problem(f"{section}.values.{name}", "doit être un objet (valeur du fichier → valeur)")
    for name, spec in known.items():
        if spec.required and name not in tables["columns"] and name not in tables["defaults"]:
            problem(
                f"{section}.columns.{name}", "champ obligatoire : indiquer sa colonne ou sa valeur par défaut"
            )
    if section == "dwellings" and not (
        {"sector", "commune"} & (set(tables["columns"]) | set(tables["defaults"]))
    ):
        problem(f"{section}.columns.commune", "indiquer la colonne de la commune (ou du secteur)")
    return SectionMapping(
        columns={k: v.strip() for k, v in tables["columns"].items() if isinstance(v, str)},
        defaults=tables["defaults"],
        values={k: v for k, v in tables["values"].items() if isinstance(v, dict)},
    )


def _communes(table: Any, problem: Any) -> dict[str, dict[str, str]]:
    if not isinstance(table, dict):
        problem("communes", "doit être un objet (code commune → secteur)")
        return {}
    communes: dict[str, dict[str, str]] = {}
    for code, target in table.items():
        if isinstance(target, str):
            communes[code] = {"qpv": target, "hors_qpv": target}
        elif (
            isinstance(target, dict)
            and target
            and set(target) <= {"qpv", "hors_qpv"}
            and all(isinstance(v, str) for v in target.values())
        ):
            communes[code] = dict(target)
        else:
            problem(f"communes.{code}", 'un code de secteur, ou {"qpv": secteur, "hors_qpv": secteur}')
    return communes
