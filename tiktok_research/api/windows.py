"""Split a date range into windows the Research API accepts (at most 30 days each)."""

from __future__ import annotations

from datetime import date, timedelta

from ..api_spec import MAX_WINDOW_DAYS
from ..errors import UsageError

#: days per window: start + 29 days keeps every window inside the 30-day limit
WINDOW_DAYS = MAX_WINDOW_DAYS


def windows(since: date, until: date, days: int = WINDOW_DAYS) -> list[tuple[date, date]]:
    """Inclusive (start, end) windows covering since..until, newest last."""
    if until < since:
        raise UsageError(f"--until {until} is before --since {since}")
    if not 1 <= days <= WINDOW_DAYS:
        raise UsageError(f"window length must be 1..{WINDOW_DAYS} days")
    out = []
    start = since
    while start <= until:
        end = min(start + timedelta(days=days - 1), until)
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


def split(start: date, end: date) -> list[tuple[date, date]]:
    """Halve a window (for a search that keeps failing); a single day cannot be split."""
    if start == end:
        return [(start, end)]
    mid = start + timedelta(days=(end - start).days // 2)
    return [(start, mid), (mid + timedelta(days=1), end)]


def yyyymmdd(d: date) -> str:
    return d.strftime("%Y%m%d")
