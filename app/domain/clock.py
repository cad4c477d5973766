"""Time for people: stored in UTC, read in Europe/Paris (pages, PDFs, e-mails)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def paris(moment: datetime) -> datetime:
    """``moment`` (aware, or naive UTC as SQLite gives it back) in Paris time."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(PARIS)


def for_people(moment: datetime) -> str:
    """« 30/11/2026 à 17:42 (heure de Paris) »."""
    return f"{paris(moment):%d/%m/%Y à %H:%M} (heure de Paris)"
