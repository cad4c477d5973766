"""The running responder answers openssl good then revoked; sealed PDFs validate with pyHanko and pdfsig."""

import base64
import subprocess
from io import BytesIO

import pytest
import requests
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext
from sqlmodel import select

from app.documents.notice import render_notice
from app.models import IssuedCertificate, Structure
from app.operations.pki import authority, issue_certificate, revoke_certificate, seal_pdf
from tests.live import pki_portal
from tests.pki.conftest import make_csr, openssl, write_cert, write_chain


@pytest.fixture(scope="module")
def responder(tmp_path_factory, fresh_database, app_config):
    """A live portal on its own database, with the PKI initialised and one issued certificate."""
    def prepare(db, hsm, base, work):
        structure = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
        csr, _ = make_csr()
        issued = issue_certificate(db, hsm, requested_by="test", structure=structure, profile_code="ORG_AUTH_CLI",
                                   csr=csr, service_name="Proxy DMP", base_url=base)
        db.flush()
        return {"paths": write_chain(db, work), "leaf": write_cert(issued.der, work / "leaf.pem"),
                "cert_id": issued.id}

    with pki_portal(tmp_path_factory, fresh_database, app_config, "ocsp", prepare) as portal:
        yield portal


def ask(responder):
    paths = responder["paths"]
    return openssl("ocsp", "-issuer", paths["organisations"], "-cert", responder["leaf"],
                   "-url", f"{responder['base']}/pki/ocsp", "-CAfile", paths["root"],
                   "-verify_other", paths["organisations"])


def test_openssl_ocsp_good_then_revoked(responder):
    first = ask(responder)
    assert "Response verify OK" in first.stderr, first.stderr
    assert f"{responder['leaf']}: good" in first.stdout
    with responder["database"].writing() as db:
        row = db.get(IssuedCertificate, responder["cert_id"])
        revoke_certificate(db, responder["hsm"], row, reason="key_compromise", revoked_by="test")
        db.commit()
    second = ask(responder)
    assert "Response verify OK" in second.stderr
    assert f"{responder['leaf']}: revoked" in second.stdout and "keyCompromise" in second.stdout


def test_ocsp_get_unknown_and_nonce(responder):
    issuer = x509.load_pem_x509_certificate(responder["paths"]["organisations"].read_bytes())
    leaf = x509.load_pem_x509_certificate(responder["leaf"].read_bytes())
    known = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA1()).build()
    request = (ocsp.OCSPRequestBuilder()  # same issuer, a serial it never issued
               .add_certificate_by_hash(known.issuer_name_hash, known.issuer_key_hash, 12345, hashes.SHA1())
               .add_extension(x509.OCSPNonce(b"nonce-1234567890"), critical=False).build())
    encoded = base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()
    answer = requests.get(f"{responder['base']}/pki/ocsp/{encoded}", timeout=10)
    assert answer.headers["Content-Type"] == "application/ocsp-response"
    parsed = ocsp.load_der_ocsp_response(answer.content)
    assert parsed.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert parsed.certificate_status == ocsp.OCSPCertStatus.UNKNOWN
    assert parsed.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"nonce-1234567890"
    garbage = requests.post(f"{responder['base']}/pki/ocsp", data=b"garbage", timeout=10,
                            headers={"Content-Type": "application/ocsp-request"})
    assert ocsp.load_der_ocsp_response(garbage.content).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_public_ca_and_crl_endpoints(responder):
    for name in ("root", "organisations", "personnes"):
        der = requests.get(f"{responder['base']}/pki/ca/{name}.cer", timeout=10).content
        cert = x509.load_der_x509_certificate(der)
        assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        crl = requests.get(f"{responder['base']}/pki/crl/{name}.crl", timeout=10)
        assert crl.headers["Content-Type"] == "application/pkix-crl"
        assert x509.load_der_x509_crl(crl.content).is_signature_valid(cert.public_key())
    assert requests.get(f"{responder['base']}/pki/crl/inconnue.crl", timeout=10).status_code == 404


def test_sealed_pdf_is_valid_for_pyhanko_and_pdfsig(pki, hsm, tmp_path):
    pdf = render_notice("Décision d’autorisation d’accès compassionnel", "AAC-2026-000042",
                        ["Autorisation accordée pour une durée de six mois."])
    signed = seal_pdf(pki, hsm, pdf, reason="Décision de l’ANSM")
    path = tmp_path / "decision.pdf"
    path.write_bytes(signed)
    result = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False)
    assert "Signature is Valid." in result.stdout, result.stdout + result.stderr
    root = a_x509.Certificate.load(authority(pki, "root").certificate_der)
    reader = PdfFileReader(BytesIO(signed))
    embedded = reader.embedded_signatures[0]
    status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    # LT: the chain's CRLs travel in the document's DSS, so validation works offline with revocation
    # checking in hard-fail mode, from the document's own data only.
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(dss.crls) >= 2
    offline = dss.as_validation_context({"trust_roots": [root], "allow_fetching": False,
                                         "revocation_mode": "hard-fail"})
    strict = validate_pdf_signature(embedded, offline)
    assert strict.intact and strict.valid and strict.trusted, strict.pretty_print_details()
    # B-T: the seal carries a signature time-stamp from the portal's TSA; B-LTA: a document time-stamp
    # closes the document after the DSS.
    assert status.timestamp_validity.valid and status.timestamp_validity.trusted
    assert status.timestamp_validity.signing_cert.subject.native["common_name"] == "Horodatage du portail santé"
    document_stamp = reader.embedded_signatures[1]
    assert document_stamp.sig_object["/Type"] == "/DocTimeStamp"
    stamp = validate_pdf_timestamp(document_stamp, validation_context=ValidationContext(trust_roots=[root],
                                                                                        allow_fetching=False))
    assert stamp.intact and stamp.valid and stamp.trusted
    tsa = x509.load_der_x509_certificate(stamp.signing_cert.dump())
    usage = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and list(usage.value) == [x509.oid.ExtendedKeyUsageOID.TIME_STAMPING]
    no_revocation_info = validate_pdf_signature(embedded, ValidationContext(
        trust_roots=[root], allow_fetching=False, revocation_mode="hard-fail", crls=[], ocsps=[]))
    assert not no_revocation_info.trusted
    tampered = bytearray(signed)
    index = tampered.find(b"AAC-2026-000042")
    if index == -1:
        index = 200
    tampered[index] ^= 0x01
    bad = validate_pdf_signature(PdfFileReader(BytesIO(bytes(tampered))).embedded_signatures[0],
                                 ValidationContext(trust_roots=[root], allow_fetching=False))
    assert not bad.intact


def test_ca_keys_are_non_extractable(pki, hsm):
    from pkcs11 import Attribute, ObjectClass
    from pkcs11 import exceptions as p11

    labels = {k.label: k for k in hsm.list_keys()}
    for label in ("ca-root", "ca-organisations", "ca-personnes", "seal-portail", "tsa-portail"):
        assert labels[label].extractable is False and labels[label].sensitive is True
    with hsm.session() as session:
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label="ca-organisations")
        assert key[Attribute.NEVER_EXTRACTABLE] is True
        with pytest.raises(p11.AttributeSensitive):
            key[Attribute.PRIVATE_EXPONENT]
