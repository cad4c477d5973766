from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from app.psc.cps import identity_from_certificate, load_forwarded_certificate
from app.psc.identity import IdentityError
from tests.cards import CardCA, card_subject


@pytest.fixture(scope="module")
def ca():
    return CardCA("TEST AC PERSONNES")


def escaped(cert):
    from urllib.parse import quote

    return quote(cert.public_bytes(serialization.Encoding.PEM).decode())


def test_card_certificate_gives_the_identity(ca):
    cert, _ = ca.issue(card_subject("899700000013", "DOC0001", "KIT", "Médecin"), profession="10")
    identity = identity_from_certificate(load_forwarded_certificate(escaped(cert)))
    assert identity.national_id == "899700000013"
    assert (identity.family_name, identity.given_name) == ("DOC0001", "KIT")
    assert identity.profession_label == "Médecin" and identity.profession_code == "10"
    assert identity.auth_method == "cps-tls"


def test_staff_card_id_is_split_at_the_slash(ca):
    cert, _ = ca.issue(card_subject("3440000016/DIR0001", "DIRECTEUR0006", "KIT", "Directeur"))
    identity = identity_from_certificate(cert)
    assert identity.national_id == "3440000016/DIR0001" and identity.profession_code == ""


def test_expired_certificate_is_refused(ca):
    cert, _ = ca.issue(card_subject("899700000013", "DOC0001", "KIT", "Médecin"), expired=True)
    with pytest.raises(IdentityError, match="validité"):
        identity_from_certificate(cert)


def test_not_yet_valid_is_refused(ca):
    cert, _ = ca.issue(card_subject("899700000013", "DOC0001", "KIT", "Médecin"))
    with pytest.raises(IdentityError, match="validité"):
        identity_from_certificate(cert, now=datetime.now(UTC) - timedelta(days=2))


def test_certificate_without_client_auth_is_refused(ca):
    cert, _ = ca.issue(card_subject("899700000013", "DOC0001", "KIT", "Médecin"), eku=ExtendedKeyUsageOID.SERVER_AUTH)
    with pytest.raises(IdentityError, match="authentification"):
        identity_from_certificate(cert)


def test_bad_national_id_and_garbage_are_refused(ca):
    cert, _ = ca.issue(card_subject("899700000012", "DOC0001", "KIT", "Médecin"))
    with pytest.raises(IdentityError, match="invalide"):
        identity_from_certificate(cert)
    with pytest.raises(IdentityError):
        load_forwarded_certificate("-----BEGIN CERTIFICATE-----%0Agarbage%0A-----END CERTIFICATE-----")
    with pytest.raises(IdentityError):
        load_forwarded_certificate("")
