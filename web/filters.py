"""Jinja filters in French: dates, amounts, numbers, delays."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Flask

from exchange.explain import MONTHS

DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def date_fr(value: date | datetime | None) -> str:
    """``lundi 3 mars 2026``."""
    if value is None:
        return "—"
    day = "1er" if value.day == 1 else str(value.day)
    return f"{DAYS[value.weekday()]} {day} {MONTHS[value.month - 1]} {value.year}"


def datetime_fr(value: datetime | None) -> str:
    """``lundi 3 mars 2026 à 23 h 59``."""
    if value is None:
        return "—"
    return f"{date_fr(value)} à {value.hour} h {value.minute:02d}"


def euros(value: float | None) -> str:
    """``1 234,50 €`` (narrow no-break space for thousands)."""
    if value is None:
        return "—"
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text}\u00a0€"


def num(value: float | None) -> str:
    """``64,5`` (one decimal at most)."""
    if value is None:
        return "—"
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def delay_fr(value: timedelta | None) -> str:
    """``3 jours et 4 heures`` left, or ``dépassé de 2 jours``."""
    if value is None:
        return "—"
    late = value.total_seconds() < 0
    seconds = int(abs(value.total_seconds()))
    days, hours = seconds // 86400, (seconds % 86400) // 3600
    parts = []
    if days:
        parts.append(f"{days} jour{'s' if days > 1 else ''}")
    if hours or not days:
        parts.append(f"{hours} heure{'s' if hours > 1 else ''}")
    text = " et ".join(parts)
    return f"dépassé de {text}" if late else text


def init_app(app: Flask) -> None:
    """Register the filters."""
    from exchange.portal import days_left_label

    for f in (date_fr, datetime_fr, euros, num, delay_fr):
        app.add_template_filter(f)
    app.add_template_filter(days_left_label, "days_left")
