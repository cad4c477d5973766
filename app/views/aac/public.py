"""Anyone: the public verification of a sealed decision (no patient data)."""

from __future__ import annotations

from sqlmodel import select

from app.db import get_session
from app.domain import aac as rules
from app.extensions import limiter
from app.models import Filing, FilingDocument
from app.web.rendering import render

from .blueprint import bp


@bp.get("/verification/<code>")
@limiter.limit("30 per minute")
def verify(code: str):
    """Public: the decision exists, its status, its SHA-256; no patient data."""
    db = get_session()
    document = db.exec(select(FilingDocument).where(FilingDocument.verification_code == code)).first()
    filing = db.get(Filing, document.filing_id) if document else None
    return render("aac/verify.html", document=document, filing=filing, states=rules.AAC_STATES,
                  status=200 if document else 404)

