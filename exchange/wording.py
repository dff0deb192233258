"""French wording of counts, numbers, money, dates and delays (Babel, locale ``fr_FR``).

The one home of how the portal and the services write a number or a date: the Jinja filters of
``web/filters.py`` and the sentences the services build (« 1 ménage sur 2 n'a pas encore répondu »)
both come from here. One date style everywhere: « samedi 5 décembre 2026 ».

>>> count(1, "jour restant", "jours restants"), count(10, "jour restant", "jours restants")
('1 jour restant', '10 jours restants')
>>> number(64041), number(2.5), money(2698.27)
('64\\u202f041', '2,5', '2\\u202f698,27\\xa0€')
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberFormatError, format_currency, format_decimal, parse_decimal

__all__ = [
    "LOCALE",
    "count",
    "days_left",
    "delay",
    "fixed",
    "long_date",
    "long_datetime",
    "money",
    "number",
    "parse_number",
    "plural",
]

LOCALE = "fr_FR"
_LOCALE = Locale.parse(LOCALE)


def plural(value: float, one: str, other: str) -> str:
    """The word that goes with ``value`` in French (0 and 1 take the singular).

    >>> plural(0, "an", "ans"), plural(1, "an", "ans"), plural(2, "an", "ans")
    ('an', 'an', 'ans')
    """
    return one if _LOCALE.plural_form(abs(value)) == "one" else other


def count(value: int, one: str, other: str) -> str:
    """``value`` and its word: « 1 an », « 3 ans », « 1 200 ménages »."""
    return f"{number(value)} {plural(value, one, other)}"


def number(value: float | Decimal | None, digits: int = 2) -> str:
    """A number French style, at most ``digits`` decimals, none when whole: « 64 041 », « 9 », « 2,5 ».

    >>> number(9.0), number(505.5), number(None)
    ('9', '505,5', '—')
    """
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=LOCALE))


def fixed(value: float | Decimal, places: int) -> str:
    """Exactly ``places`` decimals, French style: « 505,00 » (a form's amount).

    >>> fixed(505, 2), fixed(1234.5, 2)
    ('505,00', '1\u202f234,50')
    """
    return str(format_decimal(value, format="#,##0." + "0" * places, locale=LOCALE))


def money(value: float | Decimal | None) -> str:
    """An amount in euros: « 1 234,50 € » (narrow no-break space between thousands)."""
    if value is None:
        return "—"
    return str(format_currency(value, "EUR", locale=LOCALE))


def parse_number(text: str) -> Decimal:
    """A number typed French or English style: « 2,5 », « 2.5 », « 1 234,5 »; ``ValueError`` otherwise.

    >>> parse_number("2,5"), parse_number("1 234,5"), parse_number("505.00")
    (Decimal('2.5'), Decimal('1234.5'), Decimal('505.00'))
    """
    cleaned = "".join(text.split()).replace("\u202f", "")
    if cleaned.count(".") == 1 and "," not in cleaned:
        cleaned = cleaned.replace(".", ",")  # a decimal point typed on an English keyboard
    try:
        return Decimal(parse_decimal(cleaned, locale=LOCALE, strict=False))
    except (NumberFormatError, InvalidOperation) as exc:
        raise ValueError(f"nombre illisible : {text!r}") from exc


def long_date(value: date | datetime | None) -> str:
    """« lundi 3 mars 2026 », « dimanche 1er mars 2026 ».

    >>> long_date(date(2026, 3, 1))
    'dimanche 1er mars 2026'
    """
    if value is None:
        return "—"
    day = "1er" if value.day == 1 else str(value.day)
    return str(format_date(value, f"EEEE '{day}' MMMM y", locale=LOCALE))


def long_datetime(value: datetime | None) -> str:
    """« lundi 3 mars 2026 à 23 h 59 »."""
    if value is None:
        return "—"
    return f"{long_date(value)} à {value.hour} h {value.minute:02d}"


def delay(value: timedelta | None) -> str:
    """The time left: « 3 jours et 4 heures », or « dépassé de 2 jours » once past."""
    if value is None:
        return "—"
    late = value.total_seconds() < 0
    seconds = int(abs(value.total_seconds()))
    days, hours = seconds // 86400, (seconds % 86400) // 3600
    parts = []
    if days:
        parts.append(count(days, "jour", "jours"))
    if hours or not days:
        parts.append(count(hours, "heure", "heures"))
    text = " et ".join(parts)
    return f"dépassé de {text}" if late else text


def days_left(days: int) -> str:
    """« dernier jour », « encore 1 jour », « encore 3 jours »: the time left to answer."""
    if days == 0:
        return "dernier jour"
    return "encore " + count(days, "jour", "jours")
