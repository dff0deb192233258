"""Synthetic territories: ``fixtures.generate.generate_territory`` and ``exchange generate``."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from fixtures.generate import COMMUNES, generate_territory, mismatch_criteria
from matching import policy
from matching.graph import build_instance
from matching.territory import Dwelling, Household, Member, Point, Request, Territory

# FORMAT.md: every object's keys, exactly (unknown keys are errors).
KEYS = {
    "document": {
        "format", "as_of", "territory", "bailleurs", "sectors", "dwellings", "households", "requests",
        "offers", "exclusions",
    },
    "territory": {"code", "name", "job_distance_km"},
    "bailleurs": {"code", "name"},
    "sectors": {"code", "commune", "name", "qpv"},
    "dwellings": {
        "ref", "bailleur", "sector", "rooms", "surface_m2", "floor", "elevator", "accessibility", "rent",
        "charges", "lat", "lon",
    },
    "households": {"ref", "dwelling", "members", "monthly_resources", "mobility", "priority", "workplace"},
    "requests": {"household", "filed_on", "max_cost", "communes", "accept_qpv", "min_rooms", "max_rooms"},
    "offers": {"dwelling"},
    "exclusions": {"household", "dwelling"},
}  # fmt: skip


@pytest.fixture(scope="module")
def doc_1k() -> dict[str, Any]:
    return generate_territory(2026, 1000)


@pytest.fixture(scope="module")
def doc_5k() -> dict[str, Any]:
    return generate_territory(11, 5000)


def _territory(doc: dict[str, Any]) -> Territory:
    """The real import reader when it exists, else a plain conversion (no validation)."""
    try:
        from exchange.loading import territory_from_document
    except ImportError:
        pass
    else:
        return territory_from_document(doc)
    sectors = {s["code"]: s for s in doc["sectors"]}
    same = ("ref", "sector", "rooms", "surface_m2", "floor", "elevator", "accessibility", "rent", "charges")
    return Territory(
        code=doc["territory"]["code"],
        as_of=date.fromisoformat(doc["as_of"]),
        dwellings=tuple(
            Dwelling(
                landlord=d["bailleur"],
                commune=sectors[d["sector"]]["commune"],
                qpv=sectors[d["sector"]]["qpv"],
                lat=d["lat"],
                lon=d["lon"],
                **{k: d[k] for k in same},
            )
            for d in doc["dwellings"]
        ),
        households=tuple(
            Household(
                ref=h["ref"],
                dwelling=h["dwelling"],
                members=tuple(Member(m["role"], m["age"]) for m in h["members"]),
                monthly_resources=h["monthly_resources"],
                mobility=h["mobility"],
                priority=frozenset(h["priority"]),
                workplace=None if h["workplace"] is None else Point(**h["workplace"]),
            )
            for h in doc["households"]
        ),
        requests=tuple(
            Request(
                household=r["household"],
                filed_on=date.fromisoformat(r["filed_on"]),
                max_cost=r["max_cost"],
                communes=frozenset(r["communes"]),
                accept_qpv=r["accept_qpv"],
                min_rooms=r["min_rooms"],
                max_rooms=r["max_rooms"],
            )
            for r in doc["requests"]
        ),
        offers=tuple(o["dwelling"] for o in doc["offers"]),
        exclusions=frozenset((e["household"], e["dwelling"]) for e in doc["exclusions"]),
    )


# -- determinism and sizes -------------------------------------------------------------------------


def test_same_seed_same_document_other_seed_other_document(doc_1k: dict[str, Any]) -> None:
    assert generate_territory(2026, 1000) == doc_1k
    other = generate_territory(2027, 1000)
    assert other != doc_1k
    assert other["dwellings"] != doc_1k["dwellings"]


def test_no_global_random_state_is_used() -> None:
    import random

    random.seed(1)
    first = generate_territory(5, 300)
    random.seed(2)
    assert generate_territory(5, 300) == first


@pytest.mark.parametrize("size", [10, 137, 1000])
def test_size_is_the_number_of_dwellings(size: int) -> None:
    doc = generate_territory(3, size)
    assert len(doc["dwellings"]) == size
    assert len({d["ref"] for d in doc["dwellings"]}) == size


@pytest.mark.parametrize(("share", "low", "high"), [(0.0, 0.0, 0.0), (0.35, 0.34, 0.36), (1.0, 1.0, 1.0)])
def test_requests_share(share: float, low: float, high: float) -> None:
    doc = generate_territory(9, 600, requests_share=share)
    assert low <= len(doc["requests"]) / len(doc["households"]) <= high


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dwellings": 9}, "dwellings"),
        ({"requests_share": 1.5}, "requests_share"),
        ({"job_distance_km": 0}, "job"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"seed": 1, "dwellings": 100} | kwargs
    with pytest.raises(ValueError, match=message):
        generate_territory(**args)


def test_progress_is_reported_for_each_step() -> None:
    calls: list[tuple[str, int, int]] = []
    generate_territory(1, 4100, progress=lambda step, done, total: calls.append((step, done, total)))
    steps = {step for step, _, _ in calls}
    assert steps == {"logements", "ménages", "demandes"}
    assert ("logements", 4100, 4100) in calls
    last = {step: (done, total) for step, done, total in calls}  # each step ends complete
    assert all(done == total > 0 for done, total in last.values())


# -- validity (FORMAT.md) --------------------------------------------------------------------------


def test_document_follows_the_format(doc_1k: dict[str, Any]) -> None:
    doc = doc_1k
    assert set(doc) == KEYS["document"] and doc["format"] == "bourse-echange/1"
    assert set(doc["territory"]) == KEYS["territory"]
    for part in ("bailleurs", "sectors", "dwellings", "households", "requests", "offers", "exclusions"):
        assert all(set(item) == KEYS[part] for item in doc[part]), part
    landlords = {b["code"] for b in doc["bailleurs"]}
    sectors = {s["code"] for s in doc["sectors"]}
    dwellings = {d["ref"]: d for d in doc["dwellings"]}
    households = {h["ref"]: h for h in doc["households"]}
    assert len(sectors) == len(doc["sectors"]) and len(households) == len(doc["households"])
    for d in doc["dwellings"]:
        assert d["bailleur"] in landlords and d["sector"] in sectors
        assert 1 <= d["rooms"] <= 6 and d["surface_m2"] > 0 and d["floor"] >= 0
        assert d["accessibility"] in ("none", "accessible", "adapted")
        assert d["rent"] > 0 and d["charges"] >= 0 and -90 <= d["lat"] <= 90 and -180 <= d["lon"] <= 180
    occupied = [h["dwelling"] for h in doc["households"]]
    assert len(set(occupied)) == len(occupied) and set(occupied) <= set(dwellings)
    for h in doc["households"]:
        roles = Counter(m["role"] for m in h["members"])
        assert (
            roles["head"] == 1
            and roles["partner"] <= 1
            and set(roles) <= {"head", "partner", "child", "other"}
        )
        assert all(isinstance(m["age"], int) and 0 <= m["age"] <= 120 for m in h["members"])
        assert h["mobility"] in ("none", "reduced", "wheelchair")
        assert set(h["priority"]) <= {"dalo", "handicap", "violence", "unfit_housing"}
        assert len(set(h["priority"])) == len(h["priority"])
        assert h["workplace"] is None or set(h["workplace"]) == {"lat", "lon"}
    requesters = [r["household"] for r in doc["requests"]]
    assert len(set(requesters)) == len(requesters) and set(requesters) <= set(households)
    communes = {s["commune"] for s in doc["sectors"]}
    for r in doc["requests"]:
        assert date.fromisoformat(r["filed_on"]) <= date(2026, 11, 22)
        assert 1 <= len(r["communes"]) <= 3 and set(r["communes"]) <= communes
        assert (r["min_rooms"] is None) == (r["max_rooms"] is None)
        assert r["min_rooms"] is None or 1 <= r["min_rooms"] <= r["max_rooms"]
        assert r["max_cost"] > 0
    offered = [o["dwelling"] for o in doc["offers"]]
    assert len(set(offered)) == len(offered) and set(offered) <= set(dwellings) - set(occupied)
    pairs = [(e["household"], e["dwelling"]) for e in doc["exclusions"]]
    assert len(set(pairs)) == len(pairs)
    assert all(h in households and d in dwellings and households[h]["dwelling"] != d for h, d in pairs)


def test_document_is_json_and_imports_with_the_reader(doc_1k: dict[str, Any]) -> None:
    loading = pytest.importorskip("exchange.loading")
    doc = json.loads(json.dumps(doc_1k))
    territory = loading.territory_from_document(doc)
    assert len(territory.dwellings) == 1000
    assert len(territory.requests) == len(doc["requests"])


# -- realistic proportions -------------------------------------------------------------------------


def test_realistic_stock(doc_5k: dict[str, Any]) -> None:
    doc = doc_5k
    n = len(doc["dwellings"])
    rooms = Counter(d["rooms"] for d in doc["dwellings"])
    assert set(rooms) == {1, 2, 3, 4, 5, 6} and rooms[3] == max(rooms.values())
    per_m2 = [d["rent"] / d["surface_m2"] for d in doc["dwellings"]]
    assert 5.0 <= sum(per_m2) / n <= 6.0 and min(per_m2) >= 4.5 and max(per_m2) <= 6.7
    adapted = sum(d["accessibility"] == "adapted" for d in doc["dwellings"]) / n
    assert 0.005 <= adapted <= 0.04
    occupancy = len(doc["households"]) / n
    assert 0.92 <= occupancy <= 0.98
    vacant = n - len(doc["households"])
    assert 0.2 <= len(doc["offers"]) / vacant <= 0.6
    qpv = sum(s["qpv"] for s in doc["sectors"]) / len(doc["sectors"])
    assert 0.15 <= qpv <= 0.45
    assert len({d["bailleur"] for d in doc["dwellings"]}) >= 4
    assert {c[0] for c in COMMUNES} <= {s["commune"] for s in doc["sectors"]}


def test_communes_grow_with_the_size(doc_1k: dict[str, Any], doc_5k: dict[str, Any]) -> None:
    small = {s["commune"] for s in doc_1k["sectors"]}
    big = {s["commune"] for s in doc_5k["sectors"]}
    assert small == {c[0] for c in COMMUNES}
    assert len(big) >= 3 * len(small)


def test_requests_are_skewed_towards_households_in_a_mismatch(doc_5k: dict[str, Any]) -> None:
    territory = _territory(doc_5k)
    dwellings = {d.ref: d for d in territory.dwellings}
    requesting = {r.household for r in territory.requests}
    mismatched = {
        h.ref for h in territory.households if policy.active_criteria(h, dwellings[str(h.dwelling)])
    }
    households = len(territory.households)
    share_all = len(mismatched) / households
    share_requesters = len(mismatched & requesting) / len(requesting)
    assert 0.25 <= share_all <= 0.5
    assert share_requesters >= share_all + 0.1
    assert 0.3 <= len(requesting) / households <= 0.4
    # every criterion occurs, and convenience requests exist too
    criteria = Counter(
        c for h in territory.households for c in policy.active_criteria(h, dwellings[str(h.dwelling)])
    )
    assert set(criteria) == {"overcrowding", "under_occupation", "autonomy", "job_distance"}
    assert len(requesting - mismatched) > 0.2 * len(requesting)


def test_generator_mismatch_agrees_with_the_policy(doc_1k: dict[str, Any]) -> None:
    territory = _territory(doc_1k)
    dwellings = {d["ref"]: d for d in doc_1k["dwellings"]}
    plain = {d.ref: d for d in territory.dwellings}
    for h_doc, h in zip(doc_1k["households"], territory.households, strict=True):
        members = [(m["role"], m["age"]) for m in h_doc["members"]]
        work = None if h_doc["workplace"] is None else (h_doc["workplace"]["lat"], h_doc["workplace"]["lon"])
        got = mismatch_criteria(members, h_doc["mobility"], work, dwellings[h_doc["dwelling"]])
        assert got == policy.criteria_in(h, plain[str(h.dwelling)]), h.ref


def test_wishes_are_narrow_and_the_graph_meaningful(doc_1k: dict[str, Any]) -> None:
    territory = _territory(doc_1k)
    instance = build_instance(territory)
    requests = len(territory.requests)
    out_degree = Counter(m.household for m in instance.moves)
    assert 5 <= len(instance.moves) / requests <= 60
    assert len(out_degree) >= 0.7 * requests  # most requests have a candidate
    wanted = {(m.household, m.dwelling) for m in instance.moves}
    owner = {d: h for h, d in instance.households.items()}
    swaps = {
        frozenset((h, owner[d]))
        for h, d in wanted
        if d in owner and (owner[d], instance.households[h]) in wanted
    }
    assert len(swaps) >= 10
    assert any(m.dwelling in instance.vacancies for m in instance.moves)


# -- the command -----------------------------------------------------------------------------------


def test_generate_command_writes_the_document(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "cacl.json"
    result = CliRunner().invoke(cli, ["generate", "--seed", "4", "--dwellings", "300", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "300 logements" in result.output and "demandes" in result.output
    assert json.loads(out.read_text(encoding="utf-8")) == generate_territory(4, 300)


def test_generate_command_with_progress_and_share(tmp_path: Path) -> None:
    out = tmp_path / "big.json"
    args = ["generate", "--seed", "4", "--dwellings", "5000", "--requests-share", "0.2", "-o", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["dwellings"]) == 5000
    assert round(0.2 * len(doc["households"])) == len(doc["requests"])


@pytest.mark.parametrize(
    "args",
    [
        ["--seed", "1", "--dwellings", "5"],
        ["--seed", "1", "--dwellings", "100", "--requests-share", "2"],
        ["--dwellings", "100"],
    ],
)
def test_generate_command_refuses_bad_options(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["generate", *args, "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert not (tmp_path / "x.json").exists()


def test_generator_doctests() -> None:
    import doctest

    import fixtures.generate

    result = doctest.testmod(fixtures.generate)
    assert result.attempted >= 4 and result.failed == 0


def test_every_landlord_is_fictional(doc_1k: dict[str, Any]) -> None:
    """The demo names no real landlord: each generated landlord says it is fictional."""
    names = [landlord["name"] for landlord in doc_1k["bailleurs"]]
    assert len(names) == 5
    assert all(name.endswith("(fictif)") for name in names), names
