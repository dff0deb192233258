"""Import and export of the territory interchange document (FORMAT.md).

* :func:`import_document` validates *everything first*, then writes the territory with bulk
  statements in the caller's transaction (services never commit). Re-importing a territory updates
  it in place, by ref/code:

  - landlords, sectors, dwellings and households are upserted; a household's members are replaced;
  - rows absent from the new document are deleted, unless a row outside the territory data still
    points at them (a proposal move, a portal account, a committee decision...): such a household is
    kept without dwelling and its request closed; such a dwelling is kept, no longer offered;
  - the open (or paused) request of a household is updated in place; an open or paused request of a
    household no longer listed in ``requests`` is closed on the document's ``as_of``;
  - ``offers`` set the ``offered`` flag; imported exclusions absent from the document are deleted,
    exclusions recorded by the workflow (refusals, committee rejections) are kept.

  - the territory's policy: ``territory.job_distance_km`` sets the job distance; the optional
    ``territory.policy`` object (settings of :class:`matching.config.PolicyConfig` other than the
    job distance) sets every other number, missing ones taking POLICY.md's defaults; without it
    the stored settings (edited from the portal) stay.

* :func:`export_document` writes the document back (it imports to the same data), with
  ``territory.policy`` when the territory overrides some of POLICY.md's numbers.

Reading a document or the database into the plain matching types is :mod:`exchange.loading`'s; a
territory's policy is :func:`exchange.settings.policy_config`'s.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Column, delete, insert, select, update
from sqlalchemy.orm import Session

from exchange.cache import territory_cache
from exchange.errors import InvalidTerritory
from exchange.loading import document_policy, territory_rows
from exchange.models import (
    Base,
    Dwelling,
    Exclusion,
    Household,
    HouseholdMember,
    Landlord,
    Request,
    Sector,
    Territory,
)
from exchange.schemas import PRIORITIES, TerritoryDocumentSchema, validate_territory_document
from exchange.settings import policy_config, policy_overrides, validate_policy
from exchange.wording import count
from matching.config import PolicyConfig

__all__ = [
    "ImportSummary",
    "ProgressCallback",
    "export_document",
    "import_document",
    "parse_document",
]

ProgressCallback = Callable[[str, int, int], None]
"""``progress(section, done, total)``: called as each section of an import advances.

Sections: ``validation`` (done 0 then 1, total 1), ``bailleurs``, ``sectors``, ``dwellings``,
``households``, ``members``, ``requests``, ``exclusions``."""

_CHUNK = 5000
_IN_CHUNK = 900  # bound parameters per IN (...) list, well under SQLite's limits
_T = TypeVar("_T")

SECTIONS = ("bailleurs", "sectors", "dwellings", "households", "requests", "exclusions")
# Progress sections, in order: "validation" (0 then 1 of 1), then each section as written, and "members".


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import did, for the one-line summary of ``exchange import``."""

    territory: str
    created: bool
    counts: dict[str, int]
    removed: dict[str, int]
    kept: dict[str, int]
    closed_requests: int

    def line(self) -> str:
        """One French line: « Territoire CACL importé : 12 bailleurs, ... »."""
        verb = "importé" if self.created else "mis à jour"
        parts = [
            count(self.counts["bailleurs"], "bailleur", "bailleurs"),
            count(self.counts["sectors"], "secteur", "secteurs"),
            count(self.counts["dwellings"], "logement", "logements"),
            count(self.counts["households"], "ménage", "ménages"),
            count(self.counts["requests"], "demande ouverte", "demandes ouvertes"),
            count(self.counts["offers"], "offre", "offres"),
            count(self.counts["exclusions"], "exclusion", "exclusions"),
        ]
        text = f"Territoire {self.territory} {verb} : {', '.join(parts)}."
        removed = sum(self.removed.values())
        if removed or self.closed_requests or sum(self.kept.values()):
            text += (
                f" Retirés : {removed} ; conservés car référencés : {sum(self.kept.values())} ;"
                f" demandes fermées : {self.closed_requests}."
            )
        return text


# ---------------------------------------------------------------- import

DOCUMENT = "(document)"  # the path of a problem with the whole document (not JSON, nested too deep)


def parse_document(text: str | bytes) -> Any:
    """The JSON of a territory document (a file, an upload), or :class:`InvalidTerritory` under
    ``(document)`` in French: not UTF-8, not JSON, nested too deep, a number too long to read.

    >>> parse_document('{"format": 1}')
    {'format': 1}
    >>> parse_document("[" * 100_000).__class__
    Traceback (most recent call last):
    exchange.errors.InvalidTerritory: 1 champ invalide
    """
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        return json.loads(text)
    except UnicodeDecodeError as exc:
        problem = f"le fichier n'est pas en UTF-8 (octet {exc.start + 1})."
    except RecursionError:
        problem = "JSON imbriqué trop profondément."
    except json.JSONDecodeError as exc:
        problem = f"JSON illisible (ligne {exc.lineno}, colonne {exc.colno})."
    except ValueError:  # Python refuses to read an integer of more than 4,300 digits
        problem = "JSON illisible : un nombre compte trop de chiffres."
    raise InvalidTerritory({DOCUMENT: [problem]})


def _chunks(rows: Sequence[_T], size: int = _CHUNK) -> Iterator[Sequence[_T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class _Writer:
    """Bulk writes of one section, reporting progress chunk by chunk."""

    def __init__(self, session: Session, progress: ProgressCallback | None) -> None:
        self.session = session
        self.progress = progress

    def insert(
        self, model: type[Base], rows: Sequence[dict[str, Any]], section: str, done: int, total: int
    ) -> int:
        for chunk in _chunks(rows):
            self.session.execute(insert(model), list(chunk))
            done += len(chunk)
            self.report(section, done, total)
        return done

    def update(
        self, model: type[Base], rows: Sequence[dict[str, Any]], section: str, done: int, total: int
    ) -> int:
        for chunk in _chunks(rows):
            self.session.execute(update(model), list(chunk))
            done += len(chunk)
            self.report(section, done, total)
        return done

    def report(self, section: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(section, done, total)


def _ids(session: Session, model: Any, key: Any, territory_id: int) -> dict[str, int]:
    rows = session.execute(select(key, model.id).where(model.territory_id == territory_id))
    return dict(rows.all())


def _in_chunks(values: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


def _referenced(session: Session, table: str, ids: set[int], owned: set[str]) -> set[int]:
    """The ``ids`` of ``table`` still pointed at by a foreign key of a table not in ``owned``."""
    found: set[int] = set()
    if not ids:
        return found
    for other in Base.metadata.sorted_tables:
        if other.name in owned:
            continue
        for fk in other.foreign_keys:
            if fk.column.table.name != table:
                continue
            column: Column[Any] = fk.parent
            for chunk in _in_chunks(ids):
                found.update(session.scalars(select(column).where(column.in_(chunk)).distinct()).all())
    return found


def _delete_ids(session: Session, model: Any, ids: set[int]) -> None:
    for chunk in _in_chunks(ids):
        session.execute(delete(model).where(model.id.in_(chunk)))


def import_document(session: Session, doc: Any, *, progress: ProgressCallback | None = None) -> ImportSummary:
    """Validate ``doc`` whole, then create or update its territory (no commit: the caller's transaction).

    Writes: the territory's rows, and clears its entries of the portal's cache; the caller commits.
    Raises :class:`~exchange.errors.InvalidTerritory` before writing anything if the document is invalid.
    """
    writer = _Writer(session, progress)
    writer.report("validation", 0, 1)
    data = validate_territory_document(doc)
    writer.report("validation", 1, 1)
    summary = _write(session, data, writer)
    territory_cache.invalidate(summary.territory)
    return summary


def _write(session: Session, data: dict[str, Any], writer: _Writer) -> ImportSummary:
    info = data["territory"]
    territory = session.scalars(select(Territory).where(Territory.code == info["code"])).one_or_none()
    created = territory is None
    config = PolicyConfig() if territory is None else validate_policy(territory.policy or {})
    config = document_policy(info, config)
    if territory is None:
        territory = Territory(code=info["code"], name=info["name"], as_of=data["as_of"], policy={})
        session.add(territory)
    territory.name = info["name"]
    territory.as_of = data["as_of"]
    territory.policy = policy_overrides(config)
    session.flush()
    tid = territory.id
    removed: dict[str, int] = {}
    kept: dict[str, int] = {}

    landlords = _upsert_simple(session, writer, Landlord, "bailleurs", data["bailleurs"], tid, ("name",))
    sectors = _upsert_simple(
        session, writer, Sector, "sectors", data["sectors"], tid, ("commune", "name", "qpv")
    )
    offered = {o["dwelling"] for o in data["offers"]}
    old_dwellings = _ids(session, Dwelling, Dwelling.ref, tid)
    old_households = _ids(session, Household, Household.ref, tid)

    # Households leave their dwellings first, so that moves between dwellings never meet UNIQUE(dwelling_id).
    new_household_refs = {h["ref"] for h in data["households"]}
    for chunk in _in_chunks(old_households.values()):
        session.execute(update(Household).where(Household.id.in_(chunk)).values(dwelling_id=None))
    gone_households = {hid for ref, hid in old_households.items() if ref not in new_household_refs}
    removed["households"], kept["households"] = _remove(
        session,
        Household,
        "household",
        gone_households,
        {"household_member", "mutation_request", "exclusion"},
    )

    dwelling_rows = [
        {
            "territory_id": tid,
            "ref": d["ref"],
            "landlord_id": landlords[d["bailleur"]],
            "sector_id": sectors[d["sector"]],
            "rooms": d["rooms"],
            "surface_m2": d["surface_m2"],
            "floor": d["floor"],
            "elevator": d["elevator"],
            "accessibility": d["accessibility"],
            "rent": d["rent"],
            "charges": d["charges"],
            "lat": d["lat"],
            "lon": d["lon"],
            "offered": d["ref"] in offered,
        }
        for d in data["dwellings"]
    ]
    new_dwelling_refs = {d["ref"] for d in data["dwellings"]}
    gone_dwellings = {did for ref, did in old_dwellings.items() if ref not in new_dwelling_refs}
    removed["dwellings"], kept["dwellings"] = _remove(
        session, Dwelling, "dwelling", gone_dwellings, {"exclusion"}
    )
    if gone_dwellings:
        for chunk in _in_chunks(gone_dwellings):
            session.execute(update(Dwelling).where(Dwelling.id.in_(chunk)).values(offered=False))
    dwellings = _upsert_rows(writer, Dwelling, "dwellings", dwelling_rows, old_dwellings)
    dwellings = _ids(session, Dwelling, Dwelling.ref, tid)

    household_rows = [
        {
            "territory_id": tid,
            "ref": h["ref"],
            "dwelling_id": None if h["dwelling"] is None else dwellings[h["dwelling"]],
            "monthly_resources": h["monthly_resources"],
            "mobility": h["mobility"],
            **{f"priority_{flag}": flag in h["priority"] for flag in PRIORITIES},
            "workplace_lat": None if h["workplace"] is None else h["workplace"]["lat"],
            "workplace_lon": None if h["workplace"] is None else h["workplace"]["lon"],
        }
        for h in data["households"]
    ]
    _upsert_rows(writer, Household, "households", household_rows, old_households)
    households = _ids(session, Household, Household.ref, tid)
    for chunk in _in_chunks(hid for ref, hid in old_households.items() if ref in new_household_refs):
        session.execute(delete(HouseholdMember).where(HouseholdMember.household_id.in_(chunk)))
    members = [
        {"household_id": households[h["ref"]], "position": position, "role": m["role"], "age": m["age"]}
        for h in data["households"]
        for position, m in enumerate(h["members"])
    ]
    writer.insert(HouseholdMember, members, "members", 0, len(members))

    # Landlords and sectors absent from the document go once no dwelling (or account...) needs them.
    for model, table, section in ((Landlord, "landlord", "bailleurs"), (Sector, "sector", "sectors")):
        listed = {row["code"] for row in data[section]}
        old = _ids(session, model, model.code, tid)
        gone = {rid for code, rid in old.items() if code not in listed}
        removed[section], kept[section] = _remove(session, model, table, gone, set())

    closed = _write_requests(session, writer, data, tid, households)
    _write_exclusions(session, writer, data, tid, households, dwellings)
    session.flush()
    counts = {section: len(data[section]) for section in (*SECTIONS, "offers")}
    return ImportSummary(info["code"], created, counts, removed, kept, closed)


def _upsert_simple(
    session: Session,
    writer: _Writer,
    model: Any,
    section: str,
    items: list[dict[str, Any]],
    tid: int,
    columns: tuple[str, ...],
) -> dict[str, int]:
    old = _ids(session, model, model.code, tid)
    rows = [{"territory_id": tid, "code": item["code"], **{c: item[c] for c in columns}} for item in items]
    _upsert_rows(writer, model, section, rows, old)
    return _ids(session, model, model.code, tid)


def _upsert_rows(
    writer: _Writer, model: Any, section: str, rows: list[dict[str, Any]], old: dict[str, int]
) -> dict[str, int]:
    key = "code" if "code" in (rows[0] if rows else {}) else "ref"
    updates = [{**row, "id": old[row[key]]} for row in rows if row[key] in old]
    inserts = [row for row in rows if row[key] not in old]
    done = writer.update(model, updates, section, 0, len(rows))
    writer.insert(model, inserts, section, done, len(rows))
    writer.report(section, len(rows), len(rows))
    return old


def _remove(session: Session, model: Any, table: str, ids: set[int], owned: set[str]) -> tuple[int, int]:
    """Delete the rows ``ids`` nothing else points at; returns (deleted, kept)."""
    keep = _referenced(session, table, ids, owned)
    _delete_ids(session, model, ids - keep)
    return len(ids - keep), len(keep)


def _write_requests(
    session: Session, writer: _Writer, data: dict[str, Any], tid: int, households: dict[str, int]
) -> int:
    """Upsert the open requests; close the current requests no longer listed. Returns the number closed."""
    current = dict(
        session.execute(
            select(Request.household_id, Request.id).where(
                Request.territory_id == tid, Request.status.in_(("open", "paused"))
            )
        ).all()
    )
    rows = []
    listed: set[int] = set()
    for r in data["requests"]:
        hid = households[r["household"]]
        listed.add(hid)
        rows.append(
            {
                "territory_id": tid,
                "household_id": hid,
                "filed_on": r["filed_on"],
                "max_cost": r["max_cost"],
                "communes": sorted(r["communes"]),
                "accept_qpv": r["accept_qpv"],
                "min_rooms": r["min_rooms"],
                "max_rooms": r["max_rooms"],
            }
        )
    updates = [{**row, "id": current[row["household_id"]]} for row in rows if row["household_id"] in current]
    inserts = [
        {**row, "status": "open", "closed_on": None} for row in rows if row["household_id"] not in current
    ]
    done = writer.update(Request, updates, "requests", 0, len(rows))
    writer.insert(Request, inserts, "requests", done, len(rows))
    to_close = {rid for hid, rid in current.items() if hid not in listed}
    for chunk in _in_chunks(to_close):
        session.execute(
            update(Request).where(Request.id.in_(chunk)).values(status="closed", closed_on=data["as_of"])
        )
    writer.report("requests", len(rows), len(rows))
    return len(to_close)


def _write_exclusions(
    session: Session,
    writer: _Writer,
    data: dict[str, Any],
    tid: int,
    households: dict[str, int],
    dwellings: dict[str, int],
) -> None:
    existing = {
        (hid, did): (eid, reason)
        for eid, hid, did, reason in session.execute(
            select(Exclusion.id, Exclusion.household_id, Exclusion.dwelling_id, Exclusion.reason).where(
                Exclusion.territory_id == tid
            )
        )
    }
    wanted = {(households[e["household"]], dwellings[e["dwelling"]]) for e in data["exclusions"]}
    stale = {eid for pair, (eid, reason) in existing.items() if reason == "imported" and pair not in wanted}
    _delete_ids(session, Exclusion, stale)
    rows = [
        {"territory_id": tid, "household_id": hid, "dwelling_id": did, "reason": "imported"}
        for hid, did in sorted(wanted - set(existing))
    ]
    writer.insert(Exclusion, rows, "exclusions", len(wanted) - len(rows), len(wanted))
    writer.report("exclusions", len(wanted), len(wanted))


# ---------------------------------------------------------------- reading back


def export_document(session: Session, code: str) -> dict[str, Any]:
    """The territory ``code`` as a FORMAT.md document (JSON-ready), sorted by code and ref.

    Raises :class:`~exchange.errors.NotFound`.
    """
    snap = territory_rows(session, code)
    config = policy_config(session, code)
    landlord_code = {lid: c for lid, c, _ in snap.landlords}
    sector_code = {sid: c for sid, c, *_ in snap.sectors}
    dwelling_ref = {d.id: d.ref for d in snap.dwellings}
    household_ref = {h.id: h.ref for h in snap.households}
    occupied = {h.dwelling_id for h in snap.households if h.dwelling_id is not None}
    data: dict[str, Any] = {
        "format": "bourse-echange/1",
        "as_of": snap.territory.as_of,
        "territory": {
            "code": snap.territory.code,
            "name": snap.territory.name,
            "job_distance_km": config.job_distance_km,
        },
        "bailleurs": [{"code": c, "name": n} for _, c, n in sorted(snap.landlords, key=lambda r: r[1])],
        "sectors": [
            {"code": c, "commune": commune, "name": n, "qpv": qpv}
            for _, c, commune, n, qpv in sorted(snap.sectors, key=lambda r: r[1])
        ],
        "dwellings": [
            {
                "ref": d.ref,
                "bailleur": landlord_code[d.landlord_id],
                "sector": sector_code[d.sector_id],
                **{k: getattr(d, k) for k in ("rooms", "surface_m2", "floor", "elevator", "accessibility")},
                **{k: getattr(d, k) for k in ("rent", "charges", "lat", "lon")},
            }
            for d in sorted(snap.dwellings, key=lambda d: d.ref)
        ],
        "households": [
            {
                "ref": h.ref,
                "dwelling": None if h.dwelling_id is None else dwelling_ref[h.dwelling_id],
                "members": [{"role": role, "age": age} for role, age in snap.members.get(h.id, ())],
                "monthly_resources": h.monthly_resources,
                "mobility": h.mobility,
                "priority": [flag for flag in PRIORITIES if getattr(h, f"priority_{flag}")],
                "workplace": None
                if h.workplace_lat is None
                else {"lat": h.workplace_lat, "lon": h.workplace_lon},
            }
            for h in sorted(snap.households, key=lambda h: h.ref)
        ],
        "requests": [
            {
                "household": household_ref[r.household_id],
                "filed_on": r.filed_on,
                "max_cost": r.max_cost,
                "communes": sorted(r.communes),
                "accept_qpv": r.accept_qpv,
                "min_rooms": r.min_rooms,
                "max_rooms": r.max_rooms,
            }
            for r in sorted(snap.requests, key=lambda r: household_ref[r.household_id])
        ],
        "offers": [
            {"dwelling": d.ref}
            for d in sorted(snap.dwellings, key=lambda d: d.ref)
            if d.offered and d.id not in occupied
        ],
        "exclusions": [{"household": h, "dwelling": d} for h, d in sorted(snap.exclusions)],
    }
    settings = {k: v for k, v in policy_overrides(config).items() if k != "job_distance_km"}
    if settings:  # only then: a default territory exports a plain FORMAT.md document
        data["territory"]["policy"] = settings
    dumped: dict[str, Any] = TerritoryDocumentSchema().dump(data)
    return dumped
