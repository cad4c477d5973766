"""Time for people: stored in UTC, read in Europe/Paris (pages, PDFs, e-mails)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def paris(moment: datetime) -> datetime:
    """``moment`` (aware, or naive UTC as SQLite gives it back) in Paris time."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(PARIS)


def for_people(moment: datetime) -> str:
    """« 30/11/2026 à 17:42 (heure de Paris) »."""
    return f"{paris(moment):%d/%m/%Y à %H:%M} (heure de Paris)"


def fr_date(value) -> str:
    """A date (or an ISO date as typed in a form) as the French read it, 14/07/1985; anything else as it was."""
    if isinstance(value, date):  # a datetime too; formatted by hand: strftime costs a table three times more
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    try:
        return fr_date(date.fromisoformat(value))
    except (TypeError, ValueError):
        return value or ""
