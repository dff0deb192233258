"""`exchange solve-graph` and `exchange match` through click's CliRunner."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from exchange.cli import cli

ROOT = Path(__file__).resolve().parents[2]
KIDNEY = ROOT.parent / "shared" / "benchmarks" / "kidney"
FIXTURES = ROOT / "fixtures"
needs_kidney = pytest.mark.skipif(not KIDNEY.is_dir(), reason="shared kidney instances not present")


def _solve_graph(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["solve-graph", *args])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1  # one JSON line, nothing else on stdout
    data: dict[str, Any] = json.loads(lines[0])
    return data


# Optima from shared/benchmarks/kidney/README.md (peer transplants; our chain cap = peer's K - 1).
@needs_kidney
@pytest.mark.parametrize(
    ("name", "max_chain", "optimum"),
    [
        ("preflib-00036/00036-00000001.wmd", 2, 4),
        ("preflib-00036/00036-00000011.wmd", 1, 10),
        ("preflib-00036/00036-00000011.wmd", 2, 11),
        ("preflib-00036/00036-00000021.wmd", 2, 9),
        ("preflib-00036/00036-00000061.wmd.kep.json", 1, 20),
        ("preflib-md00001/MD-00001-00000100.wmd", 2, 46),
        ("klimentova-pedroso-small/20_01.input.gz", 2, 10),
        ("kidneyexchange-jl/sparse_128_19_1.wmd", 2, 45),
    ],
)
def test_solve_graph_reaches_the_readme_optimum(name: str, max_chain: int, optimum: int) -> None:
    data = _solve_graph(str(KIDNEY / name), "--max-cycle", "3", "--max-chain", str(max_chain))
    assert data["objective"] == optimum
    assert data["status"] == "optimal"
    assert data["bound"] == pytest.approx(optimum, abs=1e-6)
    assert data["moves"] == optimum  # unit weights: one point per move
    for key in ("seconds", "cycles", "chains", "n_pairs", "n_altruists", "n_arcs"):
        assert key in data


@needs_kidney
def test_solve_graph_without_chains_counts_only_cycles() -> None:
    data = _solve_graph(str(KIDNEY / "preflib-00036/00036-00000100.wmd"), "--max-chain", "0")
    assert data["chains"] == 0
    with_chains = _solve_graph(str(KIDNEY / "preflib-00036/00036-00000100.wmd"), "--max-chain", "2")
    assert with_chains["objective"] == 46
    assert data["objective"] < with_chains["objective"]


@needs_kidney
def test_solve_graph_real_weights_in_file_units() -> None:
    path = str(KIDNEY / "trimble-kidney-solver/100-random-weights.input")
    unit = _solve_graph(path, "--unit-weights")
    assert unit["objective"] == 37  # README: peer (3,3) transplants
    weighted = _solve_graph(path)
    assert weighted["weight_scale"] > 1
    assert isinstance(weighted["objective"], float)
    # The objective is an exact sum of the file's weights: scaling back gives an integer.
    assert (Decimal(repr(weighted["objective"])) * weighted["weight_scale"]) % 1 == 0
    assert weighted["status"] == "optimal"
    assert weighted["bound"] == pytest.approx(weighted["objective"], rel=1e-9)


def test_solve_graph_bad_file_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.kep.json"
    bad.write_text('{"format": "kep-common/1", "n_pairs": 1, "n_altruists": 0, "arcs": [[0, 3, 1]]}')
    result = CliRunner().invoke(cli, ["solve-graph", str(bad)])
    assert result.exit_code == 1
    assert "arcs[0]" in result.output


def test_solve_graph_bad_cap_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "g.kep.json"
    path.write_text(
        '{"format": "kep-common/1", "n_pairs": 2, "n_altruists": 0, "arcs": [[0, 1, 1], [1, 0, 1]]}'
    )
    result = CliRunner().invoke(cli, ["solve-graph", str(path), "--max-cycle", "9"])
    assert result.exit_code == 2
    assert "Valeur invalide pour '--max-cycle' : 9 n'est pas dans l'intervalle 2<=x<=5." in result.output


def test_solve_graph_two_cycle_by_hand(tmp_path: Path) -> None:
    # 0 <-> 1 (weights 3 + 4) competes with 1 <-> 2 (weights 1 + 1); altruist 3 -> 2 (weight 5).
    path = tmp_path / "g.kep.json"
    arcs = [[0, 1, 3], [1, 0, 4], [1, 2, 1], [2, 1, 1], [3, 2, 5]]
    path.write_text(json.dumps({"format": "kep-common/1", "n_pairs": 3, "n_altruists": 1, "arcs": arcs}))
    data = _solve_graph(str(path), "--max-chain", "1")
    assert (data["objective"], data["cycles"], data["chains"]) == (12, 1, 1)
    no_chain = _solve_graph(str(path), "--max-chain", "0")
    assert no_chain["objective"] == 7


@needs_kidney
def test_solve_graph_options_reach_the_solver() -> None:
    path = str(KIDNEY / "preflib-00036/00036-00000011.wmd")
    data = _solve_graph(path, "--max-cycle", "2", "--max-chain", "0", "--time-limit", "20", "--seed", "3")
    assert (data["max_cycle"], data["max_chain"], data["chains"]) == (2, 0, 0)
    assert data["status"] == "optimal" and data["bound"] == data["objective"]
    wider = _solve_graph(path, "--max-cycle", "3", "--max-chain", "1", "--time-limit", "20")
    assert wider["objective"] == 10 > data["objective"]  # README: peer (3,2) = 10 transplants


# -- match ----------------------------------------------------------------------------------------


def _fixture_cases() -> list[tuple[str, int, int, int]]:
    """(fixture file, max_cycle, max_chain, objective) for every run worked out by hand in expected.json."""
    expected = FIXTURES / "expected.json"
    if not expected.exists():
        return []
    data = json.loads(expected.read_text())
    return [
        (name, run["max_cycle"], run["max_chain"], run["objective"])
        for name, value in sorted(data.items())
        for run in value["runs"]
    ]


def _check_document(doc: dict[str, Any], territory: dict[str, Any]) -> None:
    """FORMAT.md's rules for a proposals document, recomputed from the territory document."""
    assert doc["as_of"] == territory["as_of"]
    home = {h["ref"]: h["dwelling"] for h in territory["households"]}
    offers = {o["dwelling"] for o in territory["offers"]}
    seen_households: set[str] = set()
    seen_to: set[str] = set()
    total = 0
    for proposal in doc["proposals"]:
        moves = proposal["moves"]
        assert proposal["points"] == sum(m["points"] for m in moves)
        total += proposal["points"]
        for m in moves:
            assert m["from"] == home[m["household"]]
            assert m["household"] not in seen_households and m["to"] not in seen_to
            seen_households.add(m["household"])
            seen_to.add(m["to"])
        if proposal["kind"] == "cycle":
            assert 2 <= len(moves) <= doc["max_cycle"]
            assert {m["to"] for m in moves} == {m["from"] for m in moves}
        else:
            assert proposal["kind"] == "chain" and 1 <= len(moves) <= doc["max_chain"]
            assert moves[0]["to"] in offers
            for before, after in zip(moves, moves[1:], strict=False):
                assert after["to"] == before["from"]
    assert doc["objective"] == total


@pytest.mark.parametrize(("name", "max_cycle", "max_chain", "objective"), _fixture_cases())
def test_match_fixture_reaches_expected_objective(
    name: str, max_cycle: int, max_chain: int, objective: int, tmp_path: Path
) -> None:
    out = tmp_path / "proposals.json"
    caps = ["--max-cycle", str(max_cycle), "--max-chain", str(max_chain)]
    result = CliRunner().invoke(cli, ["match", str(FIXTURES / name), *caps, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"{objective} points, optimum prouvé" in result.stderr
    doc = json.loads(out.read_text())
    assert (doc["max_cycle"], doc["max_chain"], doc["objective"]) == (max_cycle, max_chain, objective)
    _check_document(doc, json.loads((FIXTURES / name).read_text()))


def test_match_prints_the_document_without_output_option() -> None:
    result = CliRunner().invoke(cli, ["match", str(FIXTURES / "chain.json"), "--max-chain", "3"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["objective"] == 601
    # The chain's moves are in order from the offered vacancy D000004.
    [chain] = doc["proposals"]
    assert chain["kind"] == "chain"
    assert [(m["household"], m["from"], m["to"]) for m in chain["moves"]] == [
        ("H000001", "D000001", "D000004"),
        ("H000002", "D000002", "D000001"),
        ("H000003", "D000003", "D000002"),
    ]
    _check_document(doc, json.loads((FIXTURES / "chain.json").read_text()))


def test_match_invalid_document_exits_1_with_paths(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        json.dumps(
            {
                "format": "bourse-echange/1",
                "as_of": "2026-11-22",
                "territory": {"code": "X", "name": "X", "job_distance_km": 30},
                "bailleurs": [{"code": "B", "name": "B"}],
                "sectors": [{"code": "S", "commune": "C", "name": "S", "qpv": False}],
                "dwellings": [
                    {
                        "ref": "D1",
                        "bailleur": "B",
                        "sector": "S",
                        "rooms": 0,
                        "surface_m2": 30.0,
                        "floor": 0,
                        "elevator": False,
                        "accessibility": "none",
                        "rent": 300.0,
                        "charges": 50.0,
                        "lat": 4.9,
                        "lon": -52.3,
                    }
                ],
                "households": [],
                "requests": [],
                "offers": [],
                "exclusions": [],
            }
        )
    )
    result = CliRunner().invoke(cli, ["match", str(path)])
    assert result.exit_code == 1
    assert "dwellings[0].rooms" in result.output


def test_match_unreadable_json_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    result = CliRunner().invoke(cli, ["match", str(path)])
    assert result.exit_code == 1
    assert "lecture impossible" in result.output
