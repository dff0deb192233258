"""The proposals document that `exchange match` writes keeps to its schema (FORMAT.md, « Proposals »)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from exchange.cli import cli
from exchange.errors import InvalidInput
from exchange.schemas import ProposalsDocumentSchema, load_or_raise

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.mark.parametrize("name", ["chain.json", "three_cycle.json", "mixed.json"])
def test_match_writes_a_document_the_schema_accepts(name: str) -> None:
    result = CliRunner().invoke(cli, ["match", str(FIXTURES / name), "--max-chain", "3"])
    assert result.exit_code == 0, result.output
    loaded = load_or_raise(ProposalsDocumentSchema(), json.loads(result.stdout))
    assert loaded["proposals"], name


def test_the_schema_refuses_a_document_whose_objective_does_not_add_up() -> None:
    doc = json.loads(
        CliRunner().invoke(cli, ["match", str(FIXTURES / "chain.json"), "--max-chain", "3"]).stdout
    )
    doc["objective"] += 1
    doc["proposals"][0]["moves"][0]["points"] = True
    with pytest.raises(InvalidInput) as refused:
        load_or_raise(ProposalsDocumentSchema(), doc)
    assert "proposals[0].moves[0].points" in refused.value.messages


def test_every_document_states_what_the_solver_proved() -> None:
    doc = json.loads(
        CliRunner().invoke(cli, ["match", str(FIXTURES / "chain.json"), "--max-chain", "3"]).stdout
    )
    assert doc["solver"] == {
        "objective": "points",
        "status": "optimal",
        "value": 601,
        "bound": 601,
        "gap": 0.0,
    }
    doc["solver"]["gap"] = 1.5
    with pytest.raises(InvalidInput) as refused:
        load_or_raise(ProposalsDocumentSchema(), doc)
    assert list(refused.value.messages) == ["solver.gap"]


@pytest.mark.parametrize(
    ("objective", "value", "bound", "shown"),
    [
        ("points", 950, 1000.0, "borne 1000, écart 5,00 %"),
        ("expected", 950_500, 1_000_000.0, "borne 1000,0 points espérés"),
    ],
)
def test_a_result_short_of_its_proof_states_its_bound_and_gap(objective, value, bound, shown) -> None:
    from exchange.proposals import solver_summary, summary_line
    from matching.types import Solution

    solution = Solution((), value, bound, "feasible")
    doc = {"objective": 0, "proposals": [], "solver": solver_summary(solution, objective)}
    assert doc["solver"]["bound"] >= doc["solver"]["value"]
    assert shown in summary_line(doc, status="feasible", seconds=240.0)
