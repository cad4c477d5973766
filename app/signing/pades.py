"""PAdES signatures with pyHanko's PKCS11Signer: the seal key stays in the token.

Level B-LT: the CRLs of the chain are embedded (DSS), so the signature validates offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from asn1crypto import crl as a_crl
from asn1crypto import x509 as a_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko_certvalidator import ValidationContext

from .hsm import Hsm


@dataclass(frozen=True)
class SealMaterial:
    """What the seal needs besides its key: certificate, issuing chain up to the root, current CRLs (DER)."""

    key_label: str
    certificate_der: bytes
    chain_der: tuple[bytes, ...]
    root_der: bytes
    crls_der: tuple[bytes, ...]


def sign_pdf(hsm: Hsm, pdf: bytes, seal: SealMaterial, *, reason: str, location: str = "France",
             field_name: str = "CachetPortail") -> bytes:
    """Seal ``pdf`` (PAdES B-LT, revocation info embedded) and return the signed bytes."""
    certificate = a_x509.Certificate.load(seal.certificate_der)
    chain = [a_x509.Certificate.load(c) for c in seal.chain_der]
    root = a_x509.Certificate.load(seal.root_der)
    context = ValidationContext(trust_roots=[root], other_certs=chain,
                                crls=[a_crl.CertificateList.load(c) for c in seal.crls_der],
                                allow_fetching=False, revocation_mode="hard-fail")
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, reason=reason, location=location, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, embed_validation_info=True, validation_context=context,
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    with hsm.session() as session:
        signer = PKCS11Signer(session, key_label=seal.key_label, signing_cert=certificate, ca_chain=chain + [root],
                              use_raw_mechanism=certificate.public_key.algorithm == "ec")
        output = signers.sign_pdf(writer, meta, signer=signer)
    return output.getvalue()
