"""Deadlines of the proposal workflow (délais): answer deadline, committee delay, working days.

R.441-10 CCH gives a household at least ten days to answer an offer. The delay runs from the day
after notification to midnight on its last day, and a last day falling on a Saturday, a Sunday or a
public holiday moves to the next working day (Code de procédure civile art. 641-642). Public holidays
are those of metropolitan France (Code du travail L.3133-1); overseas territories add their own
days, which a territory passes as ``extra_holidays``.
"""

from __future__ import annotations

import calendar
from collections.abc import Collection
from datetime import date, timedelta
from functools import lru_cache

__all__ = [
    "MIN_ANSWER_DAYS",
    "add_months",
    "answer_deadline",
    "decision_deadline",
    "easter_sunday",
    "is_working_day",
    "next_working_day",
    "public_holidays",
]

MIN_ANSWER_DAYS = 10
"""The legal minimum delay to answer an offer (R.441-10 CCH), in days."""


def easter_sunday(year: int) -> date:
    """Easter Sunday of ``year`` (Gregorian computus, Meeus/Jones/Butcher).

    >>> easter_sunday(2026), easter_sunday(2027)
    (datetime.date(2026, 4, 5), datetime.date(2027, 3, 28))
    """
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """The eleven public holidays (jours fériés) of metropolitan France in ``year``.

    >>> sorted(d.isoformat() for d in public_holidays(2026))[:4]
    ['2026-01-01', '2026-04-06', '2026-05-01', '2026-05-08']
    """
    easter = easter_sunday(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    movable = [easter + timedelta(days=1), easter + timedelta(days=39), easter + timedelta(days=50)]
    return frozenset([date(year, m, d) for m, d in fixed] + movable)


def is_working_day(day: date, extra_holidays: Collection[date] = ()) -> bool:
    """True unless ``day`` is a Saturday, a Sunday or a public holiday."""
    return day.weekday() < 5 and day not in public_holidays(day.year) and day not in extra_holidays


def next_working_day(day: date, extra_holidays: Collection[date] = ()) -> date:
    """``day`` itself if it is a working day, else the next working day.

    >>> next_working_day(date(2026, 12, 25))  # Friday, Christmas -> Monday 28
    datetime.date(2026, 12, 28)
    """
    while not is_working_day(day, extra_holidays):
        day += timedelta(days=1)
    return day


def answer_deadline(
    notified_on: date, days: int = MIN_ANSWER_DAYS, extra_holidays: Collection[date] = ()
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
    return next_working_day(notified_on + timedelta(days=days), extra_holidays)


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, or the last day of that month when it is shorter.

    >>> add_months(date(2026, 1, 31), 1), add_months(date(2026, 11, 30), 3)
    (datetime.date(2026, 2, 28), datetime.date(2027, 2, 28))
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def decision_deadline(
    last_acceptance: date, days: int | None = None, extra_holidays: Collection[date] = ()
) -> date:
    """Day by which the destination landlord's CALEOL should decide: one month, or ``days`` when set.

    >>> decision_deadline(date(2026, 12, 3)), decision_deadline(date(2026, 12, 3), days=42)
    (datetime.date(2027, 1, 4), datetime.date(2027, 1, 14))
    """
    if days is not None and days < 1:
        raise ValueError(f"days: must be >= 1, got {days!r}")
    due = add_months(last_acceptance, 1) if days is None else last_acceptance + timedelta(days=days)
    return next_working_day(due, extra_holidays)
