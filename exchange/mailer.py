"""Delivery of the outbox over SMTP (``exchange send-mail``): claim one row, send it, mark it sent.

Each message goes through three short steps, each its own transaction:

1. **claim**: the oldest due row (``pending`` and due, or ``sending`` whose claim is older than the
   lease: its sender died) becomes ``sending`` with ``claimed_at``, a fresh ``claim_token`` and one
   more attempt. PostgreSQL picks it with ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent senders
   never take the same row; SQLite takes the database's write lock first.
2. **send** (no transaction open): the SMTP server gets the message, with a Message-ID derived from
   the row (the same at every attempt).
3. **mark**: right after the server accepted it, the row becomes ``sent``. A temporary refusal
   (4xx, a lost connection) puts it back to ``pending`` with an exponential back-off; a permanent one
   (5xx) or the last attempt makes it ``failed``, listed for the territory.

Killed between 2 and 3 (the few milliseconds after the server's « 250 » and before the commit), the
row is still ``sending``: once its lease is over the next sender sends it again, with the same
Message-ID. We chose *at least once* over *at most once*: these are legal notices with deadlines,
and a rare duplicate that a mail system can drop by its Message-ID does less harm than a lost one.
A sender killed anywhere else sends nothing twice.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import Session

from exchange.errors import ExchangeError
from exchange.mail_compose import Letter, compose
from exchange.models import UserAccount
from exchange.models.notification import OutboxMessage
from exchange.notifications import OPTIONAL_KINDS

__all__ = [
    "DeliveryReport",
    "MailConfig",
    "MailConfigError",
    "backoff",
    "deliver",
    "mail_config",
]

TLS_MODES = ("none", "starttls", "ssl")


class MailConfigError(ExchangeError):
    """The SMTP settings in the environment are missing or wrong."""


@dataclass(frozen=True, slots=True)
class MailConfig:
    """Where and how ``send-mail`` delivers (the ``EXCHANGE_SMTP_*`` variables, :func:`mail_config`)."""

    host: str
    port: int
    sender: str
    portal_url: str
    secret: str = field(repr=False)
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: str = "none"
    timeout_s: float = 30.0
    lease_s: float = 300.0  # a claim older than this belongs to a dead sender
    max_attempts: int = 8
    retry_base_s: float = 60.0
    retry_cap_s: float = 6 * 3600.0


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise MailConfigError(f"{name} : nombre attendu, reçu {raw!r}") from None
    if value <= 0:
        raise MailConfigError(f"{name} : nombre positif attendu, reçu {raw!r}")
    return value


def mail_config(env: Mapping[str, str] | None = None) -> MailConfig:
    """The SMTP settings: ``EXCHANGE_SMTP_HOST`` (localhost), ``_PORT`` (25, 587 with STARTTLS, 465
    with SSL), ``_USER``, ``_PASSWORD``, ``_TLS`` (none, starttls or ssl), ``EXCHANGE_MAIL_FROM``
    (required), ``EXCHANGE_PORTAL_URL`` and ``EXCHANGE_SECRET_KEY`` (the portal's, required: it signs
    the preferences links). Raises :class:`MailConfigError`.
    """
    env = os.environ if env is None else env
    tls = env.get("EXCHANGE_SMTP_TLS", "none").strip().lower() or "none"
    tls = {"false": "none", "0": "none", "non": "none", "tls": "ssl", "true": "starttls"}.get(tls, tls)
    if tls not in TLS_MODES:
        raise MailConfigError(f"EXCHANGE_SMTP_TLS : {', '.join(TLS_MODES)} attendu, reçu {tls!r}")
    sender = env.get("EXCHANGE_MAIL_FROM", "").strip()
    if "@" not in sender:
        raise MailConfigError("EXCHANGE_MAIL_FROM : l'adresse d'expédition des courriels est obligatoire")
    secret = env.get("EXCHANGE_SECRET_KEY", "").strip()
    if not secret:
        raise MailConfigError(
            "EXCHANGE_SECRET_KEY : la clé secrète du portail est obligatoire (elle signe les liens de"
            " désabonnement)"
        )
    default_port = {"none": 25, "starttls": 587, "ssl": 465}[tls]
    return MailConfig(
        host=env.get("EXCHANGE_SMTP_HOST", "").strip() or "localhost",
        port=int(_number(env, "EXCHANGE_SMTP_PORT", default_port)),
        sender=sender,
        portal_url=env.get("EXCHANGE_PORTAL_URL", "").strip() or "http://localhost:5000",
        secret=secret,
        user=env.get("EXCHANGE_SMTP_USER") or None,
        password=env.get("EXCHANGE_SMTP_PASSWORD") or None,
        tls=tls,
        timeout_s=_number(env, "EXCHANGE_SMTP_TIMEOUT", 30.0),
        lease_s=_number(env, "EXCHANGE_MAIL_LEASE_SECONDS", 300.0),
        max_attempts=int(_number(env, "EXCHANGE_MAIL_MAX_ATTEMPTS", 8)),
        retry_base_s=_number(env, "EXCHANGE_MAIL_RETRY_SECONDS", 60.0),
    )


def backoff(attempts: int, config: MailConfig) -> timedelta:
    """Wait before the next attempt after ``attempts`` failed ones: base × 2^(attempts−1), capped.

    >>> cfg = MailConfig("h", 25, "a@b.fr", "http://p", "k")
    >>> [int(backoff(n, cfg).total_seconds()) for n in (1, 2, 3, 10)]
    [60, 120, 240, 21600]
    """
    seconds = config.retry_base_s * 2 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, config.retry_cap_s))


@dataclass
class DeliveryReport:
    """What one ``send-mail`` did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    stopped: str | None = None  # why the batch stopped early (the server cannot be reached)


@dataclass(frozen=True, slots=True)
class _Claim:
    letter: Letter
    token: str
    attempts: int


# The three steps ----------------------------------------------------------------------------------


def _lock_for_claim(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        from exchange.workflow import take_write_lock

        take_write_lock(session)


def _claim(engine: Engine, config: MailConfig, now: datetime, report: DeliveryReport) -> _Claim | None:
    """Take the next due row (own transaction); rows that can no longer go out are settled on the way."""
    stale = now - timedelta(seconds=config.lease_s)
    due = or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at <= stale),
    )
    while True:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            _lock_for_claim(session)
            row = session.scalars(
                select(OutboxMessage)
                .where(due)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            account = session.get(UserAccount, row.account_id) if row.account_id is not None else None
            reason = _why_not(row, account, config)
            if reason is not None:
                row.status, row.last_error, row.claim_token = reason
                report.cancelled += row.status == "cancelled"
                report.failed += row.status == "failed"
                continue
            assert account is not None and account.email
            row.status, row.claimed_at, row.claim_token = "sending", now, uuid.uuid4().hex
            row.attempts += 1
            row.recipient = account.email  # the address may have changed since the event
            letter = Letter(row.id, account.id, row.kind, row.recipient, dict(row.context), row.created_at)
            return _Claim(letter, row.claim_token, row.attempts)


def _why_not(
    row: OutboxMessage, account: UserAccount | None, config: MailConfig
) -> tuple[str, str, None] | None:
    """The status and reason of a row that must not go out any more, or None."""
    if account is None or not account.active or not account.email:
        return "cancelled", "compte supprimé, désactivé ou sans adresse", None
    if row.kind in OPTIONAL_KINDS and row.kind in (account.mail_muted or []):
        return "cancelled", "désactivé par le destinataire", None
    if row.attempts >= config.max_attempts:
        error = row.last_error or "envoi interrompu"
        return "failed", f"{error} (abandon après {row.attempts} tentatives)", None
    return None


def _mark_sent(engine: Engine, claim: _Claim, now: datetime) -> None:
    with Session(engine) as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == claim.letter.id)
            .values(status="sent", sent_at=now, claim_token=None, last_error=None)
        )


def _mark_failed(
    engine: Engine, claim: _Claim, config: MailConfig, now: datetime, error: str, *, permanent: bool
) -> str:
    """Back to ``pending`` after a back-off, or ``failed`` for good; returns the new status."""
    final = permanent or claim.attempts >= config.max_attempts
    values: dict[str, object] = {"claim_token": None, "last_error": error[:2000]}
    if final:
        values["status"] = "failed"
    else:
        values.update(status="pending", next_attempt_at=now + backoff(claim.attempts, config))
    with Session(engine) as session, session.begin():
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == claim.letter.id, OutboxMessage.claim_token == claim.token)
            .values(**values)
        )
    return str(values["status"])


# SMTP ---------------------------------------------------------------------------------------------


def _connect(config: MailConfig) -> smtplib.SMTP:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if config.tls == "ssl":
        client = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout_s, context=context)
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_s)
        if config.tls == "starttls":
            client.starttls(context=context)
    if config.user:
        client.login(config.user, config.password or "")
    return client


def _permanent(exc: smtplib.SMTPException) -> bool:
    """A 5xx answer: the server will never take this message (unknown mailbox, refused content)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {text.decode(errors='replace')}" for code, text in exc.recipients.values())
    code, text = getattr(exc, "smtp_code", None), getattr(exc, "smtp_error", None)
    if code is not None:
        detail = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
        return f"{code} {detail}"
    return f"{type(exc).__name__} : {exc}" if str(exc) else type(exc).__name__


def deliver(
    engine: Engine,
    config: MailConfig,
    *,
    limit: int | None = None,
    clock: Callable[[], datetime] = datetime.now,
    on_sent: Callable[[Letter], None] | None = None,
) -> DeliveryReport:
    """Send the due messages of the outbox, one at a time (at most ``limit``); see the module's doc.

    Stops early, leaving the rest for the next run, when the SMTP server cannot be reached.
    """
    report = DeliveryReport()
    client: smtplib.SMTP | None = None
    handled = 0
    try:
        while limit is None or handled < limit:
            now = clock().replace(microsecond=0)
            claim = _claim(engine, config, now, report)
            if claim is None:
                break
            handled += 1
            message: EmailMessage = compose(
                claim.letter,
                sender=config.sender,
                portal_url=config.portal_url,
                secret=config.secret,
                now=now,
            )
            if client is None:
                try:
                    client = _connect(config)
                except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, bad credentials
                    _count(report, _mark_failed(engine, claim, config, now, _describe(exc), permanent=False))
                    report.stopped = f"serveur de courrier injoignable ({_describe(exc)})"
                    break
            try:
                client.send_message(
                    message, from_addr=_bare(config.sender), to_addrs=[claim.letter.recipient]
                )
            except smtplib.SMTPResponseException as exc:
                status = _mark_failed(engine, claim, config, now, _describe(exc), permanent=_permanent(exc))
                _count(report, status)
            except smtplib.SMTPRecipientsRefused as exc:
                status = _mark_failed(engine, claim, config, now, _describe(exc), permanent=_permanent(exc))
                _count(report, status)
            except (smtplib.SMTPException, OSError) as exc:  # connection lost or timed out
                status = _mark_failed(engine, claim, config, now, _describe(exc), permanent=False)
                _count(report, status)
                report.stopped = f"connexion au serveur de courrier perdue ({_describe(exc)})"
                break
            else:
                _mark_sent(engine, claim, clock().replace(microsecond=0))
                report.sent += 1
                if on_sent is not None:
                    on_sent(claim.letter)
    finally:
        _close(client)
    return report


def _count(report: DeliveryReport, status: str) -> None:
    if status == "failed":
        report.failed += 1
    else:
        report.retried += 1


def _bare(sender: str) -> str:
    """The address of a ``Name <address>`` sender (the SMTP envelope takes the address alone)."""
    return sender.rsplit("<", 1)[-1].rstrip(">").strip()


def _close(client: smtplib.SMTP | None) -> None:
    if client is None:
        return None
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()
    return None
