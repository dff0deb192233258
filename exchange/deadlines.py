"""Deadlines of the proposal workflow (délais): answer deadline, committee delay, working days.

R.441-10 CCH gives a household at least ten days to answer an offer. The delay runs from the day
after notification to midnight on its last day, and a last day falling on a Saturday, a Sunday or a
public holiday moves to the next working day (Code de procédure civile art. 641-642). Public holidays
are those of the territory's calendar (:data:`CALENDARS`, set in :mod:`exchange.settings`): metropolitan
France (Code du travail L.3133-1) or a département with days of its own (the abolition of slavery
overseas, Good Friday and St Stephen's Day in Alsace-Moselle), as the ``holidays`` library knows them.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Collection
from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = [
    "CALENDARS",
    "METROPOLITAN",
    "MIN_ANSWER_DAYS",
    "add_months",
    "answer_deadline",
    "decision_deadline",
    "holiday_names",
    "is_working_day",
    "next_working_day",
    "public_holidays",
]

MIN_ANSWER_DAYS = 10
"""The legal minimum delay to answer an offer (R.441-10 CCH), in days."""

METROPOLITAN = "metropole"
CALENDARS = (METROPOLITAN, "57", "971", "972", "973", "974", "976")
"""Territory calendars: metropolitan France, Alsace-Moselle (57, also for 67 and 68), Guadeloupe, Martinique,
Guyane, La Réunion, Mayotte (the départements' codes, as the ``holidays`` library names them)."""


def _subdivision(calendar: str) -> str | None:
    if calendar not in CALENDARS:
        raise ValueError(f"calendar: one of {', '.join(CALENDARS)}, got {calendar!r}")
    return None if calendar == METROPOLITAN else calendar


@lru_cache(maxsize=256)
def holiday_names(year: int, calendar: str = METROPOLITAN) -> tuple[tuple[date, str], ...]:
    """The public holidays of ``calendar`` in ``year`` with their French names, in date order.

    >>> [(d.isoformat(), name) for d, name in holiday_names(2026, "973") if d.month == 6]
    [('2026-06-10', "Abolition de l'esclavage")]
    """
    days = holidays.country_holidays("FR", subdiv=_subdivision(calendar), years=year, language="fr")
    return tuple(sorted(days.items()))


def public_holidays(year: int, calendar: str = METROPOLITAN) -> frozenset[date]:
    """The public holidays (jours fériés) of ``calendar`` in ``year`` (metropolitan France by default).

    >>> sorted(d.isoformat() for d in public_holidays(2026))[:4]
    ['2026-01-01', '2026-04-06', '2026-05-01', '2026-05-08']
    >>> len(public_holidays(2026)), date(2026, 6, 10) in public_holidays(2026, "973")
    (11, True)
    """
    return frozenset(day for day, _ in holiday_names(year, calendar))


def is_working_day(day: date, extra_holidays: Collection[date] = (), *, calendar: str = METROPOLITAN) -> bool:
    """True unless ``day`` is a Saturday, a Sunday or a public holiday of ``calendar``."""
    return day.weekday() < 5 and day not in public_holidays(day.year, calendar) and day not in extra_holidays


def next_working_day(
    day: date, extra_holidays: Collection[date] = (), *, calendar: str = METROPOLITAN
) -> date:
    """``day`` itself if it is a working day, else the next working day of ``calendar``.

    >>> next_working_day(date(2026, 12, 25))  # Friday, Christmas -> Monday 28
    datetime.date(2026, 12, 28)
    >>> next_working_day(date(2026, 6, 10)), next_working_day(date(2026, 6, 10), calendar="973")
    (datetime.date(2026, 6, 10), datetime.date(2026, 6, 11))
    """
    while not is_working_day(day, extra_holidays, calendar=calendar):
        day += timedelta(days=1)
    return day


def answer_deadline(
    notified_on: date,
    days: int = MIN_ANSWER_DAYS,
    extra_holidays: Collection[date] = (),
    *,
    calendar: str = METROPOLITAN,
) -> date:
    """Last day (until midnight) to answer a proposal notified on ``notified_on``.

    Counted from the day after notification; a last day off moves to the next working day.
    Raises ``ValueError`` when ``days`` is below the legal minimum of ten.

    >>> answer_deadline(date(2026, 11, 23))  # Monday + 10 days = Thursday 3 December
    datetime.date(2026, 12, 3)
    >>> answer_deadline(date(2026, 11, 25))  # + 10 = Saturday 5 December -> Monday 7
    datetime.date(2026, 12, 7)
    """
    if days < MIN_ANSWER_DAYS:
        raise ValueError(f"days: at least {MIN_ANSWER_DAYS} (R.441-10 CCH), got {days!r}")
    return next_working_day(notified_on + timedelta(days=days), extra_holidays, calendar=calendar)


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, or the last day of that month when it is shorter.

    >>> add_months(date(2026, 1, 31), 1), add_months(date(2026, 11, 30), 3)
    (datetime.date(2026, 2, 28), datetime.date(2027, 2, 28))
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def decision_deadline(
    last_acceptance: date,
    days: int | None = None,
    extra_holidays: Collection[date] = (),
    *,
    calendar: str = METROPOLITAN,
) -> date:
    """Day by which the destination landlord's CALEOL should decide: one month, or ``days`` when set.

    >>> decision_deadline(date(2026, 12, 3)), decision_deadline(date(2026, 12, 3), days=42)
    (datetime.date(2027, 1, 4), datetime.date(2027, 1, 14))
    """
    if days is not None and days < 1:
        raise ValueError(f"days: must be >= 1, got {days!r}")
    due = add_months(last_acceptance, 1) if days is None else last_acceptance + timedelta(days=days)
    return next_working_day(due, extra_holidays, calendar=calendar)
