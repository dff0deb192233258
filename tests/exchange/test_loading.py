"""exchange.loading: a territory reads the same from its document and from the database."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import workflow_scenario as scenario
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from exchange import loading, records
from exchange.errors import InvalidTerritory, NotFound
from exchange.interchange import import_document
from exchange.models import Dwelling, Household, Request
from matching.config import PolicyConfig
from matching.territory import Territory

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _sorted(territory: Territory) -> Territory:
    """The same territory with its items in ref order (the database reads them so)."""
    return replace(
        territory,
        dwellings=tuple(sorted(territory.dwellings, key=lambda d: d.ref)),
        households=tuple(sorted(territory.households, key=lambda h: h.ref)),
        requests=tuple(sorted(territory.requests, key=lambda r: r.household)),
        offers=tuple(sorted(territory.offers)),
    )


def _rich(code: str) -> dict:
    """The workflow scenario with every optional field set somewhere (priorities, workplace, lift…)."""
    document = scenario.document(code)
    family = document["households"][1]
    family.update(priority=["dalo", "violence"], mobility="reduced", workplace={"lat": 4.9, "lon": -52.3})
    document["dwellings"][0].update(floor=3, elevator=True, accessibility="accessible")
    document["requests"][0].update(min_rooms=2, max_rooms=3, accept_qpv=False)
    document["exclusions"] = [{"household": "H3", "dwelling": "D9"}]
    return document


def _documents() -> list[dict]:
    return [
        _rich("TLD"),
        json.loads((FIXTURES / "tiny.json").read_text(encoding="utf-8")),
    ]


@pytest.mark.parametrize("document", _documents(), ids=["scenario", "tiny"])
def test_document_and_database_give_equal_plain_data(session, document):
    from_document = loading.territory_from_document(document)
    summary = import_document(session, document)
    session.flush()
    from_database = loading.load_territory(session, summary.territory)
    assert from_database == _sorted(from_document)


def test_one_row_at_a_time_gives_the_same_plain_types(session):
    code = import_document(session, _rich("TLR")).territory
    session.flush()
    whole = loading.load_territory(session, code)
    dwellings = {d.ref: d for d in whole.dwellings}
    households = {h.ref: h for h in whole.households}
    requests = {r.household: r for r in whole.requests}
    rows = session.scalars(
        select(Household)
        .options(
            joinedload(Household.dwelling).joinedload(Dwelling.sector),
            joinedload(Household.dwelling).joinedload(Dwelling.landlord),
            selectinload(Household.members),
        )
        .where(Household.territory_id == records.territory(session, code).id)
    ).all()
    assert rows
    for row in rows:
        assert loading.plain_household(row) == households[row.ref]
        if row.dwelling is not None:
            assert loading.plain_dwelling(row.dwelling) == dwellings[row.dwelling.ref]
        request = session.scalars(
            select(Request).where(Request.household_id == row.id, Request.status == "open")
        ).one_or_none()
        if request is not None:
            assert loading.plain_request(request, row.ref) == requests[row.ref]
    assert households["H2"].priority and households["H2"].workplace is not None


def test_read_document_applies_the_documents_policy():
    document = scenario.document("TLP")
    document["territory"]["job_distance_km"] = 12
    document["territory"]["policy"] = {"max_cycle": 2}
    territory, config = loading.read_document(document)
    assert territory.code == "TLP"
    assert config == replace(PolicyConfig(), job_distance_km=12.0, max_cycle=2)


def test_an_invalid_document_is_refused_with_its_field_path():
    document = scenario.document("TLX")
    del document["dwellings"][0]["rooms"]
    with pytest.raises(InvalidTerritory) as refused:
        loading.territory_from_document(document)
    assert refused.value.messages == {"dwellings[0].rooms": ["champ obligatoire"]}


def test_an_unknown_territory_is_not_found(session):
    with pytest.raises(NotFound, match="territoire inconnu : NOPE"):
        loading.load_territory(session, "NOPE")
