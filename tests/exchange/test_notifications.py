"""What each event puts in the outbox, in the event's own transaction (exchange.notifications)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import workflow_scenario as scenario
from sqlalchemy import func, select

from exchange import accounts, notifications, runs, settings, workflow
from exchange.errors import InvalidArgument
from exchange.models import Household, Territory
from exchange.models.notification import OutboxMessage

RUN_DAY = date(2026, 1, 5)  # answer deadline: Thursday 15 January 2026
DAY = datetime(2026, 1, 7, 10, 0)


@pytest.fixture
def world(session):
    territory = scenario.load(session)
    users = scenario.users(session, territory)
    for ref, account in users.items():
        account.email = f"{ref.lower()}@exemple.test"
    session.flush()
    run = runs.run_territory(session, territory.code, as_of=RUN_DAY, now=datetime(2026, 1, 5, 2, 30))
    households = scenario.ids(session, territory.id, Household)
    refs = {i: ref for ref, i in households.items()}
    moves = {refs[m.household_id]: m for p in run.proposals for m in p.moves}
    return {"territory": territory, "users": users, "run": run, "move": moves}


def _outbox(session, kind: str | None = None) -> list[tuple[str, str]]:
    query = select(OutboxMessage.kind, OutboxMessage.recipient).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return [(k, r.split("@")[0]) for k, r in session.execute(query).all()]


def test_a_run_tells_each_household_of_its_new_proposal(session, world):
    assert sorted(_outbox(session)) == [("proposal", f"h{i}") for i in range(1, 6)]
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "h1@exemple.test")).one()
    assert row.context == {
        "proposal_id": world["move"]["H1"].proposal_id,
        "proposal_kind": "cycle",
        "households": 2,
        "deadline": "2026-01-15",
    }
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, datetime(2026, 1, 5, 2, 30))


def test_the_outbox_row_lives_and_dies_with_its_event(session, world):
    before = session.scalar(select(func.count()).select_from(OutboxMessage))
    savepoint = session.begin_nested()
    workflow.answer_move(
        session, world["move"]["H1"], world["users"]["H1"], accepted=False, reason="location", now=DAY
    )
    assert _outbox(session, "changed") == [("changed", "h2")]  # H1 refused: only H2 is told
    savepoint.rollback()
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == before
    assert _outbox(session, "changed") == []


def test_a_run_rolled_back_leaves_no_message(session):
    territory = scenario.load(session, "TRB")
    for ref, account in scenario.users(session, territory).items():
        account.email = f"{ref.lower()}@exemple.test"
    session.flush()
    savepoint = session.begin_nested()
    runs.run_territory(session, "TRB", as_of=RUN_DAY)
    assert len(_outbox(session, "proposal")) == 5
    savepoint.rollback()
    assert _outbox(session, "proposal") == []


def test_all_accept_then_decisions_tell_every_household(session, world):
    proposal = world["move"]["H1"].proposal
    for ref in ("H1", "H2"):
        workflow.answer_move(session, world["move"][ref], world["users"][ref], accepted=True, now=DAY)
    # The last answer sent the proposal to the CALEOLs: H1 (who answered first) hears of it; H2 acted.
    assert _outbox(session, "changed") == [("changed", "h1")]
    staff = {a.landlord_id: a for a in world["users"].values() if a.role == "staff"}
    for move in proposal.moves:
        caleol = staff[_landlord(session, move)]
        workflow.decide_move(session, move, caleol, kind="attribution", reason="dossier complet", now=DAY)
    assert sorted(_outbox(session, "decision")) == [("decision", "h1"), ("decision", "h2")]
    confirmed = [r for r in _rows(session, "changed") if r.context["status"] == "confirmed"]
    assert sorted(r.recipient for r in confirmed) == ["h1@exemple.test", "h2@exemple.test"]
    assert confirmed[0].context["move_date"] is not None
    decision = _rows(session, "decision")[-1]
    assert decision.context["decision"] == "attribution" and "reason" not in decision.context


def _landlord(session, move) -> int:
    from exchange.models import Dwelling

    return session.scalar(select(Dwelling.landlord_id).where(Dwelling.id == move.to_dwelling_id))


def _rows(session, kind: str) -> list[OutboxMessage]:
    return list(
        session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
    )


def test_a_lapsed_deadline_tells_the_silent_households_and_a_pause_is_told(session, world):
    settings.set_delays(session, world["territory"].code, pause_after_silences=1)
    workflow.answer_move(session, world["move"]["H4"], world["users"]["H4"], accepted=True, now=DAY)
    workflow.expire_deadlines(session, datetime(2026, 1, 16, 2, 0))
    lapsed = sorted(r for _, r in _outbox(session, "lapsed"))
    assert lapsed == ["h1", "h2", "h3", "h5"]
    assert _outbox(session, "changed") == [("changed", "h4")]  # H4 answered; H5's silence failed it
    assert sorted(r for _, r in _outbox(session, "paused")) == ["h1", "h2", "h3", "h5"]
    assert _rows(session, "paused")[0].context["why"] == "silences"


def test_reminders_once_within_the_lead_and_muted_ones_are_not_queued(session, world):
    code = world["territory"].code
    notifications.set_muted(session, world["users"]["H2"].id, ["reminder"])
    assert notifications.queue_due(session, date(2026, 1, 11)).reminders == 0  # 4 days before: too early
    workflow.answer_move(session, world["move"]["H1"], world["users"]["H1"], accepted=True, now=DAY)
    # Three days before the deadline: H1 answered, H2 turned reminders off.
    assert notifications.queue_due(session, date(2026, 1, 12)).reminders == 3
    assert sorted(r for _, r in _outbox(session, "reminder")) == ["h3", "h4", "h5"]
    assert _rows(session, "reminder")[0].context["days_left"] == 3
    assert notifications.queue_due(session, date(2026, 1, 13)).reminders == 0  # said once
    settings.set_delays(session, code, reminder_days=0)
    assert settings.get_delays(session, code).reminder_days == 0


def test_a_digest_for_staff_with_moves_to_decide(session, world):
    for ref in ("H1", "H2"):
        workflow.answer_move(session, world["move"][ref], world["users"][ref], accepted=True, now=DAY)
    counts = notifications.queue_due(session, date(2026, 3, 1))
    assert counts.digests == 2
    digest = next(r for r in _rows(session, "digest") if r.recipient.startswith("alpha"))
    assert digest.context["awaiting"] == 1 and digest.context["overdue"] == 1
    assert notifications.queue_due(session, date(2026, 3, 1)).digests == 0  # once a day
    assert notifications.queue_due(session, date(2026, 3, 2)).digests == 2


def test_legal_notices_cannot_be_muted_and_muting_cancels_what_waits(session, world):
    account = world["users"]["H1"]
    with pytest.raises(ValueError, match="proposal"):
        notifications.set_muted(session, account.id, ["proposal"])
    notifications.notify(session, "changed", account, {"proposal_id": 1}, key="x")
    assert notifications.set_muted(session, account.id, ["changed", "reminder"]) == ["changed", "reminder"]
    waiting = session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedup_key == f"changed:x:a{account.id}")
    )
    assert waiting.one().status == "cancelled"
    assert notifications.notify(session, "changed", account, {"proposal_id": 1}, key="y") == []
    assert len(notifications.notify(session, "decision", account, {"proposal_id": 1}, key="y")) == 1


def test_notify_says_an_event_once_and_skips_accounts_without_address(session, world):
    account = world["users"]["H6"]
    assert len(notifications.notify(session, "paused", account, {"why": "silences"}, key="k")) == 1
    assert notifications.notify(session, "paused", account, {"why": "silences"}, key="k") == []
    accounts.set_email(session, account.id, None)
    assert notifications.notify(session, "paused", account, {"why": "silences"}, key="k2") == []
    with pytest.raises(ValueError, match="kind"):
        notifications.notify(session, "spam", account, {}, key="k3")


@pytest.mark.parametrize(
    ("value", "stored"),
    [("Marie@Exemple.FR", "Marie@exemple.fr"), (" a.b@c.d.fr ", "a.b@c.d.fr")],
)
def test_addresses_are_normalised(value, stored):
    assert accounts.normalize_email(value) == stored


@pytest.mark.parametrize(
    "value", ["marie", "marie@", "@exemple.fr", "ma rie@exemple.fr", "m@exemple", "a@b@c.fr"]
)
def test_malformed_addresses_are_refused(value):
    with pytest.raises(InvalidArgument, match="adresse électronique invalide"):
        accounts.normalize_email(value)


def test_preferences_tokens_are_signed():
    token = notifications.preferences_token(42, "clé")
    assert notifications.account_for_token(token, "clé") == 42
    assert notifications.account_for_token(token, "autre clé") is None
    assert notifications.account_for_token(token.replace("42-", "43-"), "clé") is None
    assert notifications.account_for_token("42", "clé") is None


def test_the_repair_hook_tells_each_household_once_per_new_deadline(session, world):
    proposal = world["move"]["H4"].proposal
    h4 = world["move"]["H4"].household_id
    assert notifications.proposal_repaired(session, proposal, now=DAY, households=[h4]) == 1
    assert notifications.proposal_repaired(session, proposal, now=DAY) == 1  # H5 now; H4 already told
    proposal.answer_deadline = date(2026, 1, 20)
    assert notifications.proposal_repaired(session, proposal, now=DAY) == 2
    assert sorted(r for _, r in _outbox(session, "repaired")) == ["h4", "h4", "h5", "h5"]


def test_a_repaired_proposal_is_a_legal_notice_to_its_households(session):
    from factories import make_document, make_dwelling, make_household, make_request

    from exchange import interchange

    # A refuses in the 3-cycle A -> DB, B -> DC, C -> DA; the embedded B <-> C is offered at once.
    allowed = {("A", "DB"), ("B", "DC"), ("C", "DA"), ("C", "DB")}
    homes = [make_dwelling(f"D{h}") for h in "ABC"]
    every = [(h, d["ref"]) for h in "ABC" for d in homes if d["ref"] != f"D{h}"]
    interchange.import_document(
        session,
        make_document(
            dwellings=homes,
            households=[make_household(h, f"D{h}") for h in "ABC"],
            requests=[make_request(h) for h in "ABC"],
            offers=[],
            exclusions=[{"household": h, "dwelling": d} for h, d in every if (h, d) not in allowed],
        ),
    )
    session.flush()
    territory = session.scalars(select(Territory).where(Territory.code == "TST")).one()
    users = scenario.users(session, territory)
    for ref, account in users.items():
        account.email = f"{ref.lower()}@exemple.test"
    run = runs.run_territory(session, "TST", as_of=date(2026, 11, 23), now=datetime(2026, 11, 23, 2, 0))
    (cycle,) = run.proposals
    refusing = next(m for m in cycle.moves if m.household_id == users["A"].household_id)
    workflow.answer_move(session, refusing, users["A"], accepted=False, reason="location", now=DAY)
    repaired = _rows(session, "repaired")
    assert sorted(r.recipient for r in repaired) == ["b@exemple.test", "c@exemple.test"]
    assert repaired[0].context["repairs"] == cycle.id and repaired[0].context["proposal_id"] != cycle.id
