"""The bilan commands: ``exchange bilan`` (the document) and ``exchange yearly`` (its settings)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.orm import Session

from exchange.cache import territory_cache
from exchange.errors import ExchangeError, InvalidInput


def register(group: click.Group) -> None:
    """Add ``bilan`` and ``yearly`` to the ``exchange`` group."""
    group.add_command(bilan)
    group.add_command(yearly)


def _engine_session() -> Session:
    from exchange.db import get_engine

    return Session(get_engine())


def _refused(exc: ExchangeError) -> click.ClickException:
    if isinstance(exc, InvalidInput):
        return click.ClickException("\n".join(exc.lines()))
    return click.ClickException(str(exc))


@click.command("bilan")
@click.argument("territory", metavar="TERRITOIRE")
@click.option("--year", type=int, default=None, help="Année du bilan ; toutes les années par défaut.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "xlsx", "csv"]),
    default=None,
    help="Format du document ; déduit de l'extension du fichier, PDF par défaut.",
)
@click.option("--landlord", default=None, help="Le bilan d'un seul bailleur (petits effectifs masqués).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def bilan(territory: str, year: int | None, fmt: str | None, landlord: str | None, output: Path) -> None:
    """Bilan annuel de la bourse pour la conférence intercommunale du logement (PDF, Excel ou CSV)."""
    from exchange import bilan as bilan_module

    kind = fmt or (output.suffix.lstrip(".").lower() if output.suffix else "pdf")
    if kind not in bilan_module.BILAN_FORMATS:
        raise click.BadParameter(f"format inconnu : {kind} (pdf, xlsx ou csv)", param_hint="--format")
    try:
        with _engine_session() as session:
            if landlord is None:
                data = bilan_module.territory_figures(session, territory, year=year)
            else:
                data = bilan_module.landlord_figures(session, territory, landlord, year=year)
    except ExchangeError as exc:
        raise _refused(exc) from exc
    output.write_bytes(bilan_module.bilan_bytes(data, kind))
    click.echo(f"Bilan écrit dans {output} ({kind.upper()})")


@click.command("yearly")
@click.argument("territory", metavar="TERRITOIRE")
@click.option("--year", type=int, required=True, help="Année des réglages.")
@click.option(
    "--first-quartile",
    type=float,
    default=None,
    help="Seuil du premier quartile de l'année (€ de ressources annuelles par unité de consommation).",
)
@click.option(
    "--attributions",
    "attributions",
    multiple=True,
    metavar="BAILLEUR=N",
    help="Nombre total d'attributions de l'année d'un bailleur (répétable).",
)
def yearly(territory: str, year: int, first_quartile: float | None, attributions: tuple[str, ...]) -> None:
    """Réglages annuels du bilan : seuil du premier quartile et attributions de chaque bailleur."""
    from exchange import settings
    from exchange.wording import plural

    totals: dict[str, int] = {}
    for item in attributions:
        code, _, number = item.partition("=")
        if not code or not number.strip().isdigit():
            raise click.BadParameter(f"attendu BAILLEUR=N, reçu {item!r}", param_hint="--attributions")
        totals[code] = int(number)
    try:
        with _engine_session() as session, session.begin():
            result = settings.set_year_settings(
                session, territory, year, first_quartile_eur=first_quartile, attributions=totals
            )
    except ExchangeError as exc:
        raise _refused(exc) from exc
    territory_cache.invalidate(territory)
    threshold = "non fixé" if result.first_quartile_eur is None else f"{result.first_quartile_eur:g} €"
    click.echo(f"{territory} {year} : seuil du premier quartile {threshold}")
    for code, n in result.attributions.items():
        count = "non saisi" if n is None else f"{n} {plural(n, 'attribution', 'attributions')}"
        click.echo(f"  {code} : {count}")
