"""``exchange explain``: why a household has these candidate dwellings (criteria, figures, points)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from exchange.errors import ExchangeError
from matching.config import PolicyConfig
from matching.territory import Territory


def _from_document(path: Path) -> tuple[Territory, PolicyConfig]:
    """A territory interchange document (FORMAT.md) read directly, without the database."""
    from exchange.loading import read_document

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{path} : lecture impossible ({exc})") from exc
    return read_document(doc)


def _from_database(code: str | None, household_ref: str) -> tuple[Territory, PolicyConfig, dict[str, float]]:
    """The territory ``code`` (the only one when None), its policy and the household's moves' chances."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from exchange.db import get_engine
    from exchange.loading import load_territory
    from exchange.models import Territory as TerritoryRow
    from exchange.settings import policy_config

    with Session(get_engine()) as session:
        if code is None:
            codes = session.scalars(select(TerritoryRow.code)).all()
            if len(codes) != 1:
                raise click.UsageError("précisez le territoire avec --territory CODE")
            code = codes[0]
        territory: Territory = load_territory(session, code)
        config = policy_config(session, code)
        return territory, config, _chances(territory, config, household_ref, session)


def _chances(
    territory: Territory, config: PolicyConfig, household_ref: str, session: Any = None
) -> dict[str, float]:
    """The estimated chance of each candidate move of the household (the prior without a database)."""
    from exchange.acceptance import fit_model
    from exchange.chances import features_of, move_chances
    from exchange.records import territory as territory_row
    from matching.policy import household_moves

    if not any(h.ref == household_ref for h in territory.households):
        return {}
    pairs = [(household_ref, d.ref) for d, _ in household_moves(territory, household_ref, config)]
    if session is None:
        found = fit_model([]).chances(features_of(territory, config, {}, pairs))
    else:
        found = move_chances(session, territory_row(session, territory.code).id, territory, config, pairs)
    return {dwelling: chance for (_, dwelling), chance in found.items()}


@click.command("explain")
@click.argument("household_ref", metavar="MÉNAGE")
@click.option(
    "--territory", "code", default=None, help="Code du territoire (par défaut : le seul de la base)."
)
@click.option(
    "--document",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Lire un document territoire JSON (FORMAT.md) au lieu de la base.",
)
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date du calcul (AAAA-MM-JJ) ; par défaut celle du territoire.",
)
@click.option(
    "--limit", type=click.IntRange(min=0), default=10, show_default=True, help="Logements candidats affichés."
)
def explain(
    household_ref: str, code: str | None, document: Path | None, as_of: datetime | None, limit: int
) -> None:
    """Expliquer les critères actifs d'un ménage et ses logements candidats, avec leurs points."""
    from exchange.explain import explain_household, format_explanation

    try:
        if document is not None:
            territory, config = _from_document(document)
            chances = _chances(territory, config, household_ref)
        else:
            territory, config, chances = _from_database(code, household_ref)
    except ExchangeError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_of is not None:
        day: date = as_of.date()
        territory = replace(territory, as_of=day)
    try:
        explanation = explain_household(territory, household_ref, config, chances)
    except KeyError:
        raise click.ClickException(
            f"ménage inconnu dans le territoire {territory.code} : {household_ref}"
        ) from None
    click.echo(format_explanation(explanation, limit=limit))


def register(group: click.Group) -> None:
    """Add ``explain`` to the ``exchange`` group."""
    group.add_command(explain)
