"""CSV for spreadsheets: every cell a spreadsheet could read as a formula is neutralised (OWASP's rule)."""

from __future__ import annotations

import csv
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> object:
    """A text cell starting like a formula (``= + - @``, tab, CR) gets a leading apostrophe; others are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose rows go through :func:`neutralise`: the only writer the portal's exports use."""

    def __init__(self, stream, **options):
        self._writer = csv.writer(stream, **options)

    def writerow(self, row: Iterable) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])
