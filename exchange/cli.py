"""The ``exchange`` command line (one click group; commands live in ``exchange.commands``)."""

from __future__ import annotations

import click

from exchange import cli_messages

cli_messages.install()  # before any command is declared: click translates some texts at declaration


@click.group(
    help="Bourse d'échange inter-bailleurs de logements sociaux.",
    subcommand_metavar="COMMANDE [ARGUMENTS]...",
)
@click.version_option(package_name="bourse-echange")
def cli() -> None:
    """Root group of the ``exchange`` command."""


def _register() -> None:
    # Each area registers its own commands here (one line per module).
    from exchange.commands import matching as matching_commands  # match, solve-graph

    matching_commands.register(cli)
    from exchange.commands import generate as generate_commands  # generate

    generate_commands.register(cli)
    from exchange.commands import explain as explain_commands  # explain

    explain_commands.register(cli)
    from exchange.commands import workflow as workflow_commands  # run, stats, answer, decide, ...

    workflow_commands.register(cli)
    from exchange.commands import accounts as account_commands  # create-user, demo-accounts

    account_commands.register(cli)
    from exchange.commands import territory as territory_commands  # init-db, import, export

    territory_commands.register(cli)
    from exchange.commands import blocked as blocked_commands  # blocked, commission

    blocked_commands.register(cli)

    from exchange.commands import mail as mail_commands  # send-mail, notify-due, mail-status

    mail_commands.register(cli)

    from exchange.commands import bilan as bilan_commands  # bilan, yearly

    bilan_commands.register(cli)
    from exchange.commands import csv_import as csv_import_commands  # import-csv

    csv_import_commands.register(cli)
    from exchange.commands import letters as letter_commands  # letters

    letter_commands.register(cli)


_register()


def main() -> None:
    """Entry point of the ``exchange`` script."""
    cli()
