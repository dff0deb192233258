"""exchange.portal's territory services (territory, figures), called directly as the web calls them."""

from __future__ import annotations

import portal_world
import pytest
import workflow_scenario as scenario

from exchange import portal
from exchange.cache import territory_cache
from exchange.errors import InvalidTerritory, NotFound
from exchange.settings import InvalidPolicy


@pytest.fixture
def world(session):
    yield portal_world.build(session)
    portal.clear_cache()


def test_the_overview_counts_the_territory(session, world):
    info = portal.territory_overview(session, world["account"]["admin"])
    assert (info.code, info.name) == ("TPS", "Territoire du suivi")
    assert (info.landlords, info.dwellings, info.households) == (2, 7, 6)
    assert (info.open_requests, info.offers, info.live_proposals) == (6, 1, 3)
    assert info.last_run_id == world["run"].id


def test_import_territory_document_updates_the_admins_own_territory_only(session, world):
    admin = world["account"]["admin"]
    document = scenario.document("TPS")
    document["territory"]["name"] = "Territoire renommé"
    territory_cache.get("TPS", "snapshot", lambda: "read before the import")
    line = portal.import_territory_document(session, admin, document)
    assert line.startswith("Territoire TPS mis à jour : 2 bailleurs")
    assert territory_cache.peek("TPS", "snapshot") is None  # the import cleared what was read before
    assert portal.territory_overview(session, admin).name == "Territoire renommé"
    with pytest.raises(InvalidTerritory) as refused:
        portal.import_territory_document(session, admin, scenario.document("AUTRE"))
    assert list(refused.value.messages) == ["territory.code"]
    with pytest.raises(InvalidTerritory):
        portal.import_territory_document(session, admin, ["pas", "un", "objet"])


def test_save_policy_stores_the_settings_and_clears_the_cache(session, world):
    admin = world["account"]["admin"]
    assert portal.policy_settings(session, admin) == portal.policy_defaults() | {"job_distance_km": 30.0}
    territory_cache.get("TPS", "snapshot", lambda: "read before the change")
    portal.save_policy(session, admin, {"max_cycle": 2})
    assert territory_cache.peek("TPS", "snapshot") is None
    assert portal.policy_settings(session, admin)["max_cycle"] == 2
    with pytest.raises(InvalidPolicy) as refused:
        portal.save_policy(session, admin, {"max_cycle": 99})
    assert list(refused.value.messages) == ["max_cycle"]


def test_runs_are_listed_and_reported(session, world):
    admin = world["account"]["admin"]
    rows = portal.list_runs(session, admin)
    run = world["run"]
    assert [(r.id, r.proposal_count, r.move_count) for r in rows] == [(run.id, 3, 5)]
    report = portal.run_report(session, admin, run.id)
    facts = dict(report.facts)
    assert (facts["Propositions"], facts["Mouvements proposés"]) == ("3", "5")
    assert sorted(p.size for p in report.proposals) == [1, 2, 2]
    with pytest.raises(NotFound, match=f"calcul inconnu : {run.id + 1}"):
        portal.run_report(session, admin, run.id + 1)


def test_the_statistics_page_its_data_and_its_charts(session, world):
    admin = world["account"]["admin"]
    view = portal.stats_view(session, admin, year=None)
    sections = {s.title: s for s in view.sections}
    made = dict(sections["Propositions"].rows)
    assert made["faites"] == "3"
    assert sections["Propositions"].chart == "propositions"
    assert dict(sections["Demandes ouvertes par critère"].rows)["suroccupation"] == "3"
    data = portal.stats_data(session, admin, year=None)
    assert data["proposals"]["made"] == 3 and data["territory"] == "TPS"
    svg = portal.stats_chart(session, admin, "propositions", year=None)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    with pytest.raises(NotFound, match="graphique inconnu"):
        portal.stats_chart(session, admin, "camembert", year=None)
