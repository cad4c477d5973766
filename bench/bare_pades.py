"""Baseline: a bare reportlab + pyHanko PKCS#11 signature, no portal code, on a given token session.

Used by bench/pki.py to compare the portal's sealed-PDF latency with the same work done by hand.
"""

from __future__ import annotations

from io import BytesIO

from asn1crypto import crl as a_crl
from asn1crypto import x509 as a_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.pkcs11 import PKCS11Signer
from pyhanko_certvalidator import ValidationContext
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def bare_pdf() -> bytes:
    buffer = BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.drawString(72, 760, "Décision – référence BENCH-0001")
    page.drawString(72, 740, "Autorisation accordée pour une durée de six mois.")
    page.save()
    return buffer.getvalue()


def bare_sign(session, key_label: str, cert_der: bytes, chain_der, root_der: bytes, crls_der, *,
              embed_validation_info: bool = True, timestamper=None, other_certs=()) -> bytes:
    """Same level as the portal's seal: with a timestamper, B-T signature time-stamp and B-LTA document one."""
    cert = a_x509.Certificate.load(cert_der)
    chain = [a_x509.Certificate.load(c) for c in chain_der]
    root = a_x509.Certificate.load(root_der)
    signer = PKCS11Signer(session, key_label=key_label, signing_cert=cert, ca_chain=chain + [root],
                          use_raw_mechanism=True)
    meta = signers.PdfSignatureMetadata(field_name="Signature", md_algorithm="sha256",
                                        subfilter=fields.SigSeedSubFilter.PADES,
                                        embed_validation_info=embed_validation_info,
                                        use_pades_lta=timestamper is not None,
                                        validation_context=ValidationContext(
                                            trust_roots=[root], other_certs=chain + list(other_certs),
                                            allow_fetching=False,
                                            crls=[a_crl.CertificateList.load(c) for c in crls_der]))
    return signers.sign_pdf(IncrementalPdfFileWriter(BytesIO(bare_pdf())), meta, signer=signer,
                            timestamper=timestamper).getvalue()
