"""Anyone: the public verification of a sealed decision (no patient data)."""

from __future__ import annotations

from sqlmodel import select

from app.db import get_session
from app.domain import aac as rules
from app.extensions import limiter
from app.models import Filing, FilingDocument, Person
from app.operations import aac_wizard
from app.web.rendering import render

from .blueprint import bp


@bp.get("/verification/<code>")
@limiter.limit("30 per minute")
def verify(code: str):
    """Public: the decision exists, its status, the medicine and the prescriber it names, its SHA-256; no
    patient data."""
    db = get_session()
    document = db.exec(select(FilingDocument).where(FilingDocument.verification_code == code)).first()
    filing = db.get(Filing, document.filing_id) if document else None
    medicine = prescriber = None
    if filing is not None:  # what the paper names, so that a pharmacist holding it can check it: never the patient
        typed = filing.payload.get("medicament") or {}
        found = aac_wizard.product(db, typed.get("code", ""))
        medicine = (f"{found.name} – {found.pharmaceutical_form}, {found.strength} ({found.laboratory})" if found
                    else " ".join(v for v in (typed.get("nom"), typed.get("forme"), typed.get("dosage")) if v))
        prescriber = db.get(Person, filing.filer_id)
    return render("aac/verify.html", document=document, filing=filing, states=rules.AAC_STATES,
                  medicine=medicine, prescriber=prescriber, status=200 if document else 404)

