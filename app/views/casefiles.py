"""What the filer's and the back office's views share: loading a case file once for ``@requires``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort

from app.db import get_session
from app.models import Filing, Person, Structure


@dataclass(frozen=True)
class LoadedCase:
    """The filing, its structure and its filer, as the permission rules and the views need them."""

    filing: Filing
    structure: Structure
    filer: Person

    @property
    def id(self) -> int:
        return self.filing.id

    @property
    def filer_id(self) -> int:
        return self.filing.filer_id


def case_target(filing_id: int, **_ignored) -> LoadedCase:
    db = get_session()
    filing = db.get(Filing, filing_id)
    if filing is None or filing.form not in FORM_CODES:
        abort(404)
    return LoadedCase(filing, db.get(Structure, filing.structure_id), db.get(Person, filing.filer_id))


FORM_CODES = frozenset({"F101", "F301", "F413", "F502", "F503"})
