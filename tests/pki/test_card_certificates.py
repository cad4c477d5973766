"""Test CPS card certificates from the PERSONNES CA: verified by openssl, read back by the card login."""

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select

from app.models import Person
from app.operations.pki import issue_card_certificate
from app.psc.cps import identity_from_certificate
from tests.pki.conftest import BASE_URL, openssl, write_cert, write_chain


def test_card_certificate_chains_to_the_root_and_logs_in(pki, hsm, tmp_path):
    person = pki.exec(select(Person).where(Person.national_id == "899700000013")).one()
    key = ec.generate_private_key(ec.SECP256R1())
    row = issue_card_certificate(pki, hsm, person=person, public_key=key.public_key(), title="Médecin",
                                 base_url=BASE_URL)
    paths = write_chain(pki, tmp_path)
    leaf = write_cert(row.der, tmp_path / "card.pem")
    result = openssl("verify", "-purpose", "sslclient", "-CAfile", paths["root"],
                     "-untrusted", paths["personnes"], leaf)
    assert result.returncode == 0, result.stdout + result.stderr
    wrong_branch = openssl("verify", "-CAfile", paths["root"], "-untrusted", paths["organisations"], leaf)
    assert wrong_branch.returncode != 0
    cert = x509.load_der_x509_certificate(row.der)
    assert len(list(cert.subject.rdns)[-1]) == 3  # CN + SN + GN in one multi-valued RDN
    identity = identity_from_certificate(cert)
    assert (identity.national_id, identity.family_name, identity.given_name) == ("899700000013", "DOC0001", "KIT")
    assert identity.profession_code == "10" and identity.profession_label == "Médecin"
