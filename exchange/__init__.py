"""Domain, persistence, policy, services and command line of the bourse d'échange."""

from __future__ import annotations

from exchange.errors import ExchangeError, InvalidTerritory, NotFound

__all__ = ["ExchangeError", "InvalidTerritory", "NotFound"]
