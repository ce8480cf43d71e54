"""Which days are working days in mainland China: chinesecalendar, plus data/holidays/<year>.yaml.

chinesecalendar carries the State Council arrangements up to the year it was
released for (2026 for 1.11) and raises for later years. A county adds the next
year's arrangement as data/holidays/<year>.yaml as soon as it is announced;
a file also overrides the library for its year. A day in a year neither
covers raises `CalendarGap`: the rules never guess.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

from .model import HolidayYear


class CalendarGap(Exception):
    def __init__(self, year: int):
        super().__init__(year)
        self.year = year

    def message(self) -> str:
        return (f"计算期限需要{self.year}年的节假日安排，但程序只内置到 {_library_last_year()} 年。"
                f"请按国务院办公厅公布的{self.year}年部分节假日安排，添加 data/holidays/{self.year}.yaml"
                f"（格式见 README“节假日安排”一节）后重新运行。")


def _library_last_year() -> int:
    return max(d.year for d in chinese_calendar.holidays)


class WorkCalendar:
    def __init__(self, years: dict[int, HolidayYear] | None = None):
        self.years = dict(years or {})
        # A year's file may also move days late in the previous December: explicit days win everywhere.
        self.workdays = frozenset().union(*(y.workdays for y in self.years.values()))
        self.days_off = frozenset().union(*(y.days_off for y in self.years.values()))
        self._known: dict[dt.date, bool] = {}  # a county's periods ask about the same few hundred days

    def is_workday(self, day: dt.date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.days_off:
            return False
        if day.year in self.years:
            return day.weekday() < 5
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            raise CalendarGap(day.year) from None

    def next_workday(self, day: dt.date) -> dt.date:
        """`day` itself if it is a working day, else the first working day after it."""
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def add_workdays(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `day` (`day` itself is not counted)."""
        counted = 0
        while counted < count:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day
