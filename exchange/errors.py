"""Errors of the exchange package; only the boundaries (CLI, web) translate them."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from exchange.wording import count


class ExchangeError(Exception):
    """Base of every error raised by ``exchange``."""


class InvalidInput(ExchangeError):
    """Input refused; nothing was written.

    ``messages`` maps a field path (``households[3].members[0].age``, ``max_cost``) to its list of
    French messages. The web answers 422 with them, a form shows them beside its fields, the CLI
    prints one ``path: message`` line each.
    """

    noun = ("champ invalide", "champs invalides")

    def __init__(self, messages: dict[str, list[str]]) -> None:
        self.messages = messages
        super().__init__(count(len(messages), *self.noun))

    def lines(self) -> list[str]:
        """One ``path: message`` line per problem, sorted by path."""
        return [f"{path}: {msg}" for path in sorted(self.messages) for msg in self.messages[path]]


class InvalidTerritory(InvalidInput):
    """A territory document failed validation; nothing was written."""


class InvalidArgument(InvalidInput, ValueError):
    """A service refused its arguments (``ValueError`` by STYLE.md), with the same paths and messages.

    Its text is the ``path: message`` lines, so a caller that only knows ``ValueError`` (the CLI's
    ``click.BadParameter``) still shows what is wrong.
    """

    def __str__(self) -> str:
        return "; ".join(self.lines())


class NotFound(ExchangeError):
    """A territory, household, dwelling, proposal or move does not exist."""


def is_database_busy(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is busy (SQLite's write lock held by another writer).

    SQLite reports it as ``OperationalError('database is locked')`` (or ``busy``) once its busy
    timeout has run out; PostgreSQL waits on its row and advisory locks instead.
    """
    if not isinstance(exc, OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text
