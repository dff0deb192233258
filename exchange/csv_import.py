"""Dwellings from an RPLS-style CSV, households and requests from the demand register's CSV export.

Each file is read with its mapping (:mod:`exchange.csv_mapping`), cell by cell, into the parts of a
FORMAT.md document; those parts are merged by ref into the territory's current document
(:func:`~exchange.interchange.export_document`: a row of the file replaces the dwelling, household or
request of the same ref, the others stay), and the whole goes through the same validation and the
same all-or-nothing import as a JSON document (:func:`~exchange.interchange.import_document`).

A refused import writes nothing and names each problem by file, line and column
(« rpls.csv, ligne 14, colonne NBPIECE: nombre entier attendu, reçu « trois » »): unreadable
cells, missing columns, the same ref twice, unknown communes and every error of the document
schema on a row of the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from exchange.csv_mapping import FIELDS, CsvMapping, SectionMapping
from exchange.errors import InvalidTerritory
from exchange.interchange import ImportSummary, ProgressCallback, export_document, import_document
from exchange.schemas import validate_territory_document
from exchange.schemas.fields import shown

__all__ = ["CsvFile", "InvalidCsv", "import_csv"]

KEYS = {"dwellings": "ref", "households": "ref", "requests": "household"}  # what a row replaces by


@dataclass(frozen=True, slots=True)
class CsvFile:
    """One uploaded or read CSV file: its name (for the messages) and its bytes."""

    name: str
    data: bytes


class InvalidCsv(InvalidTerritory):
    """A CSV import refused; nothing was written. Messages keep the files' order, line by line."""

    def lines(self) -> list[str]:
        """One ``where: message`` line per problem, in the order of the files and their lines."""
        return [f"{path}: {msg}" for path, messages in self.messages.items() for msg in messages]


class _Bad(ValueError):
    """A cell that does not read as its field's kind (the French message)."""


@dataclass(slots=True)
class _Origin:
    """Where one item of the document came from: its file, line, and the column of each key."""

    file: str
    line: int
    columns: dict[str, str | None] = field(default_factory=dict)
    bad: set[str] = field(default_factory=set)  # keys already reported, not to report twice

    def where(self, key: str | None = None) -> str:
        """« rpls.csv, ligne 14, colonne NBPIECE » for ``key`` (its column, or its field name)."""
        text = f"{self.file}, ligne {self.line}"
        if key is None:
            return text
        column = self.columns.get(key)
        return f"{text}, colonne {column}" if column else f"{text}, champ {key}"


class _Problems:
    def __init__(self) -> None:
        self.messages: dict[str, list[str]] = {}

    def add(self, where: str, message: str) -> None:
        found = self.messages.setdefault(where, [])
        if message not in found:  # two sections reading one file (households, requests) meet the same cell
            found.append(message)


# ---------------------------------------------------------------- cells


_INTEGER = re.compile(r"-?\d{1,9}")
_ROOMS = re.compile(r"[TtFf]?(\d{1,3})")
_NUMBER = re.compile(r"-?\d{1,12}(?:[.,]\d{1,12})?")
_TRUE = {"oui", "o", "vrai", "1", "true", "yes", "y", "x"}
_FALSE = {"non", "n", "faux", "0", "false", "no"}
_FRENCH_DATE = re.compile(r"(\d{2})/(\d{2})/(\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _scalar(kind: str, raw: str) -> Any:
    """The value of one cell (not empty) of ``kind``, or :class:`_Bad` in French."""
    if kind == "text":
        return raw
    if kind == "integer":
        if _INTEGER.fullmatch(raw):
            return int(raw)
        raise _Bad(f"nombre entier attendu, reçu « {shown(raw)} »")
    if kind == "rooms":
        if m := _ROOMS.fullmatch(raw):
            return int(m.group(1))
        raise _Bad(f"nombre de pièces attendu (3 ou T3), reçu « {shown(raw)} »")
    if kind == "number":
        compact = re.sub(r"[\s\u00a0\u202f€]", "", raw)
        if "," in compact and "." in compact:  # « 1.234,50 »: the dot separates thousands
            compact = compact.replace(".", "")
        if _NUMBER.fullmatch(compact):
            return float(compact.replace(",", "."))
        raise _Bad(f"nombre attendu (64,5 ou 64.5), reçu « {shown(raw)} »")
    if kind == "boolean":
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise _Bad(f"oui ou non attendu (oui/non, O/N, 1/0), reçu « {shown(raw)} »")
    if kind == "date":
        iso = f"{m.group(3)}-{m.group(2)}-{m.group(1)}" if (m := _FRENCH_DATE.fullmatch(raw)) else raw
        if _ISO_DATE.fullmatch(iso):
            try:
                return date.fromisoformat(iso).isoformat()
            except ValueError:
                pass
        raise _Bad(f"date attendue (AAAA-MM-JJ ou JJ/MM/AAAA), reçu « {shown(raw)} »")
    raise AssertionError(kind)


def _cell(kind: str, raw: str, values: dict[str, Any], separator: str) -> Any:
    """A cell's value: the mapping's value for it if any, else read as ``kind`` (lists split first)."""
    if kind in ("integers", "texts"):
        parts = [p.strip() for p in raw.split(separator) if p.strip()]
        return [
            values[p] if p in values else _scalar(kind[:-1] if kind == "texts" else "integer", p)
            for p in parts
        ]
    if raw in values:
        return values[raw]
    return _scalar(kind, raw)


# ---------------------------------------------------------------- files


def _rows(file: CsvFile, problems: _Problems) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and the non-empty rows (line number, column → cell) of ``file``."""
    try:
        text = file.data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(file.name, f"le fichier n'est pas en UTF-8 (octet {exc.start + 1})")
        return [], []
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count) if first else ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [cell.strip() for cell in next(reader, [])]
        if not any(header):
            problems.add(file.name, "fichier vide : la première ligne doit nommer les colonnes")
            return [], []
        for column in {c for c in header if header.count(c) > 1}:
            problems.add(f"{file.name}, ligne 1", f"colonne en double : {shown(column)}")
        rows = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                problems.add(
                    f"{file.name}, ligne {reader.line_num}",
                    f"{len(cells)} cellules, l'en-tête en compte {len(header)}",
                )
                continue
            rows.append((reader.line_num, dict(zip(header, cells, strict=True))))
    except csv.Error as exc:
        problems.add(f"{file.name}, ligne {reader.line_num}", f"CSV illisible ({exc})")
        return [], []
    return header, rows


def _read_section(
    section: str, file: CsvFile, mapping: CsvMapping, problems: _Problems
) -> Iterator[tuple[_Origin, dict[str, Any]]]:
    """Each row of ``file`` as its fields' values (None where empty), with its origin."""
    part = mapping.sections.get(section, SectionMapping())
    header, rows = _rows(file, problems)
    if not header:
        return
    missing = [(name, column) for name, column in part.columns.items() if column not in header]
    for name, column in missing:
        problems.add(f"{file.name}, ligne 1", f"colonne absente : {shown(column)} (champ {name})")
    if missing:
        return
    for line, cells in rows:
        origin = _Origin(file.name, line, dict(part.columns))
        values: dict[str, Any] = {}
        for name, spec in FIELDS[section].items():
            value = None
            if name in part.columns and (raw := cells[part.columns[name]].strip()):
                try:
                    value = _cell(spec.kind, raw, part.values.get(name, {}), mapping.list_separator)
                except _Bad as exc:
                    problems.add(origin.where(name), str(exc))
                    origin.bad.add(name)
                    continue
            if value is None:
                value = part.defaults.get(name, spec.default)
            if value is None and spec.required:
                problems.add(origin.where(name), "valeur manquante")
                origin.bad.add(name)
            values[name] = list(value) if isinstance(value, tuple) else value
        yield origin, values


# ---------------------------------------------------------------- rows → document parts


def _present(origin: _Origin, values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The fields of ``names`` that read well (a bad one is left out: reported once, here)."""
    return {name: values[name] for name in names if name not in origin.bad}


def _sector(
    origin: _Origin,
    values: dict[str, Any],
    mapping: CsvMapping,
    sectors: list[dict[str, Any]],
    problems: _Problems,
) -> str | None:
    """The dwelling's sector: its own column, else its commune (and QPV) through the mapping."""
    if values["sector"] is not None:
        return str(values["sector"])
    origin.columns["sector"] = origin.columns.get("commune")
    commune, qpv = values["commune"], values["qpv"]
    if "commune" in origin.bad or "qpv" in origin.bad:
        return None
    if commune is None:
        problems.add(origin.where("commune"), "valeur manquante")
        return None
    if qpv is not None and not isinstance(qpv, bool):
        problems.add(origin.where("qpv"), f"oui ou non attendu, reçu « {shown(qpv)} »")
        return None
    where = "en QPV" if qpv else "hors QPV"
    if mapping.communes is not None:
        entry = mapping.communes.get(str(commune))
        if entry is None:
            problems.add(
                origin.where("commune"),
                f"commune inconnue : {shown(commune)} (absente de la table communes de la correspondance)",
            )
            return None
        sector = entry.get("qpv" if qpv else "hors_qpv")
        if sector is None:
            problems.add(
                origin.where("commune"),
                f"aucun secteur {where} pour la commune {shown(commune)} dans la correspondance",
            )
        return sector
    found = [s["code"] for s in sectors if s["commune"] == commune and (qpv is None or s["qpv"] == qpv)]
    if len(found) == 1:
        return str(found[0])
    if found:
        problems.add(
            origin.where("commune"),
            f"plusieurs secteurs {where} à {shown(commune)} :"
            " indiquer la colonne du secteur dans la correspondance",
        )
    else:
        problems.add(origin.where("commune"), f"commune inconnue : {shown(commune)} (aucun secteur {where})")
    return None


def _dwelling(
    origin: _Origin, values: dict[str, Any], mapping: CsvMapping, doc: dict[str, Any], problems: _Problems
) -> dict[str, Any]:
    item = _present(origin, values, ("ref", "bailleur"))
    sector = _sector(origin, values, mapping, doc["sectors"], problems)
    if sector is None:
        origin.bad.add("sector")
    else:
        item["sector"] = sector
    names = ("rooms", "surface_m2", "floor", "elevator", "accessibility", "rent", "charges", "lat", "lon")
    return item | _present(origin, values, names)


def _household(
    origin: _Origin, values: dict[str, Any], mapping: CsvMapping, doc: dict[str, Any], problems: _Problems
) -> dict[str, Any]:
    item = _present(origin, values, ("ref", "dwelling", "monthly_resources", "mobility", "priority"))
    ages = ("head_age", "partner_age", "children_ages", "other_ages")
    if origin.bad & set(ages):
        origin.bad.add("members")
    else:
        columns = origin.columns
        members = [("head", values["head_age"], columns.get("head_age"))]
        if values["partner_age"] is not None:
            members.append(("partner", values["partner_age"], columns.get("partner_age")))
        members += [("child", age, columns.get("children_ages")) for age in values["children_ages"]]
        members += [("other", age, columns.get("other_ages")) for age in values["other_ages"]]
        item["members"] = [{"role": role, "age": age} for role, age, _ in members]
        columns["members"] = columns.get("head_age")
        for j, (_, _, column) in enumerate(members):
            columns[f"members[{j}].age"] = column
    lat, lon = values["workplace_lat"], values["workplace_lon"]
    origin.columns["workplace"] = origin.columns.get("workplace_lat")
    origin.columns["workplace.lat"] = origin.columns.get("workplace_lat")
    origin.columns["workplace.lon"] = origin.columns.get("workplace_lon")
    if {"workplace_lat", "workplace_lon"} & origin.bad:
        origin.bad.add("workplace")
    elif (lat is None) != (lon is None):
        missing = "workplace_lat" if lat is None else "workplace_lon"
        problems.add(
            origin.where(missing), "valeur manquante : le lieu de travail a une latitude et une longitude"
        )
        origin.bad.add("workplace")
    else:
        item["workplace"] = None if lat is None else {"lat": lat, "lon": lon}
    return item


def _request(
    origin: _Origin, values: dict[str, Any], mapping: CsvMapping, doc: dict[str, Any], problems: _Problems
) -> dict[str, Any]:
    item = _present(
        origin, values, ("household", "filed_on", "max_cost", "accept_qpv", "min_rooms", "max_rooms")
    )
    if "communes" in origin.bad:
        return item
    if mapping.communes is None:
        item["communes"] = values["communes"]
        return item
    names = {s["code"]: s["commune"] for s in doc["sectors"]}
    wished: list[str] = []
    for code in values["communes"]:
        entry = mapping.communes.get(str(code))
        commune = None if entry is None else next((names[s] for s in entry.values() if s in names), None)
        if commune is None:
            problems.add(
                origin.where("communes"),
                f"commune inconnue : {shown(code)} (absente de la table communes ou de ses secteurs)",
            )
            origin.bad.add("communes")
        elif commune not in wished:
            wished.append(commune)
    item["communes"] = wished
    return item


_BUILDERS = {"dwellings": _dwelling, "households": _household, "requests": _request}


def _parts(
    section: str, file: CsvFile, mapping: CsvMapping, doc: dict[str, Any], problems: _Problems
) -> list[tuple[_Origin, dict[str, Any]]]:
    """The items of ``section`` read from ``file``; the same ref twice is a problem on the second."""
    key = KEYS[section]
    seen: dict[Any, int] = {}
    parts = []
    for origin, values in _read_section(section, file, mapping, problems):
        item = _BUILDERS[section](origin, values, mapping, doc, problems)
        ref = item.get(key)
        if ref is not None and ref in seen:
            problems.add(origin.where(key), f"{shown(ref)} en double (déjà ligne {seen[ref]})")
            continue
        if ref is not None:
            seen[ref] = origin.line
        parts.append((origin, item))
    return parts


# ---------------------------------------------------------------- merge, validate, import


def _merge(
    doc: dict[str, Any], section: str, parts: list[tuple[_Origin, dict[str, Any]]]
) -> dict[int, _Origin]:
    """Put each item in ``doc[section]`` in place of the one of the same ref, or at the end."""
    key = KEYS[section]
    items: list[dict[str, Any]] = doc[section]
    position = {item[key]: i for i, item in enumerate(items)}
    origins: dict[int, _Origin] = {}
    for origin, item in parts:
        i = position.get(item.get(key), len(items))
        if i == len(items):
            items.append(item)
        else:
            items[i] = item
        origins[i] = origin
    return origins


_PATH = re.compile(r"(dwellings|households|requests)\[(\d+)\](?:\.(.+))?")


def _column_key(origin: _Origin, suffix: str) -> str:
    """The most precise key of ``origin.columns`` for ``members[2].age`` (then ``members[2]``...)."""
    while suffix not in origin.columns and (shorter := re.sub(r"(\.[^.\[]+|\[\d+\])$", "", suffix)) != suffix:
        suffix = shorter
    return suffix


def _translate(
    messages: dict[str, list[str]], origins: dict[str, dict[int, _Origin]], problems: _Problems
) -> None:
    """The document's errors, by file, line and column where the item came from a CSV file."""
    for path, found in messages.items():
        m = _PATH.fullmatch(path)
        origin = None if m is None else origins.get(m.group(1), {}).get(int(m.group(2)))
        if m is None or origin is None:
            for message in found:
                problems.add(path, message)
            continue
        suffix = m.group(3)
        if suffix is not None and re.split(r"[.\[]", suffix, maxsplit=1)[0] in origin.bad:
            continue  # its cell was already reported
        where = origin.where(None if suffix is None else _column_key(origin, suffix))
        for message in found:
            problems.add(
                where, message if suffix is None or suffix in origin.columns else f"{suffix} : {message}"
            )


def _ordered(messages: dict[str, list[str]], files: list[str]) -> dict[str, list[str]]:
    def key(where: str) -> tuple[int, int, str]:
        m = re.match(r"(.*?), ligne (\d+)", where)
        if m is None or m.group(1) not in files:
            return (len(files), 0, where)
        return (files.index(m.group(1)), int(m.group(2)), where)

    return {where: messages[where] for where in sorted(messages, key=key)}


def import_csv(
    session: Session,
    code: str,
    mapping: CsvMapping,
    *,
    dwellings: CsvFile | None = None,
    households: CsvFile | None = None,
    requests: CsvFile | None = None,
    progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Merge the CSV files into territory ``code`` and import the whole, all or nothing (no commit).

    Writes: the territory's rows, as :func:`~exchange.interchange.import_document`; the caller commits.
    Raises :class:`InvalidCsv` (by file, line and column; nothing written) and
    :class:`~exchange.errors.NotFound`.
    """
    files = {"dwellings": dwellings, "households": households, "requests": requests}
    if not any(files.values()):
        raise InvalidCsv({"fichiers": ["aucun fichier CSV à importer"]})
    doc = export_document(session, code)
    problems = _Problems()
    origins: dict[str, dict[int, _Origin]] = {}
    for section, file in files.items():
        if file is None:
            continue
        if section not in mapping.sections:
            problems.add("correspondance", f"pas de section « {section} » pour lire {file.name}")
            continue
        origins[section] = _merge(doc, section, _parts(section, file, mapping, doc, problems))
    names = [f.name for f in files.values() if f is not None]
    try:
        if problems.messages:
            validate_territory_document(doc)
        else:
            return import_document(session, doc, progress=progress)
    except InvalidTerritory as exc:
        _translate(exc.messages, origins, problems)
    raise InvalidCsv(_ordered(problems.messages, names))
