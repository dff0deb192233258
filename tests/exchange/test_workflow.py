"""The proposal state machine (exchange.workflow) on the hand-made scenario, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import workflow_scenario as scenario
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from exchange import caleol_queue, portal, runs, settings, workflow
from exchange.models import Dwelling, Exclusion, Household, Request
from exchange.models.workflow import AuditEvent, CommitteeDecision, Proposal, ProposalMove
from exchange.workflow import (
    AlreadyAnswered,
    AlreadyDecided,
    DeadlinePassed,
    NotAllowed,
    ProposalClosed,
)

RUN_DAY = date(2026, 1, 5)  # Monday; answer deadline: Thursday 15 January 2026
DAY = datetime(2026, 1, 7, 10, 0)


@pytest.fixture
def world(session):
    territory = scenario.load(session)
    accounts = scenario.users(session, territory)
    run = runs.run_territory(session, territory.code, as_of=RUN_DAY, now=datetime(2026, 1, 5, 2, 30))
    households = scenario.ids(session, territory.id, Household)
    dwellings = scenario.ids(session, territory.id, Dwelling)
    by_household = {}
    for proposal in run.proposals:
        for move in proposal.moves:
            by_household[_ref(households, move.household_id)] = move
    return {
        "territory": territory,
        "users": accounts,
        "run": run,
        "h": households,
        "d": dwellings,
        "move": by_household,
    }


def _ref(ids: dict[str, int], value: int) -> str:
    return next(ref for ref, i in ids.items() if i == value)


def _accept_all(session, world, proposal_of: str, at: datetime = DAY) -> Proposal:
    proposal = world["move"][proposal_of].proposal
    for move in proposal.moves:
        ref = _ref(world["h"], move.household_id)
        workflow.answer_move(session, move, world["users"][ref], accepted=True, now=at)
    return proposal


def test_run_stores_the_hand_worked_optimum(session, world):
    run = world["run"]
    assert (run.proposal_count, run.move_count, run.objective, run.status) == (3, 5, 776, "optimal")
    assert (run.requests, run.vacancies, run.skipped_households) == (6, 1, 0)
    pairs = {
        (_ref(world["h"], m.household_id), _ref(world["d"], m.to_dwelling_id), m.points)
        for p in run.proposals
        for m in p.moves
    }
    assert pairs == {
        ("H1", "D2", 150),
        ("H2", "D1", 156),
        ("H3", "D9", 154),
        ("H4", "D5", 163),
        ("H5", "D4", 153),
    }
    chain = world["move"]["H3"]
    assert chain.proposal.kind == "chain" and chain.proposal.points == 154
    assert chain.points_detail["criteria"] == {"overcrowding": 50}
    assert chain.points_detail["seniority_months"] == 4 and chain.points_detail["total"] == 154
    assert (chain.criteria_before, chain.criteria_after) == (["overcrowding"], [])
    assert world["move"]["H1"].criteria_before == ["under_occupation"]
    assert all(p.status == "proposed" and p.answer_deadline == date(2026, 1, 15) for p in run.proposals)
    assert all(m.live for p in run.proposals for m in p.moves)
    events = session.scalars(
        select(AuditEvent.action).where(AuditEvent.territory_id == world["territory"].id)
    ).all()
    assert sorted(events) == ["proposal.proposed"] * 3 + ["run.stored"]


def test_all_accept_then_attribution_and_condition_confirm(session, world):
    proposal = _accept_all(session, world, "H1")
    assert proposal.status == "deciding" and proposal.accepted_on == DAY.date()
    # one month after 7 January 2026 is Saturday 7 February -> Monday 9 February
    assert {m.decision_due for m in proposal.moves} == {date(2026, 2, 9)}
    beta, alpha = world["users"]["BETA"], world["users"]["ALPHA"]
    into_d2, into_d1 = world["move"]["H1"], world["move"]["H2"]  # D2 is BETA's, D1 ALPHA's
    workflow.decide_move(session, into_d2, beta, kind="attribution", reason="dossier complet", now=DAY)
    assert proposal.status == "deciding"
    workflow.decide_move(
        session,
        into_d1,
        alpha,
        kind="conditional",
        reason="avis d'imposition manquant",
        condition="avis d'imposition 2025",
        condition_due=date(2026, 1, 31),
        now=DAY,
    )
    assert proposal.status == "deciding"
    workflow.lift_condition(session, into_d1, alpha, now=datetime(2026, 1, 20, 9, 0))
    assert proposal.status == "confirmed"
    assert proposal.confirmed_on == date(2026, 1, 20)
    assert proposal.move_date == date(2026, 2, 19)  # 30 days' notice, a Thursday
    statuses = session.scalars(
        select(Request.status).where(Request.household_id.in_([world["h"]["H1"], world["h"]["H2"]]))
    ).all()
    assert sorted(statuses) == ["closed", "closed"]
    assert all(m.live for m in proposal.moves)  # still holds its dwellings until the move


def test_refusal_fails_the_whole_proposal_and_excludes_the_pair(session, world):
    move = world["move"]["H4"]
    with pytest.raises(ValueError, match="précision"):
        workflow.answer_move(session, move, world["users"]["H4"], accepted=False, reason="other", now=DAY)
    with pytest.raises(ValueError, match="no_answer"):
        workflow.answer_move(session, move, world["users"]["H4"], accepted=False, reason="no_answer", now=DAY)
    workflow.answer_move(
        session,
        move,
        world["users"]["H4"],
        accepted=False,
        reason="location",
        note="trop loin de l'école",
        now=DAY,
    )
    proposal = move.proposal
    assert (proposal.status, proposal.failure) == ("failed", "refused")
    assert not any(m.live for m in proposal.moves)
    excluded = session.scalars(select(Exclusion).where(Exclusion.household_id == world["h"]["H4"])).all()
    assert [(e.dwelling_id, e.reason) for e in excluded] == [(world["d"]["D5"], "refused")]
    with pytest.raises(ProposalClosed):
        workflow.answer_move(session, world["move"]["H5"], world["users"]["H5"], accepted=True, now=DAY)
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity == "proposal", AuditEvent.entity_id == proposal.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["proposal.proposed", "proposal.failed"]
    failed = session.scalars(select(AuditEvent).where(AuditEvent.action == "proposal.failed")).one()
    assert failed.before["status"] == "proposed" and failed.after["status"] == "failed"
    assert failed.after["excluded"] == [[world["h"]["H4"], world["d"]["D5"]]]
    assert failed.actor == world["users"]["H4"].login and failed.actor_id == world["users"]["H4"].id


def test_permissions(session, world):
    users, move = world["users"], world["move"]["H1"]
    with pytest.raises(NotAllowed):
        workflow.answer_move(session, move, users["H2"], accepted=True, now=DAY)  # not their household
    with pytest.raises(NotAllowed):  # H1 lives in an ALPHA dwelling: BETA's staff cannot answer for it
        workflow.answer_move(session, move, users["BETA"], accepted=True, channel="phone", now=DAY)
    # The territory records the answer the household gave at its desk (DOMAIN.md §4).
    workflow.answer_move(session, move, users["admin"], accepted=True, channel="desk", now=DAY)
    with pytest.raises(AlreadyAnswered):
        workflow.answer_move(session, move, users["H1"], accepted=True, now=DAY)
    with pytest.raises(ProposalClosed):  # H2 has not answered yet
        workflow.decide_move(session, move, users["BETA"], kind="attribution", reason="ok", now=DAY)
    workflow.answer_move(session, world["move"]["H2"], users["H2"], accepted=True, now=DAY)
    with pytest.raises(NotAllowed):  # D2 is BETA's: ALPHA's staff may not decide
        workflow.decide_move(session, move, users["ALPHA"], kind="attribution", reason="ok", now=DAY)
    with pytest.raises(NotAllowed):
        workflow.decide_move(session, move, users["admin"], kind="attribution", reason="ok", now=DAY)
    workflow.decide_move(session, move, users["BETA"], kind="attribution", reason="ok", now=DAY)
    with pytest.raises(AlreadyDecided, match="déjà décidé"):
        workflow.decide_move(session, move, users["BETA"], kind="non_attribution", reason="non", now=DAY)


def test_answer_after_the_deadline_and_silence(session, world):
    late = datetime(2026, 1, 16, 0, 5)  # the deadline ran until midnight on 15 January
    with pytest.raises(DeadlinePassed):
        workflow.answer_move(session, world["move"]["H3"], world["users"]["H3"], accepted=True, now=late)
    workflow.answer_move(session, world["move"]["H1"], world["users"]["H1"], accepted=True, now=DAY)
    assert workflow.expire_deadlines(session, datetime(2026, 1, 15, 23, 59)) == []
    failed = workflow.expire_deadlines(session, late)
    assert len(failed) == 3
    h1, h2 = world["move"]["H1"], world["move"]["H2"]
    assert (h1.answer, h2.answer, h2.refusal_reason) == ("accepted", "refused", "no_answer")
    assert {p.failure for p in failed} == {"no_answer"}
    excluded = set(session.execute(select(Exclusion.household_id, Exclusion.dwelling_id)).all())
    h, d = world["h"], world["d"]
    assert excluded == {(h["H2"], d["D1"]), (h["H3"], d["D9"]), (h["H4"], d["D5"]), (h["H5"], d["D4"])}
    assert (
        session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "move.refused")).all()
        == ["system"] * 4
    )


@pytest.mark.parametrize(
    ("kind", "extra", "failure"),
    [
        ("non_attribution", {}, "non_attribution"),
        ("ranked", {"rank": 2}, "not_ranked_first"),
    ],
)
def test_a_committee_no_fails_the_proposal(session, world, kind, extra, failure):
    proposal = _accept_all(session, world, "H1")
    workflow.decide_move(
        session, world["move"]["H1"], world["users"]["BETA"], kind=kind, reason="motif", now=DAY, **extra
    )
    assert (proposal.status, proposal.failure) == ("failed", failure)
    assert not any(m.live for m in proposal.moves)
    row = session.scalars(select(Exclusion).where(Exclusion.household_id == world["h"]["H1"])).one()
    assert (row.dwelling_id, row.reason) == (world["d"]["D2"], "rejected")
    assert session.scalars(select(Exclusion).where(Exclusion.household_id == world["h"]["H2"])).all() == []
    with pytest.raises(ProposalClosed):
        workflow.decide_move(
            session, world["move"]["H2"], world["users"]["ALPHA"], kind="attribution", reason="ok", now=DAY
        )


def test_ranked_first_attributes_and_condition_expiry_fails(session, world):
    proposal = _accept_all(session, world, "H1")
    users = world["users"]
    workflow.decide_move(
        session, world["move"]["H1"], users["BETA"], kind="ranked", rank=1, reason="1er sur 3", now=DAY
    )
    workflow.decide_move(
        session,
        world["move"]["H2"],
        users["ALPHA"],
        kind="conditional",
        reason="pièce",
        condition="justificatif de ressources",
        condition_due=date(2026, 1, 31),
        now=DAY,
    )
    assert workflow.expire_conditions(session, date(2026, 1, 31)) == []
    assert workflow.expire_conditions(session, date(2026, 2, 1)) == [proposal]
    assert (proposal.status, proposal.failure) == ("failed", "condition_failed")
    assert world["move"]["H2"].decision.condition_status == "failed"
    assert session.scalars(select(Exclusion)).all() == []  # a late document is no refusal


def test_decision_arguments_are_checked(session, world):
    _accept_all(session, world, "H1")
    move, beta = world["move"]["H1"], world["users"]["BETA"]
    with pytest.raises(ValueError, match="rank"):
        workflow.decide_move(session, move, beta, kind="ranked", reason="x", now=DAY)
    with pytest.raises(ValueError, match="condition"):
        workflow.decide_move(session, move, beta, kind="conditional", reason="x", now=DAY)
    with pytest.raises(ValueError, match="motivée"):
        workflow.decide_move(session, move, beta, kind="attribution", reason=" ", now=DAY)
    with pytest.raises(ValueError, match="kind"):
        workflow.decide_move(session, move, beta, kind="maybe", reason="x", now=DAY)


def test_overdue_moves_are_flagged_not_failed(session, world):
    proposal = _accept_all(session, world, "H1")
    queue = caleol_queue.landlord_queue(session, world["users"]["BETA"].landlord_id)
    assert [m.id for m in queue] == [world["move"]["H1"].id]
    assert not caleol_queue.is_overdue(queue[0], date(2026, 2, 9))
    assert caleol_queue.is_overdue(queue[0], date(2026, 2, 10))
    assert proposal.status == "deciding"


def test_complete_moves_the_households(session, world):
    proposal = _accept_all(session, world, "H3")  # the chain H3 -> vacancy D9
    workflow.decide_move(
        session, world["move"]["H3"], world["users"]["BETA"], kind="attribution", reason="ok", now=DAY
    )
    assert proposal.status == "confirmed"
    with pytest.raises(workflow.WorkflowError, match="prévu"):
        workflow.complete_proposal(session, proposal, world["users"]["admin"], now=DAY)
    with pytest.raises(NotAllowed):
        workflow.complete_proposal(session, proposal, world["users"]["BETA"], now=datetime(2026, 3, 1))
    workflow.complete_proposal(session, proposal, world["users"]["admin"], now=datetime(2026, 3, 1))
    assert proposal.status == "completed" and not world["move"]["H3"].live
    h3 = session.get(Household, world["h"]["H3"])
    assert h3.dwelling_id == world["d"]["D9"]
    assert session.get(Dwelling, world["d"]["D9"]).offered is False


def test_database_forbids_a_household_or_dwelling_in_two_live_proposals(session, world):
    move = world["move"]["H1"]
    copy = dict(
        household_id=move.household_id,
        from_dwelling_id=move.from_dwelling_id,
        to_dwelling_id=world["d"]["D6"],
        points=1,
    )
    other = Proposal(
        run_id=world["run"].id,
        territory_id=world["territory"].id,
        kind="chain",
        points=1,
        status="proposed",
        notified_on=RUN_DAY,
        answer_deadline=RUN_DAY,
    )
    session.add(other)
    session.flush()
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(ProposalMove(proposal_id=other.id, position=0, live=True, **copy))
    with pytest.raises(IntegrityError), session.begin_nested():  # D2 is already H1's destination
        session.add(
            ProposalMove(
                proposal_id=other.id,
                position=0,
                live=True,
                household_id=world["h"]["H6"],
                from_dwelling_id=world["d"]["D6"],
                to_dwelling_id=move.to_dwelling_id,
                points=1,
            )
        )
    with session.begin_nested():  # a dead move does not count
        session.add(ProposalMove(proposal_id=other.id, position=0, live=False, **copy))


def test_database_forbids_a_second_decision(session, world):
    _accept_all(session, world, "H1")
    move = world["move"]["H1"]
    workflow.decide_move(session, move, world["users"]["BETA"], kind="attribution", reason="ok", now=DAY)
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(
            CommitteeDecision(
                move_id=move.id,
                landlord_id=world["users"]["BETA"].landlord_id,
                kind="non_attribution",
                reason="bis",
                decided_on=DAY.date(),
                decided_at=DAY,
            )
        )


def test_household_views(session, world):
    mine = workflow.proposals_of_household(session, world["h"]["H5"])
    assert [p.id for p in mine] == [world["move"]["H5"].proposal_id]
    assert workflow.get_move(session, world["move"]["H5"].id) is world["move"]["H5"]
    with pytest.raises(workflow.NotFound):
        workflow.get_move(session, 10**9)


def test_inadmissibility_fails_and_pauses_the_request_until_its_landlord_reopens_it(session, world):
    proposal = _accept_all(session, world, "H1")
    users, h = world["users"], world["h"]
    workflow.decide_move(
        session,
        world["move"]["H1"],
        users["BETA"],
        kind="inadmissible",
        reason="plafond de ressources dépassé",
        now=DAY,
    )
    assert (proposal.status, proposal.failure) == ("failed", "inadmissible")
    assert session.scalars(select(Exclusion)).all() == []  # no verdict on the dwelling itself
    status = {
        ref: session.scalars(select(Request.status).where(Request.household_id == h[ref])).one()
        for ref in ("H1", "H2")
    }
    assert status == {"H1": "paused", "H2": "open"}  # H2 goes back to the pool
    paused = session.scalars(select(AuditEvent).where(AuditEvent.action == "request.paused")).one()
    assert (paused.before, paused.after["status"], paused.actor) == (
        {"status": "open"},
        "paused",
        users["BETA"].login,
    )
    # The next run leaves H1 out; H2 is in again.
    second = runs.run_territory(
        session, world["territory"].code, as_of=date(2026, 1, 8), now=datetime(2026, 1, 8, 2, 30)
    )
    assert (second.requests, second.skipped_households) == (2, 3)  # H2 and H6; H3..H5 still live
    # H1 lives in D1, an ALPHA dwelling: BETA's staff may not reopen, ALPHA's may.
    with pytest.raises(NotAllowed):
        workflow.reopen_request(session, h["H1"], users["BETA"], now=DAY)
    workflow.reopen_request(session, h["H1"], users["ALPHA"], now=DAY)
    assert session.scalars(select(Request.status).where(Request.household_id == h["H1"])).one() == "open"
    with pytest.raises(workflow.WorkflowError, match="pas de demande en pause"):
        workflow.reopen_request(session, h["H1"], users["ALPHA"], now=DAY)


def test_a_second_run_skips_live_households_and_dwellings(session, world):
    again = runs.run_territory(
        session, world["territory"].code, as_of=RUN_DAY, now=datetime(2026, 1, 5, 3, 0)
    )
    # H1..H5 and the vacancy D9 are held by the first run's proposals; only H6 is left, alone.
    assert (again.skipped_households, again.requests, again.vacancies) == (5, 1, 0)
    assert (again.proposal_count, again.move_count, again.objective) == (0, 0, 0)


def test_delays_are_configurable_but_never_under_ten_days(session):
    territory = scenario.load(session)
    defaults = settings.get_delays(session, territory.code)
    assert defaults == settings.Delays(10, 30, {"ALPHA": None, "BETA": None})
    with pytest.raises(ValueError, match="au moins 10 jours"):
        settings.set_delays(session, territory.code, answer_days=9)
    with pytest.raises(ValueError, match="bailleur inconnu"):
        settings.set_delays(session, territory.code, decision_days={"GAMMA": 30})
    changed = settings.set_delays(
        session, territory.code, answer_days=15, decision_days={"BETA": 42}, now=DAY
    )
    assert changed == settings.Delays(15, 30, {"ALPHA": None, "BETA": 42})
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "territory.delays")).one()
    assert (
        event.before["answer_days"],
        event.after["answer_days"],
        event.after["decision_days"]["BETA"],
    ) == (
        10,
        15,
        42,
    )
    run = runs.run_territory(session, territory.code, as_of=RUN_DAY, now=datetime(2026, 1, 5, 2, 30))
    assert {p.answer_deadline for p in run.proposals} == {date(2026, 1, 20)}  # 5 January + 15 days
    accounts = scenario.users(session, territory)
    households = {v: k for k, v in scenario.ids(session, territory.id, Household).items()}
    dwellings = {v: k for k, v in scenario.ids(session, territory.id, Dwelling).items()}
    xville = next(p for p in run.proposals if any(households[m.household_id] == "H1" for m in p.moves))
    for move in xville.moves:
        workflow.answer_move(session, move, accounts[households[move.household_id]], accepted=True, now=DAY)
    due = {dwellings[m.to_dwelling_id]: m.decision_due for m in xville.moves}
    # D2 is BETA's (42 days: Wednesday 18 February), D1 ALPHA's (one month: Saturday 7 -> Monday 9 February)
    assert due == {"D2": date(2026, 2, 18), "D1": date(2026, 2, 9)}


def _request_of(session, household_id: int) -> Request:
    return session.scalars(select(Request).where(Request.household_id == household_id)).one()


LATE = datetime(2026, 1, 16, 0, 5)  # the answer deadline ran until midnight on 15 January


def test_lapsed_proposals_pause_the_request_until_the_household_confirms_it(session, world):
    users, h = world["users"], world["h"]
    settings.set_delays(session, world["territory"].code, pause_after_silences=1, now=DAY)
    workflow.answer_move(session, world["move"]["H1"], users["H1"], accepted=True, now=DAY)
    workflow.expire_deadlines(session, LATE)
    requests = {ref: _request_of(session, h[ref]) for ref in ("H1", "H2", "H3", "H4", "H5")}
    assert {ref: (r.status, r.paused_why, r.silences) for ref, r in requests.items()} == {
        "H1": ("open", None, 0),  # H1 answered: its proposal failed through the others' silence
        **{ref: ("paused", "silences", 1) for ref in ("H2", "H3", "H4", "H5")},
    }
    replies = {ref: portal.reply_record(session, h[ref]) for ref in ("H1", "H2")}
    assert replies == {"H1": portal.ReplyRecord(1, 1), "H2": portal.ReplyRecord(0, 1)}
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "request.paused")).all()
    assert sorted(e.entity_id for e in events) == sorted(requests[r].id for r in ("H2", "H3", "H4", "H5"))
    assert {(e.actor, e.after["why"]) for e in events} == {("system", "silences")}
    # The next run leaves the paused requests out.
    second = runs.run_territory(session, world["territory"].code, as_of=date(2026, 1, 16), now=LATE)
    assert second.requests == 2  # H1 and H6
    # Only the household itself (or the territory filing for it) confirms; its landlord may reopen.
    with pytest.raises(NotAllowed):
        workflow.confirm_request(session, h["H2"], users["H3"], now=LATE)
    with pytest.raises(NotAllowed):
        workflow.confirm_request(session, h["H2"], users["BETA"], now=LATE)
    workflow.confirm_request(session, h["H2"], users["H2"], now=LATE)
    assert (requests["H2"].status, requests["H2"].paused_why, requests["H2"].silences) == ("open", None, 0)
    confirmed = session.scalars(select(AuditEvent).where(AuditEvent.action == "request.confirmed")).one()
    assert (confirmed.actor, confirmed.before["silences"], confirmed.after) == (
        users["H2"].login,
        1,
        {"status": "open"},
    )
    with pytest.raises(workflow.WorkflowError, match="pas en pause"):
        workflow.confirm_request(session, h["H2"], users["H2"], now=LATE)


def test_the_default_pauses_after_two_lapses_in_a_row_and_an_answer_resets_the_count(session, world):
    users, h = world["users"], world["h"]
    assert settings.get_delays(session, world["territory"].code).pause_after_silences == 2
    earlier = {ref: _request_of(session, h[ref]) for ref in ("H1", "H2", "H3")}
    for request in earlier.values():
        request.silences = 1  # each let an earlier proposal lapse
    session.flush()
    workflow.answer_move(session, world["move"]["H1"], users["H1"], accepted=True, now=DAY)
    assert earlier["H1"].silences == 0  # H1 is there after all
    workflow.expire_deadlines(session, LATE)
    state = {ref: (r.status, r.silences) for ref, r in earlier.items()}
    assert state == {"H1": ("open", 0), "H2": ("paused", 2), "H3": ("paused", 2)}
    assert (_request_of(session, h["H4"]).status, _request_of(session, h["H4"]).silences) == ("open", 1)


def test_no_pause_when_the_territory_sets_zero(session, world):
    settings.set_delays(session, world["territory"].code, pause_after_silences=0, now=DAY)
    for ref in ("H2", "H3"):
        _request_of(session, world["h"][ref]).silences = 5
    session.flush()
    workflow.expire_deadlines(session, LATE)
    assert {_request_of(session, world["h"][ref]).status for ref in ("H2", "H3", "H4")} == {"open"}
    assert _request_of(session, world["h"]["H2"]).silences == 6


def test_a_request_paused_as_inadmissible_waits_for_its_landlord_not_the_household(session, world):
    _accept_all(session, world, "H1")
    users, h = world["users"], world["h"]
    workflow.decide_move(
        session, world["move"]["H1"], users["BETA"], kind="inadmissible", reason="plafond dépassé", now=DAY
    )
    assert _request_of(session, h["H1"]).paused_why == "inadmissible"
    with pytest.raises(workflow.WorkflowError, match="examen du bailleur"):
        workflow.confirm_request(session, h["H1"], users["H1"], now=DAY)
    workflow.reopen_request(session, h["H1"], users["ALPHA"], now=DAY)
    assert (_request_of(session, h["H1"]).status, _request_of(session, h["H1"]).paused_why) == ("open", None)


def test_the_pause_threshold_is_never_negative(session):
    territory = scenario.load(session)
    with pytest.raises(ValueError, match="pause_after_silences"):
        settings.set_delays(session, territory.code, pause_after_silences=-1)
    assert settings.set_delays(session, territory.code, pause_after_silences=3).pause_after_silences == 3


def _confirm_h1_h2(session, world) -> Proposal:
    proposal = _accept_all(session, world, "H1")
    beta, alpha = world["users"]["BETA"], world["users"]["ALPHA"]
    workflow.decide_move(session, world["move"]["H1"], beta, kind="attribution", reason="complet", now=DAY)
    workflow.decide_move(session, world["move"]["H2"], alpha, kind="attribution", reason="complet", now=DAY)
    assert proposal.status == "confirmed"
    return proposal


def test_a_household_that_accepted_may_withdraw_and_the_proposal_fails(session, world):
    users, h, d = world["users"], world["h"], world["d"]
    move = world["move"]["H2"]
    with pytest.raises(workflow.WorkflowError, match="pas accepté"):
        workflow.withdraw_move(session, move, users["H2"], reason="timing", now=DAY)
    proposal = _accept_all(session, world, "H1")
    assert proposal.status == "deciding"
    with pytest.raises(NotAllowed):
        workflow.withdraw_move(session, move, users["H1"], reason="timing", now=DAY)
    with pytest.raises(ValueError, match="précision"):
        workflow.withdraw_move(session, move, users["H2"], reason="other", now=DAY)
    with pytest.raises(ValueError, match="reason"):
        workflow.withdraw_move(session, move, users["H2"], reason="no_answer", now=DAY)
    workflow.withdraw_move(session, move, users["H2"], reason="change_of_situation", now=DAY)
    assert (proposal.status, proposal.failure) == ("failed", "withdrawn")
    assert (move.answer, move.refusal_reason) == ("refused", "change_of_situation")
    assert not any(m.live for m in proposal.moves)
    exclusions = session.execute(
        select(Exclusion.household_id, Exclusion.dwelling_id, Exclusion.reason)
    ).all()
    assert exclusions == [(h["H2"], d["D1"], "refused")]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "move.withdrawn")).one()
    assert (event.actor, event.before, event.after["reason"]) == (
        users["H2"].login,
        {"answer": "accepted"},
        "change_of_situation",
    )
    assert {_request_of(session, h[r]).status for r in ("H1", "H2")} == {"open"}  # never closed
    with pytest.raises(ProposalClosed):
        workflow.withdraw_move(session, world["move"]["H1"], users["H1"], reason="timing", now=DAY)


def test_withdrawing_after_the_confirmation_reopens_the_households_requests(session, world):
    users, h = world["users"], world["h"]
    proposal = _confirm_h1_h2(session, world)
    assert {_request_of(session, h[r]).status for r in ("H1", "H2")} == {"closed"}
    later = datetime(2026, 1, 12, 9, 0)
    workflow.withdraw_move(session, world["move"]["H1"], users["H1"], reason="timing", now=later)
    assert (proposal.status, proposal.failure) == ("failed", "withdrawn")
    requests = {r: _request_of(session, h[r]) for r in ("H1", "H2")}
    assert {(r.status, r.closed_on) for r in requests.values()} == {("open", None)}
    reopened = session.scalars(select(AuditEvent).where(AuditEvent.action == "request.reopened")).all()
    assert sorted(e.entity_id for e in reopened) == sorted(r.id for r in requests.values())
    # The next run may propose them again (with other dwellings for H1: D2 is excluded for it).
    again = runs.run_territory(session, world["territory"].code, as_of=date(2026, 1, 12), now=later)
    assert again.skipped_households == 3 and again.requests == 3  # H1, H2, H6; H3..H5 still live
