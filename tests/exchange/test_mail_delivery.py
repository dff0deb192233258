"""``exchange run`` then ``exchange send-mail`` against a real SMTP server (aiosmtpd), SQLite and PostgreSQL.

One French message per household with a new proposal; a sender killed with SIGKILL mid-batch and run
again sends nothing twice; temporary refusals back off, permanent ones fail and are listed for the
territory; an unreachable server stops the batch without losing anything.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import workflow_scenario as scenario
from click.testing import CliRunner
from smtp_support import Recorder, free_port, smtp_server
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from exchange import mailer, outbox, wording
from exchange.cli import cli
from exchange.db import make_engine, upgrade_to_head
from exchange.models import Household, Territory, UserAccount
from exchange.models.notification import OutboxMessage
from exchange.models.workflow import Proposal, ProposalMove

AS_OF = "2026-01-05"
SECRET = "clé-de-test"
PROPOSED = {"H1", "H2", "H3", "H4", "H5"}  # the scenario's run: H1 ↔ H2, H4 ↔ H5, chain H3 → D9


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def engine(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of this module's own: these tests commit."""
    backend = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    with scenario.scratch_database(backend, tmp_path_factory.mktemp("mail")) as url:
        eng = make_engine(url)
        upgrade_to_head(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def server() -> Iterator[tuple[Recorder, int]]:
    with smtp_server() as running:
        yield running


def _env(engine: Engine, port: int, **extra: str) -> dict[str, str]:
    return {
        "EXCHANGE_DATABASE_URL": _url(engine),
        "EXCHANGE_SMTP_HOST": "127.0.0.1",
        "EXCHANGE_SMTP_PORT": str(port),
        "EXCHANGE_SMTP_TLS": "none",
        "EXCHANGE_MAIL_FROM": "Bourse d'échange <bourse@bourse.test>",
        "EXCHANGE_PORTAL_URL": "https://bourse.test",
        "EXCHANGE_SECRET_KEY": SECRET,
        **extra,
    }


@pytest.fixture
def territory(engine: Engine) -> Iterator[str]:
    """The scenario under a code of its own, one tenant account with an address per household."""
    code = f"M{uuid.uuid4().hex[:8].upper()}"
    with Session(engine) as session, session.begin():
        row = scenario.load(session, code)
        for ref, account in scenario.users(session, row).items():
            if account.role == "tenant":
                account.email = f"{ref.lower()}.{code.lower()}@menages.test"
            elif account.role == "staff":
                account.email = f"caleol.{ref.lower()}.{code.lower()}@bailleurs.test"
    yield code


def _run(engine: Engine, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXCHANGE_DATABASE_URL", _url(engine))
    result = CliRunner().invoke(cli, ["run", code, "--as-of", AS_OF])
    assert result.exit_code == 0, result.output


def _send(engine: Engine, port: int, monkeypatch: pytest.MonkeyPatch, **extra: str) -> str:
    for name, value in _env(engine, port, **extra).items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["send-mail"])
    assert result.exit_code == 0, result.output
    return result.output


def _rows(engine: Engine, code: str) -> list[OutboxMessage]:
    with Session(engine) as session:
        territory_id = session.scalars(select(Territory.id).where(Territory.code == code)).one()
        return list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.territory_id == territory_id)
                .order_by(OutboxMessage.id)
            )
        )


def _refs_by_address(code: str) -> dict[str, str]:
    return {f"h{i}.{code.lower()}@menages.test": f"H{i}" for i in range(1, 7)}


def test_run_then_send_mail_delivers_one_french_message_per_household(engine, territory, server, monkeypatch):
    recorder, port = server
    _run(engine, territory, monkeypatch)
    output = _send(engine, port, monkeypatch)

    assert "Courriels envoyés : 5" in output
    refs = _refs_by_address(territory)
    assert sorted(refs[to] for to in recorder.recipients()) == sorted(PROPOSED)
    assert len(set(recorder.message_ids())) == 5
    with Session(engine) as session:
        proposal_of = {
            ref: session.scalars(
                select(ProposalMove.proposal_id)
                .join(Household, Household.id == ProposalMove.household_id)
                .join(Territory, Territory.id == Household.territory_id)
                .where(Territory.code == territory, Household.ref == ref)
            ).one()
            for ref in PROPOSED
        }
        deadline = session.scalars(
            select(Proposal.answer_deadline).where(Proposal.id == proposal_of["H1"])
        ).one()
    for message in recorder.accepted:
        ref = refs[str(message["To"])]
        assert message["Subject"] == "Une proposition d'échange de logement vous est faite"
        assert message["Content-Language"] == "fr"
        assert message["From"] == "Bourse d'échange <bourse@bourse.test>"
        assert "List-Unsubscribe" not in message  # a new proposal is a legal notice
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert text.startswith("Bonjour,")
        assert f"jusqu'au {wording.long_date(deadline)} à minuit" in text
        assert f"https://bourse.test/locataire/propositions/{proposal_of[ref]}" in text
        assert "https://bourse.test/courriels/" in text and "ne peut pas être désactivé" in text
        assert '<html lang="fr">' in html and f"propositions/{proposal_of[ref]}" in html
        # DOMAIN.md §5: no household's reference, no dwelling, no name in a message.
        for other in ("H1", "H2", "H3", "H4", "H5", "H6", "D1", "D2", "D9", "tenant"):
            assert other not in text and other not in html
    assert {r.status for r in _rows(engine, territory)} == {"sent"}

    again = _send(engine, port, monkeypatch)
    assert "Courriels envoyés : 0" in again and len(recorder.accepted) == 5


def _spawn_sender(engine: Engine, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, **_env(engine, port)}
    return subprocess.Popen(
        [sys.executable, "-c", "from exchange.cli import main; main()", "send-mail"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_sender_killed_mid_batch_sends_nothing_twice(engine, territory, server, monkeypatch):
    recorder, port = server
    _run(engine, territory, monkeypatch)
    recorder.block_on = 2  # the second message waits in DATA: accepted 1, not 2
    sender = _spawn_sender(engine, port)
    try:
        assert recorder.blocked.wait(60), "the sender never reached the second message"
        sender.send_signal(signal.SIGKILL)
        sender.wait(30)
    finally:
        if sender.poll() is None:
            sender.kill()
        sender.communicate()
    recorder.release.set()
    assert len(recorder.accepted) == 1
    statuses = sorted(r.status for r in _rows(engine, territory))
    assert statuses == ["pending", "pending", "pending", "sending", "sent"]

    # The dead sender's claim is over once its lease is: the next run sends the rest, once each.
    time.sleep(1.2)
    output = _send(engine, port, monkeypatch, EXCHANGE_MAIL_LEASE_SECONDS="1")
    assert "Courriels envoyés : 4" in output
    assert len(recorder.accepted) == 5
    assert len(set(recorder.message_ids())) == 5
    assert sorted(_refs_by_address(territory)[to] for to in recorder.recipients()) == sorted(PROPOSED)
    rows = _rows(engine, territory)
    assert {r.status for r in rows} == {"sent"}
    assert sorted(r.attempts for r in rows) == [1, 1, 1, 1, 2]


def _config(port: int, **changes: Any) -> mailer.MailConfig:
    return dataclasses.replace(mailer.mail_config(_env_for_config(port)), **changes)


def _env_for_config(port: int) -> dict[str, str]:
    return {
        "EXCHANGE_SMTP_HOST": "127.0.0.1",
        "EXCHANGE_SMTP_PORT": str(port),
        "EXCHANGE_MAIL_FROM": "bourse@bourse.test",
        "EXCHANGE_SECRET_KEY": SECRET,
    }


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_temporary_refusals_back_off_and_permanent_ones_fail_visibly(engine, territory, server, monkeypatch):
    recorder, port = server
    _run(engine, territory, monkeypatch)
    h1, h2 = (f"h{i}.{territory.lower()}@menages.test" for i in (1, 2))
    recorder.refusals[h1] = ["451 4.2.1 mailbox busy, try later"]
    recorder.refusals[h2] = ["550 5.1.1 no such mailbox"]
    clock = _Clock(datetime.now().replace(microsecond=0) + timedelta(minutes=1))
    config = _config(port)

    report = mailer.deliver(engine, config, clock=clock)
    assert (report.sent, report.retried, report.failed) == (3, 1, 1)
    rows = {r.recipient: r for r in _rows(engine, territory)}
    assert rows[h1].status == "pending" and rows[h1].attempts == 1
    assert rows[h1].next_attempt_at == clock.now + timedelta(seconds=60)
    assert rows[h1].last_error is not None and rows[h1].last_error.startswith("451")
    assert rows[h2].status == "failed" and rows[h2].last_error.startswith("550")

    # Not due yet: nothing goes out; once the back-off is over, it does.
    assert mailer.deliver(engine, config, clock=clock).sent == 0
    clock.now += timedelta(seconds=61)
    assert mailer.deliver(engine, config, clock=clock).sent == 1
    assert sorted(recorder.recipients()).count(h1) == 1 and h2 not in recorder.recipients()

    # The territory sees the failure: in mail-status and in its outbox summary.
    monkeypatch.setenv("EXCHANGE_DATABASE_URL", _url(engine))
    result = CliRunner().invoke(cli, ["mail-status", territory])
    assert result.exit_code == 0, result.output
    assert "Échecs définitifs (1)" in result.output and h2 in result.output and "550" in result.output
    assert "envoyé : 4" in result.output
    with Session(engine) as session:
        status = outbox.outbox_status(session, territory)
    assert [m.recipient for m in status.failed] == [h2] and status.counts["sent"] == 4


def test_the_last_attempt_fails_for_good(engine, territory, server, monkeypatch):
    recorder, port = server
    _run(engine, territory, monkeypatch)
    h3 = f"h3.{territory.lower()}@menages.test"
    recorder.refusals[h3] = ["421 4.3.2 try later"] * 3
    clock = _Clock(datetime.now().replace(microsecond=0) + timedelta(minutes=1))
    config = _config(port, max_attempts=2)
    mailer.deliver(engine, config, clock=clock)
    clock.now += timedelta(seconds=61)
    report = mailer.deliver(engine, config, clock=clock)
    assert report.failed == 1
    row = next(r for r in _rows(engine, territory) if r.recipient == h3)
    assert (row.status, row.attempts) == ("failed", 2)
    assert h3 not in recorder.recipients()


def test_an_unreachable_server_stops_the_batch_and_loses_nothing(engine, territory, server, monkeypatch):
    recorder, port = server
    _run(engine, territory, monkeypatch)
    clock = _Clock(datetime.now().replace(microsecond=0) + timedelta(minutes=1))
    report = mailer.deliver(engine, _config(free_port()), clock=clock)
    assert report.sent == 0 and report.retried == 1 and report.stopped is not None
    rows = _rows(engine, territory)
    assert sorted(r.status for r in rows) == ["pending"] * 5 and sorted(r.attempts for r in rows) == [
        0,
        0,
        0,
        0,
        1,
    ]
    clock.now += timedelta(minutes=5)
    assert mailer.deliver(engine, _config(port), clock=clock).sent == 5


def test_send_mail_refuses_to_run_without_its_settings(engine, monkeypatch):
    monkeypatch.setenv("EXCHANGE_DATABASE_URL", _url(engine))
    monkeypatch.delenv("EXCHANGE_MAIL_FROM", raising=False)
    result = CliRunner().invoke(cli, ["send-mail"])
    assert result.exit_code == 1 and "EXCHANGE_MAIL_FROM" in result.output
    monkeypatch.setenv("EXCHANGE_MAIL_FROM", "bourse@bourse.test")
    monkeypatch.setenv("EXCHANGE_SECRET_KEY", SECRET)
    monkeypatch.setenv("EXCHANGE_SMTP_TLS", "peut-être")
    result = CliRunner().invoke(cli, ["send-mail"])
    assert result.exit_code == 1 and "EXCHANGE_SMTP_TLS" in result.output


def test_an_account_that_lost_its_address_gets_nothing(engine, territory, server, monkeypatch):
    recorder, port = server
    _run(engine, territory, monkeypatch)
    with Session(engine) as session, session.begin():
        account = session.scalars(
            select(UserAccount).where(UserAccount.email == f"h1.{territory.lower()}@menages.test")
        ).one()
        account.email = None
    _send(engine, port, monkeypatch)
    assert len(recorder.accepted) == 4
    assert sorted(r.status for r in _rows(engine, territory)) == ["cancelled"] + ["sent"] * 4
