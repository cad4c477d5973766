"""What must hold between case files and their artefacts whatever failed on the way: a file past deposit has its
sealed PDF, a decided compassionate-access request its sealed decision, a delivered certificate order its
certificates. Checked after every fault test, and by operators with ``flask db invariants``."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from app.models import Filing, FilingDocument, IssuedCertificate

_F, _D, _C = Filing.__table__.c, FilingDocument.__table__.c, IssuedCertificate.__table__.c
DECIDED_AAC = ("octroyee", "refusee", "expiree")


def _without(kind: str):
    return ~sa.exists().where(_D.filing_id == _F.id, _D.kind == kind)


_BROKEN = {
    "dossier déposé sans PDF scellé": sa.and_(_F.form.not_in(("CERT", "AAC")), _F.deposited_at.is_not(None),
                                               _without("depot")),
    "demande d’accès compassionnel décidée sans décision scellée": sa.and_(_F.form == "AAC",
                                                                       _F.state.in_(DECIDED_AAC),
                                                                       _without("decision")),
    "commande de certificat délivrée sans certificat": sa.and_(
        _F.form == "CERT", _F.state == "accepte", ~sa.exists().where(_C.filing_id == _F.id)),
}


@dataclass(frozen=True)
class Violation:
    rule: str
    filing_id: int
    reference: str | None
    state: str

    def __str__(self) -> str:
        return f"{self.rule} : dossier {self.filing_id} ({self.reference or 'sans numéro'}, {self.state})"


def violations(db: Session) -> list[Violation]:
    """Every case file that breaks one of the rules, or an empty list."""
    found = []
    for rule, condition in _BROKEN.items():
        rows = db.connection().execute(sa.select(_F.id, _F.reference, _F.state).where(condition).order_by(_F.id))
        found += [Violation(rule, *row) for row in rows]
    return found
