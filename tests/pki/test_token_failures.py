"""A token that is missing, refuses the PIN or disappears mid-operation leaves nothing half-done."""

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from sqlmodel import func, select

from app.config import default_pkcs11_module
from app.models import AuditEvent, IssuedCertificate
from app.operations.pki import authority, revoke_certificate
from app.signing.hsm import Hsm, HsmUnavailable
from tests.pki.test_issuance import issue


def counts(db):
    return (db.exec(select(func.count()).select_from(IssuedCertificate)).one(),
            db.exec(select(func.count()).select_from(AuditEvent)).one())


def test_missing_token_issues_nothing(pki, hsm):
    before = counts(pki)
    with pytest.raises(HsmUnavailable):
        issue(pki, Hsm(default_pkcs11_module(), "jeton-absent", "0000"))
    assert counts(pki) == before


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # python-pkcs11's finaliser noise
def test_token_lost_mid_operation_then_recovers(pki, hsm):
    before = counts(pki)
    with hsm.session() as session:
        session.close()  # as when the token goes away under an open session
    with pytest.raises(HsmUnavailable, match="ne répond plus"):
        issue(pki, hsm)
    assert counts(pki) == before
    row, _ = issue(pki, hsm)  # the next operation opens a fresh session
    assert row.id is not None and counts(pki)[0] == before[0] + 1


def test_failed_crl_signing_rolls_the_revocation_back(pki, hsm):
    row, _ = issue(pki, hsm)
    crl_before = authority(pki, "organisations").crl_number
    with pytest.raises(HsmUnavailable):
        revoke_certificate(pki, Hsm(default_pkcs11_module(), "jeton-absent", "0000"), row, reason="superseded",
                           revoked_by="test")
    pki.expire_all()
    assert pki.get(IssuedCertificate, row.id).revoked_at is None
    assert authority(pki, "organisations").crl_number == crl_before


def test_users_get_a_french_503_when_the_token_is_down(app, client, pki, hsm, monkeypatch):
    issuer = x509.load_der_x509_certificate(authority(pki, "organisations").certificate_der)
    leaf = x509.load_der_x509_certificate(issue(pki, hsm)[0].der)
    request = ocsp.OCSPRequestBuilder().add_certificate(leaf, issuer, hashes.SHA1()).build()
    encoded = base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode()
    monkeypatch.setitem(app.extensions, "hsm", Hsm(default_pkcs11_module(), "jeton-absent", "0000"))
    response = client.get(f"/pki/ocsp/{encoded}")
    assert response.status_code == 503
    assert "Service indisponible" in response.get_data(as_text=True)
    # the 503's own advice, no longer overwritten by the OCSP limit's window (which has a header of its own)
    assert response.headers["Retry-After"] == "60" and response.headers.get("X-RateLimit-Retry-After")



def test_jobs_refresh_crls_before_next_update_only(pki, hsm):
    from datetime import timedelta

    from app.models.base import utcnow
    from app.operations.pki import refresh_crls

    assert refresh_crls(pki, hsm) == []  # fresh CRLs: nothing to do
    before = authority(pki, "organisations").crl_number
    later = utcnow() + timedelta(days=6)  # nextUpdate is 7 days out, the margin 2 days
    assert set(refresh_crls(pki, hsm, now=later)) == {"root", "organisations", "personnes", "services"}
    row = authority(pki, "organisations")
    assert row.crl_number == before + 1
    crl = x509.load_der_x509_crl(row.crl_der)
    assert crl.next_update_utc > later + timedelta(days=6)
    assert refresh_crls(pki, hsm, now=later) == []
