"""Errors of the exchange package; only the boundaries (CLI, web) translate them."""

from __future__ import annotations


class ExchangeError(Exception):
    """Base of every error raised by ``exchange``."""


class InvalidTerritory(ExchangeError):
    """A territory document failed validation; nothing was written.

    ``messages`` maps a field path (``households[3].members[0].age``) to its list of messages.
    """

    def __init__(self, messages: dict[str, list[str]]) -> None:
        self.messages = messages
        super().__init__(f"{len(messages)} champ(s) invalide(s)")

    def lines(self) -> list[str]:
        """One ``path: message`` line per problem, sorted by path."""
        return [f"{path}: {msg}" for path in sorted(self.messages) for msg in self.messages[path]]


class NotFound(ExchangeError):
    """A territory, household, dwelling, proposal or move does not exist."""
