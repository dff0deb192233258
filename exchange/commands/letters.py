"""``exchange letters``: the paper proposal letters (courriers) for the households no e-mail reaches."""

from __future__ import annotations

import os
from pathlib import Path

import click
from sqlalchemy.orm import Session

from exchange import wording
from exchange.errors import ExchangeError, InvalidInput

_OPTIONS = {"landlord": "--landlord", "territory": "--territory", "run": "--run"}


def register(group: click.Group) -> None:
    """Add ``letters`` to the ``exchange`` group."""
    group.add_command(letters)


@click.command("letters")
@click.option(
    "--landlord", "landlord", required=True, metavar="BAILLEUR", help="Code du bailleur expéditeur."
)
@click.option(
    "--territory",
    "territory",
    default=None,
    metavar="TERRITOIRE",
    help="Code du territoire, seulement si le code du bailleur existe dans plusieurs territoires.",
)
@click.option(
    "--run",
    "run_id",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Numéro de l'appariement ; le dernier du territoire par défaut.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Fichier PDF écrit.",
)
def letters(landlord: str, territory: str | None, run_id: int | None, output: Path) -> None:
    """Courriers de proposition à imprimer (PDF, un courrier par ménage) : les locataires du bailleur qui
    ont une proposition de l'appariement en attente de leur réponse et qu'aucun courriel n'atteint."""
    from exchange.db import get_engine
    from exchange.portal.letters import landlord_letters

    portal_url = os.environ.get("EXCHANGE_PORTAL_URL", "").strip() or "http://localhost:5000"
    try:
        with Session(get_engine()) as session, session.begin():
            batch = landlord_letters(
                session, landlord, territory_code=territory, run_id=run_id, portal_url=portal_url
            )
            if batch.content is not None:
                output.write_bytes(batch.content)  # inside the transaction: no audit without the file
    except InvalidInput as exc:
        path, messages = next(iter(exc.messages.items()))
        raise click.BadParameter(messages[0], param_hint=_OPTIONS.get(path, path)) from exc
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.BadParameter(
            f"fichier impossible à écrire : {exc.strerror}", param_hint="--output"
        ) from exc
    if batch.content is None:
        click.echo(
            f"Aucun courrier à imprimer pour le bailleur {batch.landlord} (appariement n° {batch.run_id}) : "
            "chaque ménage en attente de réponse reçoit ses courriels."
        )
        return
    refs = ", ".join(batch.household_refs)
    written = wording.count(batch.count, "courrier écrit", "courriers écrits")
    click.echo(f"{written} dans {output} (appariement n° {batch.run_id}) : {refs}")
