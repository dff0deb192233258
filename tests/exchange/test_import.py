"""Importing, re-importing and exporting a territory; reading it back for a matching run; the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from factories import make_document, make_dwelling, make_household, make_request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange import interchange, loading
from exchange.cli import cli
from exchange.db import get_engine
from exchange.errors import InvalidTerritory, NotFound
from exchange.interchange import export_document, import_document
from exchange.loading import load_territory, territory_from_document
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
    UserAccount,
)
from exchange.settings import policy_config, update_policy
from matching.config import PolicyConfig

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _normalised(doc: dict[str, Any]) -> dict[str, Any]:
    """The document loaded by the schema, lists sorted: two documents with the same data compare equal."""
    from exchange.schemas import validate_territory_document

    data = validate_territory_document(json.loads(json.dumps(doc)))
    keys = {
        "bailleurs": "code",
        "sectors": "code",
        "dwellings": "ref",
        "households": "ref",
        "requests": "household",
    }
    for section, key in keys.items():
        data[section] = sorted(data[section], key=lambda item, key=key: item[key])
    for household in data["households"]:
        household["priority"] = sorted(household["priority"])
    for request in data["requests"]:
        request["communes"] = sorted(request["communes"])
    data["offers"] = sorted(o["dwelling"] for o in data["offers"])
    data["exclusions"] = sorted((e["household"], e["dwelling"]) for e in data["exclusions"])
    return data


def _count(session: Session, model: Any, *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _counts(session: Session) -> dict[str, int]:
    return {t.name: _count(session, t) for t in Base.metadata.sorted_tables}


def _household(session: Session, ref: str) -> Household:
    return session.scalars(select(Household).where(Household.ref == ref)).one()


def _requests(session: Session, ref: str) -> list[tuple[str, date | None]]:
    household = _household(session, ref)
    rows = session.execute(
        select(Request.status, Request.closed_on)
        .where(Request.household_id == household.id)
        .order_by(Request.id)
    )
    return [(status, closed_on) for status, closed_on in rows]


# ---------------------------------------------------------------- first import


def test_import_writes_every_section(session: Session) -> None:
    summary = import_document(session, make_document())
    assert summary.created and summary.territory == "TST"
    assert (_count(session, Landlord), _count(session, Sector), _count(session, Dwelling)) == (2, 2, 4)
    assert (_count(session, Household), _count(session, HouseholdMember)) == (3, 7)
    assert _count(session, Request, Request.status == "open") == 2
    assert _count(session, Exclusion, Exclusion.reason == "imported") == 1
    d4 = session.scalars(select(Dwelling).where(Dwelling.ref == "D4")).one()
    assert (
        d4.offered and d4.household is None and d4.landlord.code == "SOLA" and d4.sector.commune == "Matoury"
    )
    h1 = _household(session, "H1")
    assert h1.dwelling is not None and h1.dwelling.ref == "D1"
    assert [(m.role, m.age) for m in h1.members] == [("head", 41), ("partner", 39), ("child", 12)]
    assert h1.priority == ["violence"] and (h1.workplace_lat, h1.workplace_lon) == (5.159, -52.65)
    assert "Territoire TST importé : 2 bailleurs, 2 secteurs, 4 logements, 3 ménages" in summary.line()


def test_job_distance_goes_to_the_policy_and_other_settings_stay(session: Session) -> None:
    import_document(session, make_document())
    assert policy_config(session, "TST").job_distance_km == 30.0
    update_policy(session, "TST", {"points_dalo": 45})
    doc = make_document(territory={"code": "TST", "name": "Territoire de test", "job_distance_km": 25})
    import_document(session, doc)
    config = policy_config(session, "TST")
    assert (config.job_distance_km, config.points_dalo) == (25.0, 45)
    assert export_document(session, "TST")["territory"]["job_distance_km"] == 25.0


def test_the_policy_settings_are_exported_and_imported(session: Session) -> None:
    import_document(session, make_document())
    assert "policy" not in export_document(session, "TST")["territory"]  # defaults: plain FORMAT.md
    update_policy(session, "TST", {"points_dalo": 45, "surface_couple_m2": 15.0, "job_distance_km": 20})
    exported = export_document(session, "TST")
    assert exported["territory"]["job_distance_km"] == 20.0
    assert exported["territory"]["policy"] == {"surface_couple_m2": 15.0, "points_dalo": 45}
    copy = json.loads(json.dumps(exported))
    copy["territory"]["code"] = "TS2"
    import_document(session, copy)
    assert policy_config(session, "TS2") == policy_config(session, "TST")
    assert export_document(session, "TS2")["territory"] == {**exported["territory"], "code": "TS2"}
    _, config = loading.read_document(copy)
    assert config == policy_config(session, "TST")


def test_a_document_policy_replaces_the_stored_settings(session: Session) -> None:
    import_document(session, make_document())
    update_policy(session, "TST", {"points_dalo": 45, "points_violence": 5, "job_distance_km": 20})
    info = {"code": "TST", "name": "Territoire de test", "policy": {"points_violence": 7}}
    import_document(session, make_document(territory=info))
    config = policy_config(session, "TST")
    # Listed: set; not listed: POLICY.md's default; the job distance has its own field (absent: kept).
    assert (config.points_violence, config.points_dalo, config.job_distance_km) == (7, 30, 20.0)
    info = {"code": "TST", "name": "Territoire de test", "policy": {}}
    import_document(session, make_document(territory=info))
    assert policy_config(session, "TST").to_dict() == {
        **PolicyConfig().to_dict(),
        "job_distance_km": 20.0,
    }


def test_load_territory_matches_the_document(session: Session) -> None:
    doc = make_document()
    import_document(session, doc)
    assert load_territory(session, "TST") == territory_from_document(doc)
    later = load_territory(session, "TST", as_of=date(2027, 1, 4))
    assert later.as_of == date(2027, 1, 4)


@pytest.mark.parametrize("name", ["tiny", "three_cycle", "chain", "mixed"])
def test_load_territory_matches_the_hand_made_fixtures(session: Session, name: str) -> None:
    doc = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    import_document(session, doc)
    assert load_territory(session, doc["territory"]["code"]) == territory_from_document(doc)


def test_load_territory_reads_open_requests_and_vacant_offers_only(session: Session) -> None:
    import_document(session, make_document())
    h2 = _household(session, "H2")
    session.execute(Request.__table__.update().where(Request.household_id == h2.id).values(status="paused"))
    d1 = session.scalars(select(Dwelling).where(Dwelling.ref == "D1")).one()
    d1.offered = True  # occupied by H1: not an offer
    session.flush()
    plain = load_territory(session, "TST")
    assert [r.household for r in plain.requests] == ["H1"]
    assert plain.offers == ("D4",)
    assert plain.exclusions == frozenset({("H1", "D3")})


def test_unknown_territory(session: Session) -> None:
    with pytest.raises(NotFound):
        load_territory(session, "NOPE")
    with pytest.raises(NotFound):
        export_document(session, "NOPE")


# ---------------------------------------------------------------- re-import


def test_reimport_is_idempotent(session: Session) -> None:
    import_document(session, make_document())
    counts = _counts(session)
    ids = dict(session.execute(select(Household.ref, Household.id)).all())
    exported = export_document(session, "TST")
    summary = import_document(session, make_document())
    assert not summary.created
    assert _counts(session) == counts
    assert dict(session.execute(select(Household.ref, Household.id)).all()) == ids
    assert export_document(session, "TST") == exported


def test_reimport_updates_in_place(session: Session) -> None:
    import_document(session, make_document())
    h1_id = _household(session, "H1").id
    doc = make_document()
    doc["dwellings"][0]["rent"] = 400.0
    doc["households"][0]["members"] = [{"role": "head", "age": 42}]
    doc["households"][0]["priority"] = []
    doc["requests"][0]["max_cost"] = 600.0
    doc["sectors"][0]["qpv"] = False
    # H1 and H2 swap their dwellings: the UNIQUE dwelling of a household must not get in the way.
    doc["households"][0]["dwelling"], doc["households"][1]["dwelling"] = "D2", "D1"
    import_document(session, doc)
    session.expire_all()
    h1 = _household(session, "H1")
    assert h1.id == h1_id
    assert [(m.role, m.age) for m in h1.members] == [("head", 42)]
    assert h1.priority == [] and h1.dwelling is not None and h1.dwelling.ref == "D2"
    assert _household(session, "H2").dwelling.ref == "D1"  # type: ignore[union-attr]
    request = session.scalars(select(Request).where(Request.household_id == h1_id)).one()
    assert (request.status, request.max_cost) == ("open", 600.0)
    assert session.scalars(select(Dwelling.rent).where(Dwelling.ref == "D1")).one() == 400.0
    assert session.scalars(select(Sector.qpv).where(Sector.code == "CAY-01")).one() is False
    assert _normalised(export_document(session, "TST")) == _normalised(doc)


def test_rows_absent_from_the_new_document(session: Session) -> None:
    """Households and dwellings no longer listed go; a request no longer listed is closed on as_of."""
    import_document(session, make_document())
    doc = make_document(as_of="2026-12-01")
    doc["households"] = doc["households"][:2]  # H3 leaves; D3 becomes vacant
    doc["dwellings"] = doc["dwellings"][:3]  # D4 is gone (and no longer offered)
    doc["offers"] = []
    doc["exclusions"] = []
    doc["requests"] = doc["requests"][:1]  # H2's request is no longer open
    doc["bailleurs"].append({"code": "NEW", "name": "Nouveau bailleur"})
    summary = import_document(session, doc)
    assert summary.removed["households"] == 1 and summary.removed["dwellings"] == 1
    assert summary.closed_requests == 1
    assert session.scalars(select(Household.ref).order_by(Household.ref)).all() == ["H1", "H2"]
    assert session.scalars(select(Dwelling.ref).order_by(Dwelling.ref)).all() == ["D1", "D2", "D3"]
    assert _requests(session, "H2") == [("closed", date(2026, 12, 1))]
    assert _count(session, Exclusion) == 0
    assert _normalised(export_document(session, "TST")) == _normalised(doc)
    # Listed again later: a new open request, the closed one kept as history.
    import_document(session, make_document(as_of="2026-12-15"))
    assert _requests(session, "H2") == [("closed", date(2026, 12, 1)), ("open", None)]
    assert _normalised(export_document(session, "TST")) == _normalised(make_document(as_of="2026-12-15"))


def test_a_referenced_household_is_kept_without_its_dwelling(session: Session) -> None:
    import_document(session, make_document())
    h1 = _household(session, "H1")
    territory_id = session.scalars(select(Territory.id)).one()
    session.add(
        UserAccount(
            login="h1@example.org",
            password_hash="x",
            role="tenant",
            territory_id=territory_id,
            household_id=h1.id,
        )
    )
    session.flush()
    doc = make_document()
    doc["households"] = doc["households"][1:]
    doc["requests"] = doc["requests"][1:]
    doc["exclusions"] = []
    summary = import_document(session, doc)
    assert summary.kept["households"] == 1 and summary.removed["households"] == 0
    session.expire_all()
    h1 = _household(session, "H1")
    assert h1.dwelling is None
    assert _requests(session, "H1") == [("closed", date(2026, 11, 22))]
    assert _count(session, UserAccount) == 1


def test_workflow_exclusions_survive_a_reimport(session: Session) -> None:
    import_document(session, make_document())
    refused = session.scalars(select(Exclusion)).one()
    refused.reason = "refused"
    session.flush()
    doc = make_document(exclusions=[])
    import_document(session, doc)
    assert session.scalars(select(Exclusion.reason)).all() == ["refused"]


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize("name", ["tiny", "three_cycle", "chain", "mixed"])
def test_round_trip_of_the_fixtures(session: Session, name: str) -> None:
    doc = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    import_document(session, doc)
    exported = export_document(session, doc["territory"]["code"])
    assert _normalised(exported) == _normalised(doc)
    json.dumps(exported)  # JSON-ready: dates as strings


def test_round_trip_of_a_generated_territory(session: Session) -> None:
    generate = pytest.importorskip("fixtures.generate")
    doc = generate.generate_territory(7, 300)
    import_document(session, doc)
    exported = export_document(session, doc["territory"]["code"])
    assert _normalised(exported) == _normalised(doc)
    counts = _counts(session)
    import_document(session, exported)
    assert _counts(session) == counts


def test_export_is_sorted_and_complete(session: Session) -> None:
    doc = make_document()
    doc["dwellings"].reverse()
    import_document(session, doc)
    exported = export_document(session, "TST")
    assert [d["ref"] for d in exported["dwellings"]] == ["D1", "D2", "D3", "D4"]
    assert exported["households"][0] == make_household(
        "H1", "D1", priority=["violence"], workplace={"lat": 5.159, "lon": -52.65}
    )
    assert exported["requests"][1] == make_request(
        "H2", filed_on="2024-01-31", communes=["Matoury"], min_rooms=1, max_rooms=2
    )
    assert exported["dwellings"][3] == make_dwelling(
        "D4", bailleur="SOLA", sector="MAT-01", rooms=4, surface_m2=80.0, floor=0
    )
    assert exported["as_of"] == "2026-11-22"


# ---------------------------------------------------------------- command line


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_cli_import_then_export(fresh_db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["import", str(_write(tmp_path / "t.json", make_document()))])
    assert result.exit_code == 0, result.output
    assert "Territoire TST importé : 2 bailleurs, 2 secteurs, 4 logements, 3 ménages" in result.output
    result = runner.invoke(cli, ["export", "TST", "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 0, result.output
    assert f"Territoire TST exporté dans {tmp_path / 'out.json'} : 4 logements" in result.output
    exported = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert _normalised(exported) == _normalised(make_document())
    result = runner.invoke(cli, ["import", str(tmp_path / "out.json")])
    assert result.exit_code == 0 and "Territoire TST mis à jour" in result.output


def test_cli_import_refuses_a_bad_document_and_writes_nothing(fresh_db_url: str, tmp_path: Path) -> None:
    doc = make_document()
    doc["dwellings"][2]["rooms"] = 0
    doc["households"][1]["members"][0]["age"] = -4
    doc["offers"].append({"dwelling": "D1"})
    result = CliRunner().invoke(cli, ["import", str(_write(tmp_path / "bad.json", doc))])
    assert result.exit_code == 1
    assert "dwellings[2].rooms: doit être compris entre 1 et 20" in result.output
    assert "households[1].members[0].age: doit être compris entre 0 et 130" in result.output
    assert "offers[1].dwelling: le logement D1 est occupé" in result.output
    assert "document refusé, 3 erreurs ; rien n'a été écrit." in result.output
    with Session(get_engine(fresh_db_url)) as session:
        assert _count(session, Territory) == 0 and _count(session, Dwelling) == 0


def test_cli_import_is_all_or_nothing_when_the_database_fails(
    fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["import", str(_write(tmp_path / "t.json", make_document()))]).exit_code == 0
    with Session(get_engine(fresh_db_url)) as session:
        before = _counts(session), export_document(session, "TST")

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("panne simulée après l'écriture des ménages")

    monkeypatch.setattr(interchange, "_write_exclusions", fail)
    changed = make_document()
    changed["households"] = changed["households"][:1]
    changed["requests"] = changed["requests"][:1]
    changed["exclusions"] = []
    result = runner.invoke(cli, ["import", str(_write(tmp_path / "changed.json", changed))])
    assert result.exit_code != 0 and isinstance(result.exception, RuntimeError)
    with Session(get_engine(fresh_db_url)) as session:
        assert (_counts(session), export_document(session, "TST")) == before


def test_cli_import_unreadable_json(fresh_db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"format": ', encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(path)])
    assert result.exit_code == 1 and "JSON illisible (ligne 1, colonne 12)" in result.output


def test_cli_export_unknown_territory(fresh_db_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["export", "NOPE", "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 1 and "territoire inconnu : NOPE" in result.output


def test_cli_import_shows_a_progress_bar_when_asked(fresh_db_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["import", "--progress", str(_write(tmp_path / "t.json", make_document()))]
    )
    assert result.exit_code == 0, result.output
    assert "Logements" in result.output and "Ménages" in result.output
    assert "Vérification du document" in result.output


def test_import_reports_its_progress_section_by_section(session: Session) -> None:
    calls: list[tuple[str, int, int]] = []
    import_document(session, make_document(), progress=lambda *call: calls.append(call))
    assert calls[:2] == [("validation", 0, 1), ("validation", 1, 1)]
    finals = {section: (done, total) for section, done, total in calls}
    assert finals["dwellings"] == (4, 4) and finals["households"] == (3, 3) and finals["members"] == (7, 7)
    order = list(dict.fromkeys(section for section, _, _ in calls))
    assert order == [
        "validation",
        "bailleurs",
        "sectors",
        "dwellings",
        "households",
        "members",
        "requests",
        "exclusions",
    ]
    with pytest.raises(InvalidTerritory):
        import_document(session, make_document(format="x"), progress=lambda *call: calls.append(call))
    assert calls[-1] == ("validation", 0, 1)  # refused before writing: no section reported
