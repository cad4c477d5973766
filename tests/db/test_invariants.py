"""The invariant check finds each half-done case file, and only those."""

from __future__ import annotations

import secrets

from app.models import Filing, FilingDocument
from app.models.base import utcnow
from app.operations.invariants import violations


def _filing(db, person, form: str, state: str, *, deposited: bool = True) -> Filing:
    filing = Filing(form=form, filer_id=person.id, state=state, idempotency_key=secrets.token_urlsafe(24),
                    reference=f"{form}-2026-{secrets.randbelow(999999):06d}" if deposited else None,
                    deposited_at=utcnow() if deposited else None)
    db.add(filing)
    db.flush()
    return filing


def test_each_half_done_case_file_is_reported(db, make_person):
    person = make_person()
    before = {v.filing_id for v in violations(db)}
    unsealed = _filing(db, person, "F301", "depose")
    sealed = _filing(db, person, "F301", "accepte")
    db.add(FilingDocument(filing_id=sealed.id, version=1, pdf=b"%PDF"))
    _filing(db, person, "F301", "brouillon", deposited=False)
    undecided = _filing(db, person, "AAC", "octroyee")
    _filing(db, person, "AAC", "transmise")
    undelivered = _filing(db, person, "CERT", "accepte")
    db.flush()
    found = {v.filing_id: v.rule for v in violations(db) if v.filing_id not in before}
    assert found == {unsealed.id: "dossier déposé sans PDF scellé",
                     undecided.id: "demande d’accès compassionnel décidée sans décision scellée",
                     undelivered.id: "commande de certificat délivrée sans certificat"}
