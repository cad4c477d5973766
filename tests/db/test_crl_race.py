"""Two revocations on one CA in two real concurrent PostgreSQL transactions: both reach the CRL."""

import os
import threading

import pytest
from cryptography import x509
from sqlmodel import select

from app.db import Database
from app.migrate import upgrade
from app.models import IssuedCertificate, Structure
from app.operations.pki import authority, init_pki, issue_certificate, revoke_certificate
from seeds.loader import load
from tests.pki.conftest import make_csr

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs PostgreSQL (TEST_DATABASE_URL)")


@pytest.fixture()
def pki_database(fresh_database, hsm):
    url = fresh_database("crlrace")
    upgrade(url)
    database = Database(url)
    with database.session() as db:
        load(db)
        init_pki(db, hsm, "http://localhost")
        structure = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
        ids = [issue_certificate(db, hsm, requested_by="test", structure=structure, profile_code="ORG_AUTH_CLI",
                                 csr=make_csr()[0], service_name=f"Service {i}", base_url="http://localhost").id
               for i in range(2)]
        db.commit()
    yield database, ids
    database.engine.dispose()


def test_concurrent_revocations_both_reach_the_crl(pki_database, hsm):
    database, ids = pki_database
    with database.session() as db:
        number_before = authority(db, "organisations").crl_number
    first_flushed, release_first = threading.Event(), threading.Event()
    errors, numbers = [], {}

    def revoke(cert_id, hold: bool):
        try:
            with database.session() as db:
                row = db.get(IssuedCertificate, cert_id)
                revoke_certificate(db, hsm, row, reason="key_compromise", revoked_by="test")
                numbers[cert_id] = authority(db, "organisations").crl_number
                if hold:  # keep the first transaction open while the second one runs
                    first_flushed.set()
                    release_first.wait(10)
                db.commit()
        except Exception as exc:  # reported below
            errors.append(exc)
            first_flushed.set()

    first = threading.Thread(target=revoke, args=(ids[0], True))
    first.start()
    assert first_flushed.wait(10)
    second = threading.Thread(target=revoke, args=(ids[1], False))
    second.start()
    second.join(1.0)
    assert second.is_alive(), "the second revocation must wait for the CA row lock"
    release_first.set()
    first.join(10)
    second.join(10)
    assert not errors, errors
    with database.session() as db:
        row = authority(db, "organisations")
        crl = x509.load_der_x509_crl(row.crl_der)
        serials = {int(db.get(IssuedCertificate, i).serial_hex, 16) for i in ids}
        assert {entry.serial_number for entry in crl} >= serials
        assert sorted(numbers.values()) == [number_before + 1, number_before + 2]
        assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == number_before + 2


class PausedKeystore:
    """The token, with a signature that waits to be released: a CRL of 100,000 entries signing for seconds."""

    def __init__(self, inner):
        self.inner = inner
        self.signing = threading.Event()
        self.release = threading.Event()

    def sign(self, label, data, hash_name="sha256"):
        self.signing.set()
        self.release.wait(10)
        return self.inner.sign(label, data, hash_name)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_revocation_signs_its_crl_without_holding_the_ca_row(pki_database, hsm):
    """Issue 19 (5): the CRL is signed first, the CA row locked only to publish it (compare and swap)."""
    import sqlalchemy as sa

    from app.models import Authority

    database, ids = pki_database
    slow = PausedKeystore(hsm)
    errors = []

    def revoke():
        try:
            with database.session() as db:
                revoke_certificate(db, slow, db.get(IssuedCertificate, ids[0]), reason="key_compromise",
                                   revoked_by="test")
                db.commit()
        except Exception as exc:  # reported below
            errors.append(exc)

    worker = threading.Thread(target=revoke)
    worker.start()
    assert slow.signing.wait(10)
    with database.engine.connect() as conn:  # while the CRL is being signed, the CA row is free
        organisations = conn.execute(sa.select(Authority.id).where(Authority.name == "organisations")).scalar_one()
        conn.execute(sa.text("SELECT id FROM authority WHERE id = :id FOR UPDATE NOWAIT"), {"id": organisations})
        conn.rollback()
    slow.release.set()
    worker.join(10)
    assert not errors, errors
    with database.session() as db:
        crl = x509.load_der_x509_crl(authority(db, "organisations").crl_der)
        assert int(db.get(IssuedCertificate, ids[0]).serial_hex, 16) in {e.serial_number for e in crl}
