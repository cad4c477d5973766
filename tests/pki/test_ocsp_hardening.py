"""The public OCSP responder: malformed input, bounds, the delegated responder key, pre-signed answers, rate limit."""

import base64
import os

import pytest
from asn1crypto import ocsp as a_ocsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from app.operations.pki import authority, current_responder, issue_certificate, revoke_certificate
from app.operations.pki.responder import OcspResponder
from tests.pki.conftest import BASE_URL, make_csr


@pytest.fixture()
def issued(pki, hsm):
    from sqlmodel import select

    from app.models import Structure

    structure = pki.exec(select(Structure).where(Structure.finess == "440000016")).one()
    rows = [issue_certificate(pki, hsm, requested_by="test", structure=structure, profile_code="ORG_AUTH_CLI",
                              csr=make_csr()[0], service_name=f"Service {i}", base_url=BASE_URL) for i in range(12)]
    issuer = x509.load_der_x509_certificate(authority(pki, "organisations").certificate_der)
    return rows, issuer


def request_for(rows, issuer, *, nonce: bytes | None = None) -> bytes:
    builder = ocsp.OCSPRequestBuilder()
    for row in rows:
        builder = builder.add_certificate(x509.load_der_x509_certificate(row.der), issuer, hashes.SHA1())
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def status_of(der: bytes) -> str:
    return a_ocsp.OCSPResponse.load(der)["response_status"].native


def several_cert_ids(rows, issuer) -> bytes:
    """cryptography's builder takes one CertID; asn1crypto builds a request with many."""
    single = a_ocsp.OCSPRequest.load(request_for(rows[:1], issuer))
    template = single["tbs_request"]["request_list"][0]["req_cert"]
    items = [{"req_cert": {"hash_algorithm": template["hash_algorithm"], "issuer_name_hash":
                           template["issuer_name_hash"], "issuer_key_hash": template["issuer_key_hash"],
                           "serial_number": int(row.serial_hex, 16)}} for row in rows]
    return a_ocsp.OCSPRequest({"tbs_request": {"request_list": items}}).dump()


def test_delegated_responder_signs_not_the_ca(pki, hsm, issued):
    rows, issuer = issued
    answer = ocsp.load_der_ocsp_response(OcspResponder().answer(pki, hsm, request_for(rows[:1], issuer)))
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD
    signer = answer.certificates[0]
    assert signer.issuer == issuer.subject and signer.subject != issuer.subject
    assert ExtendedKeyUsageOID.OCSP_SIGNING in signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert signer.extensions.get_extension_for_class(x509.OCSPNoCheck)
    signer.verify_directly_issued_by(issuer)
    signer.public_key().verify(answer.signature, answer.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))
    responder_row = current_responder(pki, authority(pki, "organisations").id)
    assert responder_row.key_label.startswith("ocsp-organisations-")
    assert {k.label: k for k in hsm.list_keys()}[responder_row.key_label].extractable is False


def test_unchanged_status_is_answered_without_signing_again(pki, hsm, issued):
    rows, issuer = issued
    responder = OcspResponder()
    question = request_for(rows[:1], issuer)
    first = responder.answer(pki, hsm, question)
    assert responder.answer(pki, hsm, question) == first and responder.signatures == 1
    # A nonce asks for a fresh answer.
    with_nonce = ocsp.load_der_ocsp_response(responder.answer(pki, hsm, request_for(rows[:1], issuer,
                                                                                    nonce=b"n" * 32)))
    assert with_nonce.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"n" * 32
    assert responder.signatures == 2
    # A revocation changes the status: the kept answer is not reused.
    revoke_certificate(pki, hsm, rows[0], reason="key_compromise", revoked_by="test")
    revoked = ocsp.load_der_ocsp_response(responder.answer(pki, hsm, question))
    assert revoked.certificate_status == ocsp.OCSPCertStatus.REVOKED and responder.signatures == 3


def test_kept_answers_expire_before_their_next_update(pki, hsm, issued):
    from datetime import timedelta

    from app.models.base import utcnow

    rows, issuer = issued
    responder = OcspResponder()
    question = request_for(rows[:1], issuer)
    responder.answer(pki, hsm, question)
    later = utcnow() + responder.lifetime - timedelta(minutes=30)  # within an hour of nextUpdate
    fresh = ocsp.load_der_ocsp_response(responder.answer(pki, hsm, question, now=later))
    assert responder.signatures == 2 and fresh.next_update_utc > later + timedelta(hours=11)


@pytest.mark.parametrize("case", ["empty", "garbage", "truncated", "unknown_hash", "eleven_ids", "long_nonce",
                                  "empty_nonce", "trailing_bytes"])
def test_malformed_requests_get_malformed_request(pki, hsm, issued, case):
    rows, issuer = issued
    good = request_for(rows[:1], issuer)
    if case == "unknown_hash":
        parsed = a_ocsp.OCSPRequest.load(good)
        parsed["tbs_request"]["request_list"][0]["req_cert"]["hash_algorithm"] = {"algorithm": "1.2.3.4.5"}
        der = parsed.dump(force=True)
    else:
        der = {
            "empty": b"", "garbage": os.urandom(64), "truncated": good[:-5],
            "eleven_ids": several_cert_ids(rows[:11], issuer),
            "long_nonce": request_for(rows[:1], issuer, nonce=b"x" * 33),
            "empty_nonce": request_for(rows[:1], issuer, nonce=b""),
            "trailing_bytes": good + b"\x00",
        }[case]
    responder = OcspResponder()
    assert status_of(responder.answer(pki, hsm, der)) == "malformed_request"
    assert responder.signatures == 0


def test_ten_cert_ids_are_answered(pki, hsm, issued):
    rows, issuer = issued
    answer = a_ocsp.OCSPResponse.load(OcspResponder().answer(pki, hsm, several_cert_ids(rows[:10], issuer)))
    assert len(answer.basic_ocsp_response["tbs_response_data"]["responses"]) == 10


def test_unknown_issuer_is_unauthorized(pki, hsm, issued):
    from tests.cards import CardCA

    rows, _ = issued
    stranger = CardCA("AC INCONNUE")
    assert status_of(OcspResponder().answer(pki, hsm, request_for(rows[:1], stranger.cert))) == "unauthorized"


def test_rate_limit_answers_429(app, client, pki, hsm, issued, monkeypatch):
    rows, issuer = issued
    monkeypatch.setattr(app.config["SETTINGS"], "ocsp_rate_limit", "3 per minute")
    encoded = base64.b64encode(request_for(rows[:1], issuer)).decode()
    codes = [client.get(f"/pki/ocsp/{encoded}", environ_base={"REMOTE_ADDR": "192.0.2.99"}).status_code
             for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = client.get(f"/pki/ocsp/{encoded}", environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 and "Trop de tentatives" in refused.get_data(as_text=True)
    wait = int(refused.headers["Retry-After"])  # issue 31: the page says the wait the header gives, not « minutes »
    assert f"réessayer dans {wait}\u00a0seconde" in refused.get_data(as_text=True)
    # Another client is not affected.
    assert client.get(f"/pki/ocsp/{encoded}", environ_base={"REMOTE_ADDR": "192.0.2.100"}).status_code == 200
