"""Mail commands: ``exchange send-mail``, ``exchange notify-due`` and ``exchange mail-status CODE``.

``send-mail`` runs from cron every few minutes, ``notify-due`` once a day (docs/SCHEDULING.md); the
SMTP settings come from the ``EXCHANGE_SMTP_*`` variables (docs/DEPLOYMENT.md).
"""

from __future__ import annotations

from datetime import date, datetime

import click

from exchange import glossary, wording
from exchange.errors import ExchangeError

__all__ = ["register"]


@click.command("send-mail")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Envoyer au plus N courriels (tous ceux qui sont dus par défaut).",
)
def send_mail(limit: int | None) -> None:
    """Envoyer les courriels en attente (file d'envoi) par le serveur SMTP configuré."""
    from exchange import mailer
    from exchange.db import get_engine

    try:
        config = mailer.mail_config()
        report = mailer.deliver(get_engine(), config, limit=limit)
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Courriels envoyés : {report.sent} ; à réessayer plus tard : {report.retried} ;"
        f" en échec définitif : {report.failed} ; annulés : {report.cancelled}."
    )
    if report.stopped:
        raise click.ClickException(
            f"envoi interrompu : {report.stopped} ; la suite partira au prochain passage"
        )


@click.command("notify-due")
@click.argument("territory", metavar="TERRITOIRE", required=False)
@click.option(
    "--as-of",
    "when",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date de référence (AAAA-MM-JJ) ; aujourd'hui par défaut.",
)
def notify_due(territory: str | None, when: datetime | None) -> None:
    """Préparer les rappels avant échéance et les récapitulatifs quotidiens des CALEOL (une fois par jour)."""
    from exchange import notifications, records, workflow
    from exchange.db import get_engine

    today = when.date() if when else date.today()
    try:
        with workflow.write_transaction(get_engine()) as session:
            territory_id = None if territory is None else records.territory(session, territory).id
            counts = notifications.queue_due(session, today, territory_id=territory_id)
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Au {wording.long_date(today)} : {wording.count(counts.reminders, 'rappel', 'rappels')} et "
        f"{wording.count(counts.digests, 'récapitulatif', 'récapitulatifs')}"
        " mis en file d'envoi."
    )


@click.command("mail-status")
@click.argument("territory", metavar="TERRITOIRE")
def mail_status(territory: str) -> None:
    """Afficher l'état de la file d'envoi des courriels d'un territoire et les échecs définitifs."""
    from sqlalchemy.orm import Session

    from exchange import outbox
    from exchange.db import get_engine

    try:
        with Session(get_engine()) as session:
            status = outbox.outbox_status(session, territory)
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Courriels du territoire {territory} :")
    for code, count in status.counts.items():
        click.echo(f"  {glossary.MAIL_STATUSES[code]} : {count}")
    if status.oldest_pending is not None:
        click.echo(f"  plus ancien courriel en attente : {wording.long_datetime(status.oldest_pending)}")
    if not status.failed:
        click.echo("Aucun échec définitif.")
        return
    click.echo(f"Échecs définitifs ({len(status.failed)}) :")
    for m in status.failed:
        attempts = wording.count(m.attempts, "tentative", "tentatives")
        click.echo(
            f"  n° {m.id} du {wording.long_datetime(m.created_at)}, {glossary.MAIL_KINDS[m.kind]},"
            f" à {m.recipient} (compte {m.login or 'supprimé'}), {attempts} : {m.last_error}"
        )


def register(group: click.Group) -> None:
    """Add the mail commands to the ``exchange`` group."""
    for command in (send_mail, notify_due, mail_status):
        group.add_command(command)
