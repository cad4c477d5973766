"""CSV for spreadsheets: every cell a spreadsheet could read as a formula is neutralised (OWASP's rule)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

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


def csv_chunks(headers: Iterable, batches: Iterable[Iterable[Iterable]]) -> Iterator[str]:
    """A CSV for French spreadsheets (UTF-8 with BOM, « ; », CRLF, cells neutralised), one text chunk per batch of
    rows: an export streamed from a server-side cursor keeps one batch in memory, whatever the volume."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(headers)
    for rows in batches:
        for row in rows:
            writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
