"""Sealing PDFs with the portal's seal key (PAdES)."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Authority
from app.signing.hsm import Hsm
from app.signing.pades import SealMaterial, sign_pdf

from .hierarchy import SEAL_KEY_LABEL, seal_certificate


def seal_material(db: Session) -> SealMaterial:
    """The portal's seal certificate with its chain and the CRLs a validator needs offline."""
    seal = seal_certificate(db)
    if seal is None:
        raise LookupError("Cachet du portail absent : lancez « flask pki init ».")
    issuing = db.get(Authority, seal.authority_id)
    root = db.get(Authority, issuing.parent_id)
    return SealMaterial(key_label=seal.key_label or SEAL_KEY_LABEL, certificate_der=seal.der,
                        chain_der=(issuing.certificate_der,), root_der=root.certificate_der,
                        crls_der=(issuing.crl_der, root.crl_der))


def seal_pdf(db: Session, hsm: Hsm, pdf: bytes, *, reason: str) -> bytes:
    """Seal a PDF with the portal's seal key."""
    return sign_pdf(hsm, pdf, seal_material(db), reason=reason)
