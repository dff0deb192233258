"""One outbox row as an e-mail: French plain-text and HTML parts from Jinja templates, stable headers.

The templates live in ``exchange/templates/mail/`` (``<kind>.txt`` and ``<kind>.html``, each extending
its ``_layout``); their words about codes come from :mod:`exchange.glossary`. Links point to the portal
at ``portal_url``; every message carries the signed link of its account's preferences page, and the
optional kinds a ``List-Unsubscribe`` header too (RFC 2369, one-click per RFC 8058).
"""

from __future__ import annotations

import email.policy
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from exchange import glossary, wording
from exchange.notifications import LEGAL_KINDS, preferences_token

_POLICY = email.policy.SMTP.clone(max_line_length=998)  # long link headers stay ASCII, unfolded

__all__ = ["Letter", "compose", "message_id", "portal_links", "render"]


@dataclass(frozen=True, slots=True)
class Letter:
    """What :func:`compose` needs of an outbox row (a plain copy, read in the claim's transaction)."""

    id: int
    account_id: int
    kind: str
    recipient: str
    context: dict[str, Any]
    created_at: datetime


def _date_fr(value: Any) -> str:
    """« jeudi 15 janvier 2026 » from an ISO date (as stored in a row's context) or a date."""
    if value is None:
        return "date à fixer"
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return wording.long_date(day)


def _days_left(value: int) -> str:
    return {0: "dernier jour", 1: "il reste 1 jour"}.get(int(value), f"il reste {int(value)} jours")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("exchange", "templates/mail"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["date_fr"] = _date_fr
    env.filters["days_left"] = _days_left
    return env


_LABELS = {
    "kinds": glossary.PROPOSAL_KINDS,
    "failures": glossary.FAILURES,
    "decisions": glossary.DECISION_KINDS,
    "pauses": glossary.PAUSE_REASONS,
}


def portal_links(portal_url: str, kind: str, context: dict[str, Any], token: str) -> dict[str, str]:
    """The portal page a message points to, and its account's preferences page.

    >>> portal_links("https://bourse.example.org/", "proposal", {"proposal_id": 4}, "7-ab")["target"]
    'https://bourse.example.org/locataire/propositions/4'
    """
    base = portal_url.rstrip("/")
    if kind == "digest":
        target = f"{base}/caleol/"
    elif kind == "paused":
        target = f"{base}/locataire/"
    else:
        target = f"{base}/locataire/propositions/{int(context['proposal_id'])}"
    return {"target": target, "preferences": f"{base}/courriels/{token}", "portal": f"{base}/"}


def render(letter: Letter, *, portal_url: str, secret: str) -> tuple[str, str, str]:
    """The subject, the plain text and the HTML of ``letter``."""
    subject = glossary.MAIL_SUBJECTS[letter.kind].format(**letter.context)
    token = preferences_token(letter.account_id, secret)
    values = {
        **letter.context,
        "subject": subject,
        "legal": letter.kind in LEGAL_KINDS,
        "labels": _LABELS,
        "links": portal_links(portal_url, letter.kind, letter.context, token),
    }
    text = _environment().get_template(f"{letter.kind}.txt").render(values)
    html = _environment().get_template(f"{letter.kind}.html").render(values)
    return subject, text, html


def message_id(letter_id: int, created_at: datetime, sender: str) -> str:
    """The Message-ID of an outbox row: the same at every attempt, so a receiver can drop a repeat.

    >>> message_id(12, datetime(2026, 1, 5, 8, 0), "Bourse <bourse@example.org>")
    '<outbox.12.20260105080000@example.org>'
    """
    domain = sender.rsplit("@", 1)[-1].strip(" >") or "localhost"
    return f"<outbox.{letter_id}.{created_at:%Y%m%d%H%M%S}@{domain}>"


def compose(letter: Letter, *, sender: str, portal_url: str, secret: str, now: datetime) -> EmailMessage:
    """The whole message of ``letter``, from ``sender``, with its stable Message-ID."""
    subject, text, html = render(letter, portal_url=portal_url, secret=secret)
    message = EmailMessage(policy=_POLICY)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = letter.recipient
    message["Date"] = format_datetime(now.astimezone())
    message["Message-ID"] = message_id(letter.id, letter.created_at, sender)
    message["Auto-Submitted"] = "auto-generated"
    if letter.kind not in LEGAL_KINDS:
        preferences = portal_links(portal_url, letter.kind, letter.context, "")["preferences"]
        token = preferences_token(letter.account_id, secret)
        message["List-Unsubscribe"] = f"<{preferences}{token}/desabonnement?type={letter.kind}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = "fr"  # after the parts: set_content drops the Content-* headers
    return message
