"""Account commands: ``exchange create-user`` and ``exchange demo-accounts CODE``."""

from __future__ import annotations

import click

from exchange import accounts, glossary
from exchange.errors import ExchangeError, InvalidArgument


@click.command("create-user")
@click.argument("login", metavar="IDENTIFIANT")
@click.option(
    "--role",
    type=click.Choice(accounts.ROLES),
    required=True,
    help="tenant (locataire), staff (agent de bailleur, CALEOL) ou admin (territoire).",
)
@click.option("--territory", required=True, help="Code du territoire (ex. CACL).")
@click.option("--household", default=None, help="Référence du ménage (rôle tenant).")
@click.option("--landlord", default=None, help="Code du bailleur (rôle staff).")
@click.option("--name", "display_name", default=None, help="Nom affiché dans le portail.")
@click.option(
    "--email",
    default=None,
    help="Adresse électronique des notifications (par défaut l'identifiant s'il en est une).",
)
@click.password_option("--password", help="Mot de passe (8 caractères au moins) ; demandé s'il est absent.")
def create_user(
    login: str,
    role: str,
    territory: str,
    household: str | None,
    landlord: str | None,
    display_name: str | None,
    email: str | None,
    password: str,
) -> None:
    """Créer un compte du portail."""
    from exchange.db import session_scope

    try:
        with session_scope() as session:
            account = accounts.create_user(
                session,
                login=login,
                password=password,
                role=role,
                territory=territory,
                household=household,
                landlord=landlord,
                display_name=display_name,
                email=email,
            )
    except InvalidArgument as exc:
        raise click.BadParameter(
            "; ".join(m for ms in exc.messages.values() for m in ms), param_hint="--email"
        ) from exc
    except (ExchangeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Compte créé : {account.login} ({glossary.ACCOUNT_ROLES[account.role]}, territoire {territory})."
    )


@click.command("demo-accounts")
@click.argument("code", metavar="CODE")
def demo_accounts(code: str) -> None:
    """Créer (ou remettre à zéro) les comptes de démonstration d'un territoire et les afficher."""
    from exchange.db import session_scope

    try:
        with session_scope() as session:
            rows = accounts.demo_accounts(session, code)
    except (ExchangeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Comptes de démonstration du territoire {code} :")
    width = max(len(r.login) for r in rows)
    for r in rows:
        click.echo(f"  {r.login.ljust(width)}  mot de passe : {r.password}  ({r.description})")


def register(group: click.Group) -> None:
    """Add the account commands to the ``exchange`` group."""
    group.add_command(create_user)
    group.add_command(demo_accounts)
