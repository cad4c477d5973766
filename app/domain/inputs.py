"""One parser for the numbers people and programs send: ids, row indexes, page cursors, counts.

``str.isdigit`` accepts « ² » and « ٣ », which ``int`` then refuses or reads; an unbounded id overflows the
database's INTEGER ids. Every number from a request goes through :func:`parse_int` instead.
"""

from __future__ import annotations

import re

ID_MAX = 2**31 - 1  # the ids are INTEGER columns (PostgreSQL int4): 2^31 overflowed them
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_int(value, *, low: int = 0, high: int = ID_MAX) -> int | None:
    """``value`` as an int when it is ASCII digits within [low, high]; None otherwise (then answer 4xx)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if low <= value <= high else None
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        return None
    number = int(value)
    return number if low <= number <= high else None


def parse_id(value) -> int | None:
    """A row id: 1 to the INTEGER maximum."""
    return parse_int(value, low=1)
