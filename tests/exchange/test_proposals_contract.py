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
