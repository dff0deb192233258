"""A mutation fuzzer over an exported territory document: every bad import is refused, by path, and
writes nothing.

hypothesis takes the document ``exchange export`` writes back for a small territory and breaks it
in one place: a value of the wrong type, a string too long, blank, with a NUL or a lone surrogate, a
number far out of its bounds, a required key deleted, an unknown key added, an item duplicated, a
reference to nothing. The import must raise :class:`InvalidTerritory` with a message on the mutated
path (or below it), no message may carry Python's text, every line must be printable, and the
database must be exactly as before (row counts and a checksum of the territory's tables).
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from factories import make_document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from exchange import models as m
from exchange.errors import InvalidTerritory
from exchange.interchange import export_document, import_document
from exchange.schemas import territory as schemas

Path = tuple[str | int, ...]

PYTHON_TEXT = re.compile(r"Traceback|Error|Exception|NoneType|\bint\b|\bstr\b|\bdict\b|\blist\b")
SECTIONS = ("bailleurs", "sectors", "dwellings", "households", "requests", "offers", "exclusions")
REFERENCES: dict[str, tuple[str, ...]] = {
    "dwellings": ("bailleur", "sector"),
    "households": ("dwelling",),
    "requests": ("household",),
    "offers": ("dwelling",),
    "exclusions": ("household", "dwelling"),
}
ITEM_SCHEMAS: dict[str, type[Schema]] = {
    "bailleurs": schemas.BailleurSchema,
    "sectors": schemas.SectorSchema,
    "dwellings": schemas.DwellingSchema,
    "households": schemas.HouseholdSchema,
    "requests": schemas.RequestSchema,
    "offers": schemas.OfferSchema,
    "exclusions": schemas.ExclusionSchema,
}
TABLES = ("territory", "landlord", "sector", "dwelling", "household", "household_member")
TABLES += ("mutation_request", "exclusion")

# Values of another JSON kind than the one found (None only where no field may be null).
WRONG_KIND: dict[str, list[Any]] = {
    "str": [1, 2.5, [], {}, True],
    "number": ["1", [], {}, True],
    "bool": [1, 0, "true", [], None],
    "list": ["x", {}, 1],
    "dict": [[], "x", 1],
    "null": [[], True, 3.5],
}
BAD_STRINGS = ["", "   ", "x" * 300, "a\x00b", "D" + chr(0xD800), chr(0xDFFF)]
BAD_NUMBERS = [2**31, -(2**31) - 1, 10**20, -(10**20), 10**400, 1e300, float("nan"), float("inf")]


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return {str: "str", list: "list", dict: "dict"}[type(value)]


def _nodes(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, (*path, index))


def _text(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _get(doc: Any, path: Path) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _schema_at(path: Path) -> type[Schema] | None:
    """The schema of the object at ``path`` (None for free objects such as ``territory.policy``)."""
    if path == ():
        return schemas.TerritoryDocumentSchema
    if path == ("territory",):
        return schemas.TerritoryInfoSchema
    if len(path) == 2 and path[0] in ITEM_SCHEMAS:
        return ITEM_SCHEMAS[str(path[0])]
    if len(path) == 4 and path[0] == "households" and path[2] == "members":
        return schemas.MemberSchema
    if len(path) == 3 and path[0] == "households" and path[2] == "workplace":
        return schemas.PointSchema
    return None


def _under(found: str, mutated: str) -> bool:
    return found == mutated or found.startswith((f"{mutated}.", f"{mutated}["))


@st.composite
def mutations(draw: st.DrawFn, doc: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """(mutated document, the path expected among the errors, what was done)."""
    doc = copy.deepcopy(doc)
    nodes = [(path, value) for path, value in _nodes(doc) if path]
    kind = draw(st.sampled_from(["kind", "string", "number", "delete", "unknown", "duplicate", "reference"]))
    if kind == "kind":
        path, value = draw(st.sampled_from(nodes))
        new = draw(st.sampled_from(WRONG_KIND[_kind(value)]))
    elif kind == "string":
        path, value = draw(st.sampled_from([(p, v) for p, v in nodes if isinstance(v, str)]))
        new = draw(st.sampled_from(BAD_STRINGS))
    elif kind == "number":
        numbers = [(p, v) for p, v in nodes if _kind(v) == "number"]
        path, value = draw(st.sampled_from(numbers))
        new = draw(st.sampled_from(BAD_NUMBERS))
    elif kind == "delete":
        required = [
            (*p, name)
            for p, v in [((), doc), *nodes]
            if isinstance(v, dict) and (schema := _schema_at(p)) is not None
            for name, field in schema().fields.items()
            if field.required and name in v
        ]
        path = draw(st.sampled_from(required))
        del _get(doc, path[:-1])[path[-1]]
        return doc, _text(path), f"supprime {_text(path)}"
    elif kind == "unknown":
        objects = [p for p, v in [((), doc), *nodes] if isinstance(v, dict)]
        where = draw(st.sampled_from(objects))
        _get(doc, where)["clé_inconnue"] = 1
        return doc, _text((*where, "clé_inconnue")), f"ajoute une clé à {_text(where) or 'la racine'}"
    elif kind == "duplicate":
        section = draw(st.sampled_from([s for s in SECTIONS if doc[s]]))
        index = draw(st.integers(0, len(doc[section]) - 1))
        doc[section].append(copy.deepcopy(doc[section][index]))
        path = (section, len(doc[section]) - 1)
        return doc, _text(path), f"double {section}[{index}]"
    else:
        links = [
            (section, i, key)
            for section, keys in REFERENCES.items()
            for i, item in enumerate(doc[section])
            for key in keys
            if item.get(key) is not None
        ]
        links += [
            ("requests", i, ("communes", j))
            for i, item in enumerate(doc["requests"])
            for j in range(len(item["communes"]))
        ]
        section, i, key = draw(st.sampled_from(links))
        path = (section, i, *(key if isinstance(key, tuple) else (key,)))
        new = "INCONNU-9"
        value = _get(doc, path)
    _get(doc, path[:-1])[path[-1]] = new
    return doc, _text(path), f"{_text(path)} : {value!r} -> {new!r}"


def _fingerprint(session: Session) -> tuple[dict[str, int], str]:
    """Row counts of the territory tables and a checksum of their rows."""
    counts: dict[str, int] = {}
    digest = hashlib.sha256()
    for table in TABLES:
        counts[table] = session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        for row in session.execute(text(f"SELECT * FROM {table} ORDER BY id")):
            digest.update(repr(tuple(row)).encode())
    return counts, digest.hexdigest()


@pytest.fixture
def exported(session: Session) -> dict[str, Any]:
    """The test territory (with a policy of its own) imported, then exported as JSON-ready data."""
    document = make_document()
    document["territory"]["policy"] = {"max_cycle": 2, "points_dalo": 250}
    import_document(session, document)
    session.flush()
    return export_document(session, "TST")


def test_the_exported_document_is_rich_enough(session: Session, exported: dict[str, Any]) -> None:
    assert all(exported[section] for section in SECTIONS)
    assert exported["territory"]["policy"] and any(h["workplace"] for h in exported["households"])
    assert session.scalar(select(func.count()).select_from(m.Territory)) == 1


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_mutation_is_refused_by_path_and_writes_nothing(
    session: Session, exported: dict[str, Any], data: st.DataObject
) -> None:
    doc, expected, what = data.draw(mutations(exported))
    before = _fingerprint(session)
    with pytest.raises(InvalidTerritory) as caught:
        import_document(session, doc)
    messages = caught.value.messages
    assert any(_under(path, expected) for path in messages), (what, messages)
    for line in caught.value.lines():
        line.encode("utf-8")  # printable as it is: no lone surrogate, even when echoing a value
        assert not PYTHON_TEXT.search(line.split(": ", 1)[1]), (what, line)
        assert len(line) < 400, (what, line)
    assert _fingerprint(session) == before, what
