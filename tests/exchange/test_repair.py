"""Repair after a refusal (exchange.repair) on hand-made territories, SQLite and PostgreSQL.

Every household is a couple with a child in an identical 3-room dwelling, so any move is allowed
but those the document excludes: each test's structures are exactly the pairs left allowed.
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import product
from types import SimpleNamespace

import pytest
import workflow_scenario as scenario
from factories import make_document, make_dwelling, make_household, make_request
from sqlalchemy import select

from exchange import interchange, runs, workflow
from exchange.loading import read_document
from exchange.models import Exclusion, Household, Territory
from exchange.models.workflow import AuditEvent, Proposal
from exchange.portal.territory import run_report
from exchange.repair import repair_scope
from exchange.settings import update_run_settings

RUN_DAY = date(2026, 11, 23)
DAY = datetime(2026, 11, 24, 10, 0)


def _document(households: list[str], vacancies: list[str], allowed: set[tuple[str, str]]) -> dict:
    dwellings = [make_dwelling(f"D{h}") for h in households] + [make_dwelling(v) for v in vacancies]
    every = [(h, d["ref"]) for h, d in product(households, dwellings) if d["ref"] != f"D{h}"]
    return make_document(
        dwellings=dwellings,
        households=[make_household(h, f"D{h}") for h in households],
        requests=[make_request(h) for h in households],
        offers=[{"dwelling": v} for v in vacancies],
        exclusions=[{"household": h, "dwelling": d} for h, d in every if (h, d) not in allowed],
    )


def _world(session, households, vacancies, allowed):
    interchange.import_document(session, _document(households, vacancies, allowed))
    session.flush()
    territory = session.scalars(select(Territory).where(Territory.code == "TST")).one()
    users = scenario.users(session, territory)
    run = runs.run_territory(session, "TST", as_of=RUN_DAY, now=datetime(2026, 11, 23, 2, 0))
    refs = {i: ref for ref, i in scenario.ids(session, territory.id, Household).items()}
    return territory, users, run, refs


def _pairs(proposal: Proposal, refs) -> list[tuple[str, str]]:
    return [(refs[m.household_id], _dwelling_ref(m.to_dwelling_id, proposal)) for m in proposal.moves]


def _dwelling_ref(dwelling_id: int, proposal: Proposal) -> str:
    from sqlalchemy.orm import object_session

    from exchange.models import Dwelling

    session = object_session(proposal)
    assert session is not None
    return session.get(Dwelling, dwelling_id).ref


def _repairs(session, failed: Proposal) -> list[Proposal]:
    return list(session.scalars(select(Proposal).where(Proposal.repairs_id == failed.id)))


THREE_CYCLE = {("A", "DB"), ("B", "DC"), ("C", "DA"), ("C", "DB")}  # B <-> C is embedded
CHAIN = {("A", "V"), ("B", "DA"), ("C", "DB")}  # V -> A -> B -> C


def test_refusal_in_a_three_cycle_offers_the_embedded_two_cycle(session):
    territory, users, run, refs = _world(session, ["A", "B", "C"], [], THREE_CYCLE)
    (cycle,) = run.proposals
    assert cycle.kind == "cycle" and len(cycle.moves) == 3
    assert cycle.chance is not None and cycle.expected_points is not None
    refusing = next(m for m in cycle.moves if refs[m.household_id] == "A")
    workflow.answer_move(session, refusing, users["A"], accepted=False, reason="location", now=DAY)
    assert cycle.status == "failed"
    (repair,) = _repairs(session, cycle)
    assert repair.kind == "cycle" and repair.status == "proposed" and repair.run_id == run.id
    assert sorted(_pairs(repair, refs)) == [("B", "DC"), ("C", "DB")]
    assert repair.notified_on == DAY.date() and repair.answer_deadline > DAY.date()
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.repaired")).one()
    assert event.entity_id == repair.id and event.after["repairs"] == cycle.id


def test_a_refusal_recorded_by_the_households_landlord_is_repaired_the_same_way(session):
    territory, users, run, refs = _world(session, ["A", "B", "C"], [], THREE_CYCLE)
    (cycle,) = run.proposals
    refusing = next(m for m in cycle.moves if refs[m.household_id] == "A")  # A lives in an OYAP dwelling
    workflow.answer_move(
        session, refusing, users["OYAP"], accepted=False, reason="location", channel="phone", now=DAY
    )
    assert (cycle.status, refusing.answered_by_id) == ("failed", users["OYAP"].id)
    (repair,) = _repairs(session, cycle)
    assert repair.status == "proposed" and sorted(_pairs(repair, refs)) == [("B", "DC"), ("C", "DB")]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.repaired")).one()
    assert event.actor == users["OYAP"].login and event.after["repairs"] == cycle.id


def test_caleol_refusal_offers_what_still_stands(session):
    territory, users, run, refs = _world(session, ["A", "B", "C"], [], THREE_CYCLE)
    (cycle,) = run.proposals
    for move in cycle.moves:
        workflow.answer_move(session, move, users[refs[move.household_id]], accepted=True, now=DAY)
    assert cycle.status == "deciding"
    refused = next(m for m in cycle.moves if refs[m.household_id] == "A")
    workflow.decide_move(session, refused, users["OYAP"], kind="non_attribution", reason="dossier", now=DAY)
    assert cycle.status == "failed"
    (repair,) = _repairs(session, cycle)
    assert sorted(_pairs(repair, refs)) == [("B", "DC"), ("C", "DB")]


@pytest.mark.parametrize("c_into_a", [False, True])
def test_break_in_a_chain_keeps_the_prefix_and_never_an_excluded_pair(session, c_into_a):
    allowed = CHAIN | ({("C", "DA")} if c_into_a else set())
    territory, users, run, refs = _world(session, ["A", "B", "C"], ["V"], allowed)
    chain = next(p for p in run.proposals if p.kind == "chain" and len(p.moves) == 3)
    breaking = next(m for m in chain.moves if refs[m.household_id] == "B")
    workflow.answer_move(session, breaking, users["B"], accepted=False, reason="cost", now=DAY)
    (repair,) = _repairs(session, chain)
    # The prefix V -> A stands; C may follow into A's dwelling only where that pair is allowed.
    expected = [("A", "V"), ("C", "DA")] if c_into_a else [("A", "V")]
    assert repair.kind == "chain" and _pairs(repair, refs) == expected
    every = [pair for p in session.scalars(select(Proposal)) if p.live for pair in _pairs(p, refs)]
    assert ("B", "DA") not in every


def test_wide_repair_scope_adds_waiting_neighbours_and_free_vacancies():
    # A -> B -> C -> A failed at A; B could swap with D (waiting), C could take V; E is unrelated.
    allowed = (THREE_CYCLE - {("C", "DB")}) | {("B", "DD"), ("D", "DB"), ("C", "V"), ("E", "W")}
    plain, config = read_document(_document(["A", "B", "C", "D", "E"], ["V", "W"], allowed))
    kwargs = {"released": {"B", "C"}, "vacancies": set(), "waiting": {"D", "E"}, "busy_dwellings": set()}
    narrow = repair_scope(plain, config, **kwargs)
    wide = repair_scope(plain, config, wide=True, **kwargs)
    assert narrow is not None and wide is not None
    assert sorted(r.household for r in narrow.requests) == ["B", "C"] and narrow.offers == ()
    assert sorted(r.household for r in wide.requests) == ["B", "C", "D"] and wide.offers == ("V",)
    assert repair_scope(plain, config, **{**kwargs, "released": set()}) is None


def test_withdrawal_is_repaired_too(session):
    territory, users, run, refs = _world(session, ["A", "B", "C"], [], THREE_CYCLE)
    (cycle,) = run.proposals
    move = next(m for m in cycle.moves if refs[m.household_id] == "A")
    workflow.answer_move(session, move, users["A"], accepted=True, now=DAY)
    workflow.withdraw_move(session, move, users["A"], reason="timing", now=DAY)
    (repair,) = _repairs(session, cycle)
    assert sorted(_pairs(repair, refs)) == [("B", "DC"), ("C", "DB")]


def test_repair_can_be_turned_off(session):
    territory, users, run, refs = _world(session, ["A", "B", "C"], [], THREE_CYCLE)
    update_run_settings(session, "TST", repair=False)
    (cycle,) = run.proposals
    move = next(m for m in cycle.moves if refs[m.household_id] == "A")
    workflow.answer_move(session, move, users["A"], accepted=False, reason="location", now=DAY)
    assert cycle.status == "failed" and _repairs(session, cycle) == []


def test_a_crash_in_the_repair_leaves_the_failure_and_no_half_repair(session, monkeypatch):
    territory, users, run, refs = _world(session, ["A", "B", "C"], [], THREE_CYCLE)
    (cycle,) = run.proposals

    def crash(**_: object) -> None:  # the repair's proposals are flushed, then its audit fails
        raise RuntimeError("crash while repairing")

    monkeypatch.setattr("exchange.repair.AuditEvent", crash)
    move = next(m for m in cycle.moves if refs[m.household_id] == "A")
    workflow.answer_move(session, move, users["A"], accepted=False, reason="location", now=DAY)
    session.commit()
    session.expire_all()
    assert session.get(Proposal, cycle.id).status == "failed"
    assert _repairs(session, cycle) == []
    assert session.scalars(select(Proposal).where(Proposal.status == "proposed")).all() == []
    assert session.scalars(select(Exclusion).where(Exclusion.reason == "refused")).one()
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.failed")).one()


@pytest.mark.parametrize(("floor", "floors"), [(100, {"B": 1.0}), (30, {"B": 0.3}), (0, {})])
def test_an_expected_run_floors_the_priority_households(session, floor, floors):
    document = _document(["A", "B", "C"], [], THREE_CYCLE)
    document["households"][1]["priority"] = ["dalo"]
    document["households"][2]["priority"] = ["violence"]  # not one of the floor's priorities
    interchange.import_document(session, document)
    session.flush()
    update_run_settings(session, "TST", objective="expected", priority_floor_pct=floor)
    prepared = runs.prepare_run(session, "TST", as_of=RUN_DAY, now=datetime(2026, 11, 23, 2, 0))
    assert prepared.params.objective == "expected"
    assert dict(prepared.context.instance.floors) == floors
    solution, seconds = runs.solve_prepared(prepared.instance, prepared.params)
    run = runs.store_run(session, prepared, solution, solve_s=seconds)
    assert run.params["priority_floor_pct"] == (floor if floors else 0)  # what the run applied, on its page
    admin = SimpleNamespace(territory_id=run.territory_id)
    facts = dict(run_report(session, admin, run.id).facts)
    assert facts["Plancher des ménages prioritaires (DALO, handicap)"] == f"{floor if floors else 0} %"


def test_a_points_run_states_no_floor(session):
    interchange.import_document(session, _document(["A", "B", "C"], [], THREE_CYCLE))
    session.flush()
    run = runs.run_territory(session, "TST", as_of=RUN_DAY, now=datetime(2026, 11, 23, 2, 0))
    assert "priority_floor_pct" not in run.params
    facts = dict(run_report(session, SimpleNamespace(territory_id=run.territory_id), run.id).facts)
    assert "Plancher des ménages prioritaires (DALO, handicap)" not in facts


def test_the_reply_record_reaches_the_features(session):
    from exchange.acceptance import FEATURES
    from exchange.chances import (
        acceptance_counts,
        accepted_pairs,
        features_of,
        refusal_counts,
        territory_history,
    )
    from exchange.loading import load_territory
    from exchange.settings import policy_config

    territory, users, run, refs = _world(session, ["A", "B", "C"], [], THREE_CYCLE)
    (cycle,) = run.proposals
    by_ref = {refs[m.household_id]: m for m in cycle.moves}
    for ref in ("B", "C"):
        workflow.answer_move(session, by_ref[ref], users[ref], accepted=True, now=DAY)
    workflow.answer_move(session, by_ref["A"], users["A"], accepted=False, reason="location", now=DAY)
    assert accepted_pairs(session, territory.id) == {("B", "DC"), ("C", "DA")}
    assert acceptance_counts(session, territory.id) == {"B": 1, "C": 1}
    assert refusal_counts(session, territory.id) == {"A": 1}
    plain = load_territory(session, "TST", as_of=DAY.date())
    history = territory_history(session, territory.id, plain)
    assert sorted(o.accepted for o in history) == [False, True, True]
    found = features_of(
        plain,
        policy_config(session, "TST"),
        refusal_counts(session, territory.id),
        [("B", "DC"), ("C", "DB")],
        acceptance_counts(session, territory.id),
        accepted_pairs(session, territory.id),
    )
    named = {pair: dict(zip(FEATURES, f, strict=True)) for pair, f in found.items()}
    assert named[("B", "DC")]["accepted_this_before"] == 1.0  # the move B accepted, offered again
    assert named[("C", "DB")]["accepted_this_before"] == 0.0  # C accepted another move
    assert named[("C", "DB")]["acceptances_before"] == 1.0
