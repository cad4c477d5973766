"""PAdES signatures with pyHanko's PKCS11Signer: the seal key stays in the token.

Level B-LTA: a signature time-stamp from the portal's TSA (B-T), the CRLs of both chains in the DSS (B-LT),
then a document time-stamp over all of it (B-LTA), so the seal validates offline and can be re-stamped
before its algorithms or keys weaken.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from asn1crypto import crl as a_crl
from asn1crypto import x509 as a_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator import ValidationContext

from .keystore import KeyStore
from .tsa import HsmTimeStamper, TsaMaterial


@dataclass(frozen=True)
class SealMaterial:
    """What the seal needs besides its key: certificate, issuing chain up to the root, current CRLs (DER)."""

    key_label: str
    certificate_der: bytes
    chain_der: tuple[bytes, ...]
    root_der: bytes
    crls_der: tuple[bytes, ...]
    tsa: TsaMaterial | None = None  # without it: B-LT, no time-stamps


def sign_pdf(hsm: KeyStore, pdf: bytes, seal: SealMaterial, *, reason: str, location: str = "France",
             field_name: str = "CachetPortail") -> bytes:
    """Seal ``pdf`` (PAdES B-LTA with a TSA, else B-LT) and return the signed bytes."""
    certificate = a_x509.Certificate.load(seal.certificate_der)
    chain = [a_x509.Certificate.load(c) for c in seal.chain_der]
    root = a_x509.Certificate.load(seal.root_der)
    timestamper = HsmTimeStamper(hsm, seal.tsa) if seal.tsa else None
    others = chain + ([timestamper.certificate, *timestamper.chain] if timestamper else [])
    context = ValidationContext(trust_roots=[root], other_certs=others,
                                crls=[a_crl.CertificateList.load(c) for c in seal.crls_der],
                                allow_fetching=False, revocation_mode="hard-fail")
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, reason=reason, location=location, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, embed_validation_info=True, validation_context=context,
        use_pades_lta=timestamper is not None,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    with hsm.pdf_signer(seal.key_label, certificate, chain + [root]) as signer:
        output = signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
    return output.getvalue()
