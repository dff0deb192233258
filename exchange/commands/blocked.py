"""``exchange blocked`` and ``exchange commission``: blocked requests, their diagnosis, a proposal by hand."""

from __future__ import annotations

from datetime import date, datetime

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import glossary, wording
from exchange.blocked import BlockedRequest
from exchange.errors import ExchangeError, InvalidInput

__all__ = ["register"]


def _diagnosis_lines(item: BlockedRequest) -> list[str]:
    """A blocked request in a few French lines (the command line and the minutes share them)."""
    d = item.diagnosis
    lines = [
        f"{item.household} ({item.landlord}) — demande du {wording.long_date(item.filed_on)}, "
        f"{wording.count(item.waited_days, 'jour', 'jours')}, "
        f"{wording.count(item.runs_without_proposal, 'appariement', 'appariements')} sans proposition",
        f"  motif : {glossary.BLOCKED_MOTIVES[d.motive]}",
        f"  logements qui conviennent : {d.fitting} ; demandeurs qui pourraient prendre le sien : {d.takers}"
        f" ; échanges et chaînes possibles : {d.structures}",
    ]
    if d.shortest_cycle or d.shortest_chain:
        lines.append(
            f"  plus court échange : {d.shortest_cycle or '—'} ménages ; plus courte chaîne : "
            f"{d.shortest_chain or '—'} déménagements"
        )
    if d.ruled_out:
        lines.append("  écartés : " + " ; ".join(f"{glossary.RULES[r]} ({n})" for r, n in d.ruled_out))
    for w in d.widenings:
        lines.append(
            f"  en élargissant : {glossary.WISHES[w.wish]} → "
            f"+{wording.count(w.dwellings, 'logement', 'logements')}, "
            f"+{wording.count(w.structures, 'échange ou chaîne', 'échanges ou chaînes')}"
        )
    return lines


@click.command("blocked")
@click.argument("territory", metavar="TERRITOIRE")
@click.option("--landlord", default=None, metavar="BAILLEUR", help="Seulement les locataires de ce bailleur.")
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Date de référence (AAAA-MM-JJ) ; aujourd'hui par défaut.",
)
def blocked(territory: str, landlord: str | None, as_of: datetime | None) -> None:
    """Demandes bloquées d'un territoire, avec le diagnostic de chacune et le décompte par motif."""
    from exchange import records
    from exchange.blocked import blocked_requests
    from exchange.db import get_engine
    from exchange.models import Landlord

    day: date | None = as_of.date() if as_of else None
    try:
        with Session(get_engine()) as session:
            landlord_id = None
            if landlord is not None:
                landlord_id = session.scalar(
                    select(Landlord.id).where(
                        Landlord.territory_id == records.territory(session, territory).id,
                        Landlord.code == landlord,
                    )
                )
                if landlord_id is None:
                    raise click.BadParameter(f"bailleur inconnu dans {territory} : {landlord}")
            report = blocked_requests(session, territory, as_of=day, landlord_id=landlord_id)
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Demandes bloquées du territoire {territory} au {wording.long_date(report.as_of)} "
        f"(après {report.after_runs} appariements sans proposition ou {report.after_days} jours d'attente) :"
        f" {len(report.requests)}"
    )
    for motive, count in report.by_motive:
        click.echo(f"  {glossary.BLOCKED_MOTIVES[motive]} : {count}")
    for item in report.requests:
        click.echo("")
        for line in _diagnosis_lines(item):
            click.echo(line)


@click.command("commission")
@click.argument("territory", metavar="TERRITOIRE")
@click.argument("moves", metavar="DÉMÉNAGEMENTS")
@click.option("--reason", required=True, help="La décision motivée de la commission inter-bailleurs.")
def commission(territory: str, moves: str, reason: str) -> None:
    """Proposer à la main un échange ou une chaîne (« H1 D2, H2 D1 ») pour des demandes bloquées."""
    from exchange import commission as service
    from exchange import workflow
    from exchange.cache import territory_cache
    from exchange.db import get_engine

    try:
        with workflow.write_transaction(get_engine()) as session:
            proposal = service.propose(session, territory, service.parse_moves(moves), reason=reason)
            number, kind = proposal.id, proposal.kind
    except InvalidInput as exc:
        raise click.ClickException(
            "proposition refusée :\n" + "\n".join(f"  {m}" for ms in exc.messages.values() for m in ms)
        ) from exc
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    territory_cache.invalidate()
    click.echo(f"Proposition n° {number} ({glossary.PROPOSAL_KINDS[kind]}) de la commission enregistrée.")


def register(group: click.Group) -> None:
    """Add ``blocked`` and ``commission`` to the ``exchange`` group."""
    group.add_command(blocked)
    group.add_command(commission)
