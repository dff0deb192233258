"""The whole story through the ``exchange`` command line, on a database of its own (the commands commit).

import → create accounts → run → answer → decide → lift the condition → second run → complete →
stats. The scenario and its optimum are in ``workflow_scenario``; the expected figures are counted by
hand from the story below.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import workflow_scenario as scenario
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange.cli import cli
from exchange.db import get_engine
from exchange.models import Dwelling, Exclusion, Household, Request, Territory
from exchange.models.workflow import CommitteeDecision, Proposal, ProposalMove, Run

CODE = "TCL"
PASSWORD = "motdepasse-2026"


def _ok(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result


def _fails(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 1, (args, result.output)
    return result


def _moves(url: str, run_id: int) -> dict[str, tuple[int, str, int]]:
    """household ref → (move id, destination ref, proposal id) for one run."""
    with Session(get_engine(url)) as session:
        rows = session.execute(
            select(Household.ref, ProposalMove.id, Dwelling.ref, Proposal.id)
            .join(ProposalMove, ProposalMove.household_id == Household.id)
            .join(Dwelling, Dwelling.id == ProposalMove.to_dwelling_id)
            .join(Proposal, Proposal.id == ProposalMove.proposal_id)
            .where(Proposal.run_id == run_id)
        ).all()
    return {h: (move_id, d, proposal_id) for h, move_id, d, proposal_id in rows}


def _last_run(url: str) -> int:
    with Session(get_engine(url)) as session:
        return (
            session.scalars(
                select(Run.id).join(Territory).where(Territory.code == CODE).order_by(Run.id.desc())
            ).first()
            or 0
        )


def test_the_whole_story_through_the_command_line(fresh_db_url: str, tmp_path: Path) -> None:
    url = fresh_db_url
    document = tmp_path / "territoire.json"
    document.write_text(json.dumps(scenario.document(CODE)), encoding="utf-8")
    _ok("import", str(document))
    accounts = [
        ("h1", "tenant", "--household", "H1"),
        ("h2", "tenant", "--household", "H2"),
        ("h4", "tenant", "--household", "H4"),
        ("alpha", "staff", "--landlord", "ALPHA"),
        ("beta", "staff", "--landlord", "BETA"),
    ]
    for login, role, option, value in accounts:
        _ok("create-user", login, "--role", role, "--territory", CODE, option, value, "--password", PASSWORD)
    _ok("create-user", "admin", "--role", "admin", "--territory", CODE, "--password", PASSWORD)

    first = _ok("run", CODE, "--as-of", "2026-01-05")
    assert "3 propositions, 5 mouvements, 776 points, optimum prouvé" in first.stdout
    assert "propositions optimales calculées" in first.stderr  # progress, stage by stage
    moves = _moves(url, _last_run(url))
    assert {h: d for h, (_, d, _) in moves.items()} == {
        "H1": "D2",
        "H2": "D1",
        "H3": "D9",
        "H4": "D5",
        "H5": "D4",
    }
    move = {h: str(m) for h, (m, _, _) in moves.items()}

    # Xville: both accept, H1 by phone to its landlord's agency. Yville: H4 refuses. Zville: H3 stays silent.
    no_channel = CliRunner().invoke(
        cli, ["answer", move["H1"], "--accept", "--as", "alpha", "--date", "2026-01-07"]
    )
    assert no_channel.exit_code == 2 and "channel: Indiquez comment le ménage a répondu" in no_channel.output
    assert (
        "logé par votre bailleur"
        in _fails(
            "answer", move["H1"], "--accept", "--channel", "phone", "--as", "beta", "--date", "2026-01-07"
        ).output
    )
    _ok("answer", move["H1"], "--accept", "--channel", "phone", "--as", "alpha", "--date", "2026-01-07")
    out = _ok("answer", move["H2"], "--accept", "--as", "h2", "--date", "2026-01-07")
    assert "proposition : en attente des décisions des CALEOL (deciding)" in out.output
    refused = _ok(
        "answer",
        move["H4"],
        "--refuse",
        "--reason",
        "location",
        "--note",
        "trop loin de l'école",
        "--as",
        "h4",
        "--date",
        "2026-01-07",
    )
    assert "proposition : abandonnée (failed)" in refused.output
    assert "n'attend plus de réponse" in _fails("answer", move["H4"], "--accept", "--as", "h4").output
    other = CliRunner().invoke(
        cli, ["answer", move["H1"], "--refuse", "--reason", "other", "--as", "h1", "--date", "2026-01-07"]
    )
    assert other.exit_code == 2  # a usage error: « autre » needs a note, checked before anything else

    # The CALEOLs: BETA attributes D2, ALPHA attributes D1 under a suspensive condition.
    _ok(
        "decide",
        move["H1"],
        "--kind",
        "attribution",
        "--reason",
        "dossier complet",
        "--partner-alone",
        "--as",
        "beta",
        "--date",
        "2026-01-12",
    )
    again = _fails("decide", move["H1"], "--kind", "non_attribution", "--reason", "bis", "--as", "beta")
    assert f"mouvement {move['H1']} : déjà décidé par la CALEOL" in again.output
    assert (
        "seule la CALEOL"
        in _fails("decide", move["H2"], "--kind", "attribution", "--reason", "x", "--as", "beta").output
    )
    _ok(
        "decide",
        move["H2"],
        "--kind",
        "conditional",
        "--reason",
        "pièce manquante",
        "--condition",
        "avis d'imposition 2025",
        "--condition-due",
        "2026-01-31",
        "--as",
        "alpha",
        "--date",
        "2026-01-12",
    )

    # Second run after the answer deadline (15 January): H3's silence fails the chain; H1, H2 are
    # still held (condition pending); H4 -> D5 is never proposed again.
    second = _ok("run", CODE, "--as-of", "2026-01-16")
    assert "2 ménages déjà en proposition" in second.stdout
    second_moves = _moves(url, _last_run(url))
    assert {h: d for h, (_, d, _) in second_moves.items()} == {"H5": "D6", "H6": "D5"}

    confirmed = _ok("lift-condition", move["H2"], "--as", "alpha", "--date", "2026-01-20")
    assert "proposition : confirmée, déménagement programmé (confirmed)" in confirmed.output
    xville = str(moves["H1"][2])
    early = _fails("complete", xville, "--as", "admin", "--date", "2026-02-18")
    assert "prévu le jeudi 19 février 2026" in early.output
    _ok("complete", xville, "--as", "admin", "--date", "2026-02-19")

    with Session(get_engine(url)) as session:
        h = dict(session.execute(select(Household.ref, Household.id)).all())
        d = dict(session.execute(select(Dwelling.ref, Dwelling.id)).all())
        assert session.get(Household, h["H1"]).dwelling_id == d["D2"]
        assert session.get(Household, h["H2"]).dwelling_id == d["D1"]
        closed = session.scalars(select(Request.status).where(Request.household_id.in_([h["H1"], h["H2"]])))
        assert list(closed) == ["closed", "closed"]
        excluded = set(session.execute(select(Exclusion.household_id, Exclusion.dwelling_id)).all())
        assert excluded == {(h["H4"], d["D5"]), (h["H3"], d["D9"])}
        decisions = session.execute(select(CommitteeDecision.kind, CommitteeDecision.partner_alone)).all()
        assert sorted(decisions) == [("attribution", True), ("conditional", None)]

    charts = tmp_path / "bilan"
    result = _ok("stats", CODE, "--year", "2026", "--format", "json", "--charts", str(charts))
    figures = json.loads(result.stdout)
    assert figures["proposals"] == {
        "made": 4,
        "accepted": 1,
        "confirmed": 1,
        "completed": 1,
        "failed": 2,
        "live": 1,
    }
    assert figures["refusal_reasons"] == {"location": 1, "no_answer": 1} and figures["silences"] == 1
    assert figures["decisions_by_kind"] == {"attribution": 1, "conditional": 1}
    assert figures["moves_completed"] == 2
    assert figures["flows"] == {"ALPHA": {"BETA": 1}, "BETA": {"ALPHA": 1}}
    assert figures["qpv"] == {"out_of": 1, "into": 1, "within": 0, "outside": 0}
    # H1 filed 2025-03-01 (355 days to 19 February 2026), H2 2025-06-15 (249 days).
    assert figures["delay_request_to_move_days"] == {"n": 2, "median": 302.0, "q1": 275.5, "q3": 328.5}
    assert "14 graphiques écrits" in result.stderr
    assert sorted(p.name for p in charts.iterdir())[:2] == ["bailleurs.png", "bailleurs.svg"]

    table = list(csv.reader(io.StringIO(_ok("stats", CODE, "--year", "2026", "--format", "csv").stdout)))
    assert ["Flux entre bailleurs", "ALPHA → BETA", "1"] in table
    assert ["Décisions de CALEOL", "attribution sous condition suspensive", "1"] in table
    markdown = tmp_path / "bilan.md"
    _ok("stats", CODE, "--year", "2026", "-o", str(markdown))
    assert "| ALPHA | 0 | 1 |" in markdown.read_text(encoding="utf-8")
    assert "territoire inconnu : NOPE" in _fails("stats", "NOPE").output


def test_delays_command(fresh_db_url: str, tmp_path: Path) -> None:
    document = tmp_path / "territoire.json"
    document.write_text(json.dumps(scenario.document(CODE)), encoding="utf-8")
    _ok("import", str(document))
    shown = _ok("delays", CODE).output
    assert "réponse des ménages : 10 jours" in shown and "décision de la CALEOL BETA : un mois" in shown
    for bad in (["--answer-days", "9"], ["--decision-days", "BETA"], ["--decision-days", "BETA=vite"]):
        result = CliRunner().invoke(cli, ["delays", CODE, *bad])
        assert result.exit_code == 2, (bad, result.output)
    assert "au moins 10 jours" in CliRunner().invoke(cli, ["delays", CODE, "--answer-days", "9"]).output
    changed = _ok(
        "delays", CODE, "--answer-days", "14", "--decision-days", "BETA=42", "--move-notice-days", "45"
    )
    assert "réponse des ménages : 14 jours" in changed.output
    assert "préavis avant le déménagement : 45 jours" in changed.output
    assert "décision de la CALEOL BETA : 42 jours" in changed.output
    back = _ok("delays", CODE, "--decision-days", "BETA=mois").output
    assert "décision de la CALEOL BETA : un mois" in back and "réponse des ménages : 14 jours" in back
    assert "mise en pause d'une demande : après 2 propositions sans réponse" in shown
    assert "mise en pause d'une demande : jamais" in _ok("delays", CODE, "--pause-after", "0").output
    assert "après 1 proposition sans réponse" in _ok("delays", CODE, "--pause-after", "1").output
    negative = CliRunner().invoke(cli, ["delays", CODE, "--pause-after", "-1"])
    assert negative.exit_code == 2 and "pause_after_silences" in negative.output
    run = _ok("run", CODE, "--as-of", "2026-01-05")
    assert "3 propositions" in run.stdout
    with Session(get_engine(fresh_db_url)) as session:
        deadlines = set(session.scalars(select(Proposal.answer_deadline)).all())
    assert [d.isoformat() for d in deadlines] == ["2026-01-19"]  # 5 January + 14 days, a Monday
    with Session(get_engine(fresh_db_url)) as session:
        moves = len(session.scalars(select(ProposalMove.id)).all())
    reminded = _ok("reminders", CODE, "--as-of", "2026-01-17").output
    assert f"Réponses attendues dans le territoire {CODE} au samedi 17 janvier 2026 : {moves}" in reminded
    assert (
        reminded.count("avant le lundi 19 janvier 2026 à minuit (encore 2 jours) ; première proposition")
        == moves
    )
    assert "  ALPHA :" in reminded and "  BETA :" in reminded
    soon = _ok("reminders", CODE, "--as-of", "2026-01-17", "--within", "1").output
    assert "Aucune réponse attendue" in soon
    assert "(dernier jour)" in _ok("reminders", CODE, "--as-of", "2026-01-19").output
    assert "Aucune réponse attendue" in _ok("reminders", CODE, "--as-of", "2026-01-20").output  # past
    assert "territoire inconnu : NOPE" in _fails("reminders", "NOPE").output


def test_run_settings_command(fresh_db_url: str, tmp_path: Path) -> None:
    document = tmp_path / "territoire.json"
    document.write_text(json.dumps(scenario.document(CODE)), encoding="utf-8")
    _ok("import", str(document))
    shown = _ok("run-settings", CODE).output
    assert "objectif : points des propositions (points)" in shown
    assert "réparation après un échec : oui" in shown
    changed = _ok("run-settings", CODE, "--objective", "expected", "--no-repair").output
    assert "espérance des points des mouvements menés à bien (expected)" in changed
    assert "réparation après un échec : non" in changed
    assert "réparation après un échec : oui" in _ok("run-settings", CODE, "--repair").output
    assert "(expected)" in _ok("run-settings", CODE).output
    assert "plancher des ménages prioritaires (DALO, handicap) : 100 %" in shown
    floored = _ok("run-settings", CODE, "--priority-floor", "60").output
    assert "prioritaires (DALO, handicap) : 60 %" in floored
    assert CliRunner().invoke(cli, ["run-settings", CODE, "--priority-floor", "101"]).exit_code == 2
    assert CliRunner().invoke(cli, ["run-settings", CODE, "--objective", "moves"]).exit_code == 2
    assert "territoire inconnu : NOPE" in _fails("run-settings", "NOPE").output


def test_withdraw_command(fresh_db_url: str, tmp_path: Path) -> None:
    document = tmp_path / "territoire.json"
    document.write_text(json.dumps(scenario.document(CODE)), encoding="utf-8")
    _ok("import", str(document))
    _ok(
        "create-user",
        "h3",
        "--role",
        "tenant",
        "--territory",
        CODE,
        "--household",
        "H3",
        "--password",
        PASSWORD,
    )
    for login, landlord in (("alpha", "ALPHA"), ("beta", "BETA")):
        staff_of = ("--role", "staff", "--territory", CODE, "--landlord", landlord)
        _ok("create-user", login, *staff_of, "--password", PASSWORD)
    _ok("run", CODE, "--as-of", "2026-01-05")
    chain = _moves(fresh_db_url, _last_run(fresh_db_url))["H3"][0]  # the chain H3 -> D9
    before = _fails("withdraw", str(chain), "--reason", "timing", "--as", "h3", "--date", "2026-01-07")
    assert "n'a pas accepté ce mouvement" in before.output
    _ok("answer", str(chain), "--accept", "--as", "h3", "--date", "2026-01-07")
    # H3 (in D3, an ALPHA dwelling) withdraws by phone: ALPHA's staff records it, with the channel.
    staff = ["withdraw", str(chain), "--reason", "timing", "--date", "2026-01-08"]
    no_channel = CliRunner().invoke(cli, [*staff, "--as", "alpha"])
    assert no_channel.exit_code == 2 and "channel: Indiquez comment le ménage a répondu" in no_channel.output
    assert "logé par votre bailleur" in _fails(*staff, "--channel", "phone", "--as", "beta").output
    assert "canal" in CliRunner().invoke(cli, [*staff, "--channel", "phone", "--as", "h3"]).output
    done = _ok(*staff, "--channel", "phone", "--as", "alpha")
    assert f"mouvement {chain} : désistement enregistré ; proposition : abandonnée (failed)" in done.output
    again = _fails("withdraw", str(chain), "--reason", "timing", "--as", "h3", "--date", "2026-01-08")
    assert "n'est plus en cours" in again.output
