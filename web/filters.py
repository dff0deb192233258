"""Jinja filters in French: dates, amounts, numbers, delays and plurals (all from exchange.wording)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from exchange import glossary, wording


def init_app(app: Flask) -> None:
    """Register the filters: ``date_fr``, ``datetime_fr``, ``euros``, ``num``, ``delay_fr``, ``days_left``,
    ``plural`` (the word alone), ``count`` (the number and its word) and ``heading`` (capitalised)."""
    filters: dict[str, Callable[..., str]] = {
        "date_fr": wording.long_date,
        "datetime_fr": wording.long_datetime,
        "euros": wording.money,
        "num": wording.number,
        "delay_fr": wording.delay,
        "days_left": wording.days_left,
        "plural": wording.plural,
        "count": wording.count,
        "heading": glossary.heading,
    }
    for name, function in filters.items():
        app.add_template_filter(function, name)
