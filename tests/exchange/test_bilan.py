"""The bilan on the CLI story (``workflow_scenario``): figures counted by hand, the PDF read back, the
workbook opened, a landlord's own figures masked.

Story (2026): H1 (single, 1,100 €/month: 13,200 € a year per consumption unit) leaves D1 (ALPHA,
Xville, QPV, T4) for D2 (BETA, Xville, outside QPV, T2); H2 (couple + children of 10 and 8: 2.1 units,
2,100 €/month: 12,000 €) goes the other way. Both move on 11 February 2026. With a threshold of
12,500 €, H2 is in the first quartile and H1 is not.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import workflow_scenario as scenario
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import bilan
from exchange.bilan_tables import MASKED, cell
from exchange.cli import cli
from exchange.db import get_engine
from exchange.models import Household
from exchange.models.workflow import ProposalMove

CODE = "TBL"
PASSWORD = "motdepasse-2026"


def _ok(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def _story(url: str, tmp_path: Path) -> None:
    """The CLI story up to the swap H1 ↔ H2, moved on 11 February 2026."""
    document = tmp_path / "territoire.json"
    document.write_text(json.dumps(scenario.document(CODE)), encoding="utf-8")
    _ok("import", str(document))
    for login, role, option, value in (
        ("h1", "tenant", "--household", "H1"),
        ("h2", "tenant", "--household", "H2"),
        ("alpha", "staff", "--landlord", "ALPHA"),
        ("beta", "staff", "--landlord", "BETA"),
    ):
        _ok("create-user", login, "--role", role, "--territory", CODE, option, value, "--password", PASSWORD)
    _ok("create-user", "admin", "--role", "admin", "--territory", CODE, "--password", PASSWORD)
    _ok("run", CODE, "--as-of", "2026-01-05")
    with Session(get_engine(url)) as session:
        rows = session.execute(select(ProposalMove.id, ProposalMove.household_id, ProposalMove.proposal_id))
        by_household = {h: (m, p) for m, h, p in rows}
    with Session(get_engine(url)) as session:
        refs = dict(session.execute(select(Household.ref, Household.id)).all())
    move = {ref: str(by_household[refs[ref]][0]) for ref in ("H1", "H2")}
    proposal = str(by_household[refs["H1"]][1])
    _ok("answer", move["H1"], "--accept", "--as", "h1", "--date", "2026-01-07")
    _ok("answer", move["H2"], "--accept", "--as", "h2", "--date", "2026-01-07")
    for m, login in ((move["H1"], "beta"), (move["H2"], "alpha")):
        _ok(
            "decide",
            m,
            "--kind",
            "attribution",
            "--reason",
            "dossier complet",
            "--as",
            login,
            "--date",
            "2026-01-12",
        )
    _ok("complete", proposal, "--as", "admin", "--date", "2026-02-11")


@pytest.fixture
def story(fresh_db_url: str, tmp_path: Path) -> str:
    _story(fresh_db_url, tmp_path)
    _ok(
        "yearly",
        CODE,
        "--year",
        "2026",
        "--first-quartile",
        "12500",
        "--attributions",
        "ALPHA=4",
        "--attributions",
        "BETA=10",
    )
    return fresh_db_url


def test_figures_counted_by_hand(story: str) -> None:
    figures = json.loads(_ok("stats", CODE, "--year", "2026", "--format", "json").stdout)
    assert figures["first_quartile_eur"] == 12500.0
    assert figures["attributions_by"]["commune"] == {
        "Xville": {"attributions": 2, "first_quartile": 1, "dalo": 0, "priority": 0}
    }
    assert figures["attributions_by"]["typology"] == {
        "T2": {"attributions": 1, "first_quartile": 0, "dalo": 0, "priority": 0},
        "T4": {"attributions": 1, "first_quartile": 1, "dalo": 0, "priority": 0},
    }
    assert figures["attributions_by"]["landlord"].keys() == {"ALPHA", "BETA"}
    assert figures["attributions_by"]["year"]["2026"]["attributions"] == 2
    # Outside QPV: H1 into D2, not first quartile (0 %); in QPV: H2 into D1, first quartile (0 %).
    assert figures["mixity"] == {
        "first_quartile_eur": 12500.0,
        "outside_qpv": 1,
        "outside_qpv_first_quartile": 0,
        "outside_qpv_first_quartile_pct": 0.0,
        "in_qpv": 1,
        "in_qpv_not_first_quartile": 0,
        "in_qpv_not_first_quartile_pct": 0.0,
    }
    assert figures["priority_shares"]["dalo"] == 0 and figures["priority_shares"]["attributions"] == 2
    # ALPHA: 1 of its 4 attributions; BETA: 1 of 10; both: 2 of 14.
    assert figures["mutation_share"] == {
        "ALPHA": {"mutations": 1, "all_attributions": 4, "mutations_pct": 25.0},
        "BETA": {"mutations": 1, "all_attributions": 10, "mutations_pct": 10.0},
        "total": {"mutations": 2, "all_attributions": 14, "mutations_pct": 14.3},
    }
    assert figures["moves_by_motive"] == {"overcrowding": 1, "under_occupation": 1}
    # Confirmed on 12 January, moved 30 days later (11 February); filed 2025-03-01 and 2025-06-15.
    assert figures["wait_by_typology_days"] == {"T2": 347.0, "T4": 241.0}
    assert figures["funnel"]["households_moved"] == 2
    assert figures["delay_notice_to_answer_days"]["median"] is not None
    # A higher threshold: H1 (13,200 €) joins the first quartile; outside QPV is now 100 %.
    _ok("yearly", CODE, "--year", "2026", "--first-quartile", "14000")
    again = json.loads(_ok("stats", CODE, "--year", "2026", "--format", "json").stdout)
    assert again["mixity"]["outside_qpv_first_quartile_pct"] == 100.0


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_pdf_xlsx_and_csv_carry_the_figures_of_stats(story: str, tmp_path: Path) -> None:
    figures = json.loads(_ok("stats", CODE, "--year", "2026", "--format", "json").stdout)
    tables = bilan.bilan_tables(figures)
    assert len(tables) > 15
    pdf = tmp_path / "bilan.pdf"
    _ok("bilan", CODE, "--year", "2026", "-o", str(pdf))
    text = _words(" ".join(page.extract_text() for page in PdfReader(pdf).pages))
    assert "Bilan de la bourse d'échange — TBL, 2026" in text
    for table in tables:
        assert _words(table.title) in text
        for row in table.rows:
            for value in row[1:]:
                assert cell(value) in text, (table.title, row)
    assert "Mixité sociale des attributions (L.441-1 CCH)" in text and "14,3" in text

    workbook = tmp_path / "bilan.xlsx"
    _ok("bilan", CODE, "--year", "2026", "--format", "xlsx", "-o", str(workbook))
    sheet = load_workbook(workbook).active
    values = [tuple(v for v in row if v is not None) for row in sheet.iter_rows(values_only=True)]
    assert ("ALPHA", 1, 4, 25.0) in values and ("total", 2, 14, 14.3) in values

    out = tmp_path / "bilan.csv"
    _ok("bilan", CODE, "--year", "2026", "-o", str(out))
    lines = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [
        "Part des mutations dans toutes les attributions",
        "BETA",
        "part des mutations (%)",
        "10.0",
    ] in lines


def test_a_landlord_sees_its_own_figures_with_small_counts_masked(story: str) -> None:
    with Session(get_engine(story)) as session:
        alpha = bilan.landlord_figures(session, CODE, "ALPHA", year=2026)
    assert alpha["landlord"] == "ALPHA" and set(alpha["per_landlord"]) == {"ALPHA"}
    assert alpha["attributions_by"]["commune"] == {
        "Xville": {"attributions": MASKED, "first_quartile": MASKED, "dalo": 0, "priority": 0}
    }
    assert alpha["mutation_share"]["ALPHA"] == {
        "mutations": MASKED,
        "all_attributions": MASKED,
        "mutations_pct": MASKED,
    }
    assert "BETA" not in alpha["mutation_share"] and "open_requests" not in alpha


def test_yearly_settings_are_checked(story: str) -> None:
    bad = CliRunner().invoke(
        cli, ["yearly", CODE, "--year", "2026", "--attributions", "NOPE=3", "--first-quartile", "-5"]
    )
    assert bad.exit_code == 1
    assert "bailleur inconnu dans TBL : NOPE" in bad.output and "strictement positif" in bad.output
