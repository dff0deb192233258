"""``exchange delays --calendar``, ``exchange blocked`` and ``exchange commission`` on their own database."""

from __future__ import annotations

import json
from pathlib import Path

import workflow_scenario as scenario
from click.testing import CliRunner, Result

from exchange.cli import cli

CODE = "TBL"


def _run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, (args, result.output, result.exception)
    return result


def test_calendar_blocked_list_and_a_refused_commission_proposal(fresh_db_url: str, tmp_path: Path) -> None:
    document = tmp_path / "territoire.json"
    document.write_text(json.dumps(scenario.document(CODE)), encoding="utf-8")
    _run("import", str(document))
    shown = _run(
        "delays", CODE, "--calendar", "973", "--blocked-after-runs", "1", "--blocked-after-days", "3650"
    )
    assert "jours fériés : Guyane" in shown.output
    assert "demande bloquée : après 1 appariement d'affilée sans proposition ou 3650 jours" in shown.output
    assert _run("delays", CODE, "--calendar", "999", code=2).exit_code == 2
    _run("run", CODE, "--as-of", "2026-01-05")
    listed = _run("blocked", CODE, "--as-of", "2026-01-05").output
    assert "Demandes bloquées du territoire TBL au lundi 5 janvier 2026" in listed and ": 1\n" in listed
    assert "H6 (BETA)" in listed and "motif :" in listed
    assert "H6" not in _run("blocked", CODE, "--landlord", "ALPHA", "--as-of", "2026-01-05").output
    assert "bailleur inconnu" in _run("blocked", CODE, "--landlord", "GAMMA", code=2).output
    refused = _run("commission", CODE, "H6 D6", "--reason", "essai", code=1).output
    assert "proposition refusée" in refused and "H6 → D6 : c'est le logement actuel du ménage" in refused
