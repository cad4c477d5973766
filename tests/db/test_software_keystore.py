"""The in-memory key store stands in for the token where a test needs signatures but not SoftHSM:
the whole PKI and a sealed PDF, checked by pyHanko, with no PKCS#11 module involved."""

from io import BytesIO

from asn1crypto import x509 as a_x509
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from app.db import Database
from app.documents.notice import render_notice
from app.migrate import upgrade
from app.operations.pki import authority, init_pki, seal_pdf
from app.signing.keystore import SoftwareKeyStore


def test_pki_and_seal_with_keys_in_memory(fresh_database):
    url = fresh_database("software")
    upgrade(url)
    database = Database(url)
    store = SoftwareKeyStore()
    with database.session() as db:
        created = init_pki(db, store, "http://localhost")
        assert {"root", "organisations", "personnes", "seal", "tsa"} <= set(created)
        root = x509.load_der_x509_certificate(authority(db, "root").certificate_der)
        organisations = x509.load_der_x509_certificate(authority(db, "organisations").certificate_der)
        organisations.verify_directly_issued_by(root)
        signed = seal_pdf(db, store, render_notice("Décision", "AAC-2026-000001", ["Accordée."]), reason="Test")
        trust = a_x509.Certificate.load(authority(db, "root").certificate_der)
    status = validate_pdf_signature(PdfFileReader(BytesIO(signed)).embedded_signatures[0],
                                    ValidationContext(trust_roots=[trust], allow_fetching=False))
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity.valid
    assert {k.label for k in store.list_keys()} >= {"ca-root", "seal-portail", "tsa-portail"}
    database.engine.dispose()
