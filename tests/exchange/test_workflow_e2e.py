"""End to end: import, run, answer, decide, confirm, move; a second run; the yearly figures match.

The scenario is ``workflow_scenario`` (its optimum is worked out there). Expected figures below
are counted by hand from the story each test tells.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
import workflow_scenario as scenario
from sqlalchemy import select

from exchange import glossary, runs, stats, workflow
from exchange.models import Dwelling, Exclusion, Household, Request

FIRST_RUN = datetime(2026, 1, 5, 2, 30)
ANSWERS = datetime(2026, 1, 7, 18, 0)
SECOND_RUN = datetime(2026, 1, 16, 2, 30)  # the day after the answer deadline (15 January, midnight)
LIFT = datetime(2026, 1, 20, 11, 0)
MOVE_DAY = datetime(2026, 2, 19, 9, 0)  # 20 January + 30 days' notice (a Thursday)


def _moves(run, households, dwellings):
    href = {v: k for k, v in households.items()}
    dref = {v: k for k, v in dwellings.items()}
    return {href[m.household_id]: (dref[m.to_dwelling_id], m) for p in run.proposals for m in p.moves}


@pytest.fixture
def story(session):
    territory = scenario.load(session)
    users = scenario.users(session, territory)
    h = scenario.ids(session, territory.id, Household)
    d = scenario.ids(session, territory.id, Dwelling)

    first = runs.run_territory(session, territory.code, as_of=FIRST_RUN.date(), now=FIRST_RUN)
    moves = _moves(first, h, d)
    assert {ref: to for ref, (to, _) in moves.items()} == {
        "H1": "D2",
        "H2": "D1",
        "H3": "D9",
        "H4": "D5",
        "H5": "D4",
    }
    # Xville swap: both accept; BETA attributes D2, ALPHA attributes D1 under a suspensive condition.
    for ref in ("H1", "H2"):
        workflow.answer_move(session, moves[ref][1], users[ref], accepted=True, now=ANSWERS)
    workflow.decide_move(
        session, moves["H1"][1], users["BETA"], kind="attribution", reason="dossier complet", now=ANSWERS
    )
    workflow.decide_move(
        session,
        moves["H2"][1],
        users["ALPHA"],
        kind="conditional",
        reason="pièce manquante",
        condition="avis d'imposition",
        condition_due=date(2026, 1, 31),
        now=ANSWERS,
    )
    # Yville swap: H4 refuses; the Zville chain: H3 stays silent.
    workflow.answer_move(session, moves["H4"][1], users["H4"], accepted=False, reason="location", now=ANSWERS)

    second = runs.run_territory(session, territory.code, as_of=SECOND_RUN.date(), now=SECOND_RUN)
    workflow.lift_condition(session, moves["H2"][1], users["ALPHA"], now=LIFT)
    xville = moves["H1"][1].proposal
    workflow.complete_proposal(session, xville, users["admin"], now=MOVE_DAY)
    return {
        "territory": territory,
        "users": users,
        "h": h,
        "d": d,
        "first": first,
        "second": second,
        "moves": moves,
        "xville": xville,
    }


def test_second_run_skips_live_proposals_and_never_reproposes_a_refused_pair(session, story):
    second, h, d = story["second"], story["h"], story["d"]
    # The run recorded H3's silence first, so the Zville chain failed with "no_answer".
    chain = story["moves"]["H3"][1]
    assert (chain.answer, chain.refusal_reason, chain.proposal.failure) == (
        "refused",
        "no_answer",
        "no_answer",
    )
    # H1 and H2 were still in a live proposal (waiting for ALPHA's condition): left out.
    assert second.skipped_households == 2
    assert second.requests == 4  # H3, H4, H5, H6
    got = _moves(second, h, d)
    assert {ref: to for ref, (to, _) in got.items()} == {"H5": "D6", "H6": "D5"}  # H5 is back in the pool
    excluded = set(session.execute(select(Exclusion.household_id, Exclusion.dwelling_id)).all())
    assert excluded == {(h["H4"], d["D5"]), (h["H3"], d["D9"])}
    assert (h["H4"], d["D5"]) not in {
        (m.household_id, m.to_dwelling_id) for p in second.proposals for m in p.moves
    }


def test_confirmed_then_completed_swap(session, story):
    xville, h, d = story["xville"], story["h"], story["d"]
    assert (xville.status, xville.confirmed_on, xville.move_date) == (
        "completed",
        LIFT.date(),
        MOVE_DAY.date(),
    )
    assert session.get(Household, h["H1"]).dwelling_id == d["D2"]
    assert session.get(Household, h["H2"]).dwelling_id == d["D1"]
    closed = session.scalars(select(Request.status).where(Request.household_id.in_([h["H1"], h["H2"]]))).all()
    assert closed == ["closed", "closed"]
    # A third run after the second run's deadline: H5 and H6 stayed silent, so their swap fails and
    # every pair left is excluded; nothing new is proposed.
    third = runs.run_territory(
        session, story["territory"].code, as_of=date(2026, 3, 2), now=datetime(2026, 3, 2, 2, 30)
    )
    assert [p.failure for p in story["second"].proposals] == ["no_answer"]
    assert (third.proposal_count, third.skipped_households, third.requests) == (0, 0, 4)


def test_stats_match_the_story(session, story):
    figures = stats.compute_stats(session, story["territory"].code, year=2026, today=MOVE_DAY.date())
    assert figures.open_requests == 4  # H3, H4, H5, H6
    assert figures.open_requests_by_criterion == {
        "overcrowding": 2,
        "under_occupation": 2,
        "autonomy": 0,
        "job_distance": 0,
        "convenience": 0,
    }
    assert figures.proposals == {
        "made": 4,
        "accepted": 1,
        "confirmed": 1,
        "completed": 1,
        "failed": 2,
        "live": 1,
    }
    assert figures.proposals_by_kind == {"chain": 1, "cycle": 3}
    assert figures.failures == {"no_answer": 1, "refused": 1}
    assert figures.answers == {"accepted": 2, "refused": 2}
    assert figures.refusal_reasons == {"location": 1, "no_answer": 1}
    assert figures.silences == 1
    assert figures.decisions_by_kind == {"attribution": 1, "conditional": 1}
    assert figures.decisions_overdue == 0
    assert figures.moves_completed == 2
    assert figures.moves_by_criterion_solved == {
        "overcrowding": 1,
        "under_occupation": 1,
        "autonomy": 0,
        "job_distance": 0,
    }
    assert figures.flows == {"ALPHA": {"BETA": 1}, "BETA": {"ALPHA": 1}}
    assert figures.qpv == {"out_of": 1, "into": 1, "within": 0, "outside": 0}
    # H1 filed 2025-03-01 (355 days to 2026-02-19), H2 filed 2025-06-15 (249 days).
    assert figures.delay_request_to_move_days == {"n": 2, "median": 302.0, "q1": 275.5, "q3": 328.5}
    # Open requests: H3, H4 live in ALPHA's D3, D4; H5, H6 in BETA's D5, D6. Refusals of BETA's
    # dwellings: H4 refused D5, H3 stayed silent on D9.
    assert figures.per_landlord == {
        "ALPHA": {
            "open_requests": 2,
            "refusals_in": 0,
            "moves_out": 1,
            "moves_in": 1,
            "decisions": 1,
            "decision_conditional": 1,
        },
        "BETA": {
            "open_requests": 2,
            "refusals_in": 2,
            "moves_out": 1,
            "moves_in": 1,
            "decisions": 1,
            "decision_attribution": 1,
        },
    }
    # First proposals: H1..H5 on 5 January, H6 on 16 January; H1, H2 accepted, H4 refused, H3 silent,
    # H5 (its swap failed first) and H6 never answered.
    assert figures.first_proposals == {"households": 6, "answered": 4, "accepted": 2}
    # Days from filing to the first proposal: H6 57, H5 96, H3 126, H2 204, H1 310, H4 726.
    assert figures.delay_request_to_first_proposal_days == {"n": 6, "median": 165.0, "q1": 103.5, "q3": 283.5}
    assert figures.requests_filed == 0  # every request was filed in 2024 or 2025
    empty = stats.compute_stats(session, story["territory"].code, year=2025)
    assert empty.proposals["made"] == 0 and empty.moves_completed == 0 and empty.flows == {}
    assert empty.requests_filed == 5 and empty.first_proposals == {
        "households": 0,
        "answered": 0,
        "accepted": 0,
    }
    assert stats.compute_stats(session, story["territory"].code).requests_filed == 6


def test_stats_render_and_charts(session, story, tmp_path):
    figures = stats.compute_stats(session, story["territory"].code, year=2026, today=MOVE_DAY.date())
    doc = json.loads(stats.render(figures, "json"))
    assert doc["flows"] == {"ALPHA": {"BETA": 1}, "BETA": {"ALPHA": 1}} and doc["year"] == 2026
    md = stats.render(figures, "md")
    assert "| ALPHA | 0 | 1 |" in md and "| silences | 1 |" in md and "| médiane | 302,0 |" in md
    csv_text = stats.render(figures, "csv")
    reason = glossary.REFUSAL_REASONS["location"]
    assert f'Motifs de refus,"{reason}",1' in csv_text
    assert "Flux entre bailleurs,ALPHA → BETA,1" in csv_text
    for personal in ("H1", "D1", "tenant", "twf-"):  # aggregates only: no household, dwelling or login
        assert personal not in md and personal not in csv_text
    written = stats.write_charts(figures, tmp_path / "charts")
    assert len(written) == 14 and {p.stem for p in written} == {
        "propositions",
        "motifs-de-refus",
        "decisions-caleol",
        "demandes-par-critere",
        "qpv",
        "flux-bailleurs",
        "bailleurs",
    }
    png = tmp_path / "charts" / "flux-bailleurs.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        (tmp_path / "charts" / "motifs-de-refus.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    )
