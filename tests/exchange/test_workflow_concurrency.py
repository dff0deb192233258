"""Two staff members decide the same move at the same moment: exactly one wins, the other is told.

Each side is a real thread with its own database connection and transaction, on a database of this
module's own (these tests commit, which the shared ``session`` never does). A barrier releases both
at once. On PostgreSQL both have read the move before the barrier and the proposal's row lock
(``FOR UPDATE``) queues them; on SQLite :func:`exchange.workflow.write_transaction` takes the
database's write lock first, so the second waits there and then reads the first one's decision.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
import workflow_scenario as scenario
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exchange import runs, workflow
from exchange.db import make_engine, upgrade_to_head
from exchange.models import Household, UserAccount
from exchange.models.workflow import AuditEvent, CommitteeDecision, Proposal

DAY = datetime(2026, 1, 7, 10, 0)
HOLD_S = 0.5  # the winner keeps its transaction open this long after deciding


@pytest.fixture(scope="module")
def engine(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    with scenario.scratch_database(backend, tmp_path_factory.mktemp("race")) as url:
        eng = make_engine(url)
        upgrade_to_head(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def deciding(engine: Engine) -> dict[str, Any]:
    """A committed territory whose Xville swap (H1 → D2, BETA's dwelling) waits for the CALEOLs.

    BETA has two staff members; returns their ids and the id of the move into D2.
    """
    code = f"R{uuid.uuid4().hex[:8].upper()}"
    with Session(engine) as session, session.begin():
        territory = scenario.load(session, code)
        users = scenario.users(session, territory)
        second = UserAccount(
            login=f"{code.lower()}-staff-beta-2",
            password_hash="x",
            role="staff",
            territory_id=territory.id,
            landlord_id=users["BETA"].landlord_id,
        )
        session.add(second)
        run = runs.run_territory(session, code, as_of=date(2026, 1, 5), now=datetime(2026, 1, 5, 2, 30))
        refs = {i: ref for ref, i in scenario.ids(session, territory.id, Household).items()}
        move = next(m for p in run.proposals for m in p.moves if refs[m.household_id] == "H1")
        for m in move.proposal.moves:
            workflow.answer_move(session, m, users[refs[m.household_id]], accepted=True, now=DAY)
        assert move.proposal.status == "deciding"
        session.flush()
        return {"move": move.id, "proposal": move.proposal_id, "staff": [users["BETA"].id, second.id]}


def _decide(
    engine: Engine,
    barrier: threading.Barrier,
    move_id: int,
    user_id: int,
    kind: str,
    out: dict[str, Any],
    boundary: bool,
) -> None:
    """One staff member's request: read the move, wait for the other, decide, commit.

    With ``boundary`` it goes through :func:`workflow.write_transaction` as the CLI does (on SQLite the
    barrier is then before the transaction: the write lock is its first statement).
    """
    try:
        if boundary and engine.dialect.name == "sqlite":
            barrier.wait(timeout=30)
            with workflow.write_transaction(engine) as session:
                move = workflow.get_move(session, move_id)
                workflow.decide_move(
                    session,
                    move,
                    session.get(UserAccount, user_id),
                    kind=kind,
                    reason=f"motif {kind}",
                    now=DAY,
                )
                time.sleep(HOLD_S)
        else:
            with Session(engine) as session, session.begin():
                move = workflow.get_move(session, move_id)
                user = session.get(UserAccount, user_id)
                assert move.decision is None
                barrier.wait(timeout=30)  # both have read "not decided yet"
                workflow.decide_move(session, move, user, kind=kind, reason=f"motif {kind}", now=DAY)
                time.sleep(HOLD_S)
        out[kind] = "won"
    except (workflow.AlreadyDecided, workflow.Busy) as exc:
        out[kind] = str(exc)
    except BaseException as exc:  # reported by the test
        out[kind] = exc


@pytest.mark.parametrize("boundary", [True, False], ids=["write_transaction", "plain_session"])
def test_two_staff_deciding_the_same_move_at_once(engine, deciding, boundary):
    barrier = threading.Barrier(2)
    out: dict[str, Any] = {}
    move_id = deciding["move"]
    already = f"mouvement {move_id} : déjà décidé par la CALEOL"
    threads = [
        threading.Thread(target=_decide, args=(engine, barrier, move_id, user_id, kind, out, boundary))
        for user_id, kind in zip(deciding["staff"], ("attribution", "non_attribution"), strict=True)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads)
    assert all(isinstance(v, str) for v in out.values()), out
    winners = [kind for kind, v in out.items() if v == "won"]
    assert len(winners) == 1, out
    (loser,) = set(out) - set(winners)
    if boundary or engine.dialect.name == "postgresql":
        assert out[loser] == already
        assert elapsed >= HOLD_S  # the loser waited for the winner's commit
    else:  # SQLite, both read first: the loser cannot write any more and is told to retry
        assert out[loser] in (already, str(workflow.Busy()))
    with Session(engine) as session:
        decisions = session.scalars(select(CommitteeDecision).where(CommitteeDecision.move_id == move_id))
        assert [d.kind for d in decisions] == winners
        events = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.entity == "move",
                AuditEvent.entity_id == move_id,
                AuditEvent.action.like("move.decided.%"),
            )
        ).all()
        assert events == [f"move.decided.{winners[0]}"]
        status = session.get(Proposal, deciding["proposal"]).status
        assert status == {"attribution": "deciding", "non_attribution": "failed"}[winners[0]]


def test_the_database_itself_refuses_a_second_decision_from_another_connection(engine, deciding):
    """Without the services' locks: two connections insert a decision for the same move."""
    move_id = deciding["move"]
    with Session(engine) as session:
        landlord_id = session.get(UserAccount, deciding["staff"][0]).landlord_id

    def row(kind: str) -> CommitteeDecision:
        return CommitteeDecision(
            move_id=move_id,
            landlord_id=landlord_id,
            kind=kind,
            reason="r",
            decided_on=DAY.date(),
            decided_at=DAY,
        )

    errors: list[BaseException] = []
    first_inserted = threading.Event()

    def second() -> None:
        first_inserted.wait(timeout=30)
        try:
            with Session(engine) as other, other.begin():
                other.add(row("non_attribution"))  # waits for the first transaction, then fails
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    with Session(engine) as session, session.begin():
        session.add(row("attribution"))
        session.flush()
        first_inserted.set()
        time.sleep(HOLD_S)
    thread.join(timeout=60)
    # The second insert waited for the first commit (row lock of the unique index on PostgreSQL, the
    # database lock on SQLite), then hit the unique constraint on move_id.
    assert len(errors) == 1 and isinstance(errors[0], IntegrityError), errors
    with Session(engine) as session:
        count = session.scalar(
            select(func.count()).select_from(CommitteeDecision).where(CommitteeDecision.move_id == move_id)
        )
        assert count == 1
