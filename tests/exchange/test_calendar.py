"""Each territory's calendar of public holidays, used by every deadline (answer, committee, move date)."""

from __future__ import annotations

from datetime import date

import pytest

from exchange.deadlines import (
    CALENDARS,
    answer_deadline,
    decision_deadline,
    next_working_day,
    public_holidays,
)

METROPOLITAN_2026 = {
    date(2026, 1, 1),
    date(2026, 4, 6),
    date(2026, 5, 1),
    date(2026, 5, 8),
    date(2026, 5, 14),
    date(2026, 5, 25),
    date(2026, 7, 14),
    date(2026, 8, 15),
    date(2026, 11, 1),
    date(2026, 11, 11),
    date(2026, 12, 25),
}


def test_metropolitan_holidays_are_the_eleven_of_the_labour_code() -> None:
    assert public_holidays(2026) == METROPOLITAN_2026
    assert date(2027, 3, 29) in public_holidays(2027)  # Easter Monday 2027


def test_in_french_guiana_an_answer_deadline_on_10_june_moves_to_the_next_working_day() -> None:
    notified = date(2026, 5, 31)  # + 10 days = Wednesday 10 June 2026
    assert answer_deadline(notified) == date(2026, 6, 10)
    assert answer_deadline(notified, calendar="973") == date(2026, 6, 11)
    assert decision_deadline(date(2026, 5, 10), calendar="973") == date(2026, 6, 11)


@pytest.mark.parametrize(
    ("calendar", "day"),
    [
        ("971", date(2026, 5, 27)),  # Guadeloupe: abolition of slavery
        ("972", date(2026, 5, 22)),  # Martinique
        ("974", date(2027, 12, 20)),  # La Réunion (a Monday in 2027)
        ("976", date(2026, 4, 27)),  # Mayotte
        ("57", date(2026, 4, 3)),  # Alsace-Moselle: Good Friday
    ],
)
def test_each_overseas_department_has_its_own_days(calendar: str, day: date) -> None:
    assert day in public_holidays(day.year, calendar)
    assert day not in public_holidays(day.year)
    assert next_working_day(day) == day
    assert next_working_day(day, calendar=calendar) > day


def test_an_unknown_calendar_is_refused() -> None:
    assert "973" in CALENDARS
    with pytest.raises(ValueError, match="calendar"):
        public_holidays(2026, "999")
