"""Times of a demo story on Chinese working days (the stories write their records at explicit times)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ningju.workdays import selectors as workdays


class WorkdayClock:
    """Base of a demo story: ``at`` a local time, ``workday`` forward and ``back`` over working days."""

    def __init__(self):
        self.tz = timezone.get_default_timezone()
        self.cal = workdays.calendar()  # one snapshot of the holiday table for all the story's dates

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), tzinfo=self.tz) + dt.timedelta(minutes=minute)

    def workday(self, day: dt.date, n: int = 0) -> dt.date:
        """The working day on or after ``day``, then ``n`` working days further."""
        day = self.cal.workday_on_or_after(day)
        for _ in range(n):
            day = self.cal.next_workday(day)
        return day

    def back(self, day: dt.date, n: int) -> dt.date:
        """The ``n``-th working day before ``day``."""
        while n:
            day -= dt.timedelta(days=1)
            n -= self.cal.is_workday(day)
        return day
