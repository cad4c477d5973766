"""Sealing PDFs with the portal's seal key: PAdES B-LTA (time-stamped by the portal's own TSA, revocation
information embedded, then a document time-stamp), so a decision stays verifiable after the keys expire."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Authority
from app.signing.keystore import KeyStore
from app.signing.pades import SealMaterial, sign_pdf
from app.signing.tsa import TsaMaterial

from .hierarchy import SEAL_KEY_LABEL, TSA_KEY_LABEL, portal_certificate, seal_certificate


def seal_material(db: Session) -> SealMaterial:
    """The portal's seal certificate with its chain and the CRLs a validator needs offline."""
    seal = seal_certificate(db)
    if seal is None:
        raise LookupError("Cachet du portail absent : lancez « flask pki init ».")
    issuing = db.get(Authority, seal.authority_id)
    root = db.get(Authority, issuing.parent_id)
    tsa = portal_certificate(db, "TSA")
    if tsa is None:
        raise LookupError("Autorité d’horodatage du portail absente : lancez « flask pki init ».")
    tsa_issuing = db.get(Authority, tsa.authority_id)
    crls = {issuing.id: issuing.crl_der, root.id: root.crl_der, tsa_issuing.id: tsa_issuing.crl_der}
    return SealMaterial(key_label=seal.key_label or SEAL_KEY_LABEL, certificate_der=seal.der,
                        chain_der=(issuing.certificate_der,), root_der=root.certificate_der,
                        crls_der=tuple(crls.values()),
                        tsa=TsaMaterial(key_label=tsa.key_label or TSA_KEY_LABEL, certificate_der=tsa.der,
                                        chain_der=(tsa_issuing.certificate_der, root.certificate_der)))


def seal_pdf(db: Session, keystore: KeyStore, pdf: bytes, *, reason: str) -> bytes:
    """Seal a PDF with the portal's seal key."""
    return sign_pdf(keystore, pdf, seal_material(db), reason=reason)
