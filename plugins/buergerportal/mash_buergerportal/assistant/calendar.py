"""German calendar arithmetic for the assistant's dates.

* Periods counted from an event (the birth is the event; its day is not counted, § 187 Abs. 1
  BGB) end on the day of the last week or month that has the event day's weekday or number;
  a month without that number ends the period on its last day (§ 188 Abs. 2 Alt. 1, Abs. 3 BGB).
* Lebensmonate and Lebensjahre count the day of birth (§ 187 Abs. 2 BGB): the n-th Lebensmonat
  ends on the day before the day of the n-th following month that has the birth day's number;
  a month without that number ends it on its last day (§ 188 Abs. 2 Alt. 2, Abs. 3 BGB).
  Born 10.03.: LM 1 = 10.03.–09.04. Born 31.01.: LM 1 = 31.01.–28.02. (29.02. in leap years),
  LM 2 = 01.03.–30.03., LM 3 = 31.03.–30.04.
* A filing deadline ending on a Saturday, Sunday or public holiday ends on the next working day
  (§ 26 Abs. 3 SGB X, § 193 BGB). The holidays are those of Baden-Württemberg, computed here
  from their definitions in :mod:`.rules` (Easter by the Gregorian computus).

Everything here is pure: no clock, no request, no database.
"""

from __future__ import annotations

import calendar as _calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Iterable, Optional

SATURDAY, SUNDAY = 5, 6


def days_in_month(year: int, month: int) -> int:
    return _calendar.monthrange(year, month)[1]


def _month_shift(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def add_days(start: date, days: int) -> date:
    return start + timedelta(days=days)


def add_weeks(start: date, weeks: int) -> date:
    """The day of the ``weeks``-th week (back, if negative) with ``start``'s weekday (§ 188 Abs. 2 BGB)."""
    return start + timedelta(weeks=weeks)


def add_months(start: date, months: int) -> date:
    """The day of the ``months``-th month (back, if negative) with ``start``'s day number, or
    that month's last day if it is shorter (§ 188 Abs. 2 Alt. 1 and Abs. 3 BGB).

    31.01. + 1 month = 28.02. (29.02. in leap years); 10.03. + 1 month = 10.04.
    """
    year, month = _month_shift(start.year, start.month, months)
    return date(year, month, min(start.day, days_in_month(year, month)))


def end_of_lebensmonat(birth: date, n: int) -> date:
    """The last day of the child's ``n``-th Lebensmonat (n ≥ 1)."""
    if n < 1:
        raise ValueError("Lebensmonate are counted from 1")
    year, month = _month_shift(birth.year, birth.month, n)
    if birth.day > days_in_month(year, month):
        return date(year, month, days_in_month(year, month))
    return date(year, month, birth.day) - timedelta(days=1)


def start_of_lebensmonat(birth: date, n: int) -> date:
    """The first day of the ``n``-th Lebensmonat (LM 1 starts on the day of birth)."""
    return birth if n == 1 else end_of_lebensmonat(birth, n - 1) + timedelta(days=1)


def after_lebensmonate(birth: date, n: int) -> date:
    """The first day after the child has completed ``n`` Lebensmonate: with n = 12 the first
    birthday (born 29.02.2024: 01.03.2025, because the first Lebensjahr ends on 28.02.2025)."""
    return end_of_lebensmonat(birth, n) + timedelta(days=1)


def end_of_calendar_month(start: date, months: int) -> date:
    """The last day of the calendar month ``months`` after ``start``'s month."""
    year, month = _month_shift(start.year, start.month, months)
    return date(year, month, days_in_month(year, month))


def easter_sunday(year: int) -> date:
    """Easter Sunday of the Gregorian calendar (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_fix = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_fix) // 451
    month, day = divmod(h + weekday_fix - 7 * m + 114, 31)
    return date(year, month, day + 1)


@dataclass(frozen=True)
class HolidayDefinition:
    """A public holiday: a fixed day (``month``/``day``) or an offset from Easter Sunday."""

    key: str
    name: object  # a (lazy) display string
    month: Optional[int] = None
    day: Optional[int] = None
    easter_offset: Optional[int] = None
    valid_from: Optional[date] = None
    valid_to: Optional[date] = None
    legal_ref: str = ""

    def on(self, year: int) -> Optional[date]:
        if self.easter_offset is not None:
            when = easter_sunday(year) + timedelta(days=self.easter_offset)
        else:
            when = date(year, self.month, self.day)
        if self.valid_from and when < self.valid_from or self.valid_to and when > self.valid_to:
            return None
        return when


class HolidayCalendar:
    """The public holidays given by a list of definitions, per year (cached)."""

    def __init__(self, definitions: Iterable[HolidayDefinition]):
        self.definitions = tuple(definitions)
        self._year = lru_cache(maxsize=64)(self._compute)

    def _compute(self, year: int) -> dict[date, HolidayDefinition]:
        days: dict[date, HolidayDefinition] = {}
        for definition in self.definitions:
            when = definition.on(year)
            if when is not None:
                days.setdefault(when, definition)
        return days

    def holidays(self, year: int) -> dict[date, HolidayDefinition]:
        return dict(self._year(year))

    def holiday(self, day: date) -> Optional[HolidayDefinition]:
        return self._year(day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < SATURDAY and self.holiday(day) is None

    def next_working_day(self, day: date) -> tuple[date, list[tuple[date, object]]]:
        """``day`` itself if it is a working day, else the next one; with the skipped days and
        why each was skipped (the holiday's definition, or "saturday"/"sunday")."""
        skipped: list[tuple[date, object]] = []
        while not self.is_working_day(day):
            holiday = self.holiday(day)
            skipped.append((day, holiday if holiday is not None else
                            ("saturday" if day.weekday() == SATURDAY else "sunday")))
            day += timedelta(days=1)
        return day, skipped
