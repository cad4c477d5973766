"""Issued certificates checked by openssl, and bad CSRs refused with nothing stored."""

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlmodel import func, select

from app.domain.certificates import CertificateRequestError
from app.models import AuditEvent, IssuedCertificate, Structure
from app.operations.pki import issue_certificate, revoke_certificate
from tests.pki.conftest import BASE_URL, make_csr, openssl, write_cert, write_chain


def chu(db):
    return db.exec(select(Structure).where(Structure.finess == "440000016")).one()


def issue(db, hsm, profile="ORG_AUTH_CLI", **kw):
    csr, key = make_csr(kw.pop("key", None), dns=kw.pop("csr_dns", ()))
    params = {"requested_by": "581234567600017/TECH0009", "structure": kw.pop("structure", None) or chu(db),
              "profile_code": profile, "csr": kw.pop("csr", csr), "service_name": "Proxy DMP CHU",
              "base_url": BASE_URL, "emails": ["admin@chu.example"]}
    params.update(kw)
    return issue_certificate(db, hsm, **params), key


@pytest.mark.parametrize("profile, dns, eku", [
    ("ORG_AUTH_CLI", [], [ExtendedKeyUsageOID.CLIENT_AUTH]),
    ("ORG_SIGN", [], [ExtendedKeyUsageOID.EMAIL_PROTECTION, x509.ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")]),
    ("ORG_CONF", [], None),
    ("SERV_SSL", ["dmp.chu-loire.example", "www.chu-loire.example"],
     [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
])
def test_every_profile_verifies_with_openssl(pki, hsm, tmp_path, profile, dns, eku):
    row, _ = issue(pki, hsm, profile, dns_names=dns)
    paths = write_chain(pki, tmp_path)
    leaf = write_cert(row.der, tmp_path / "leaf.pem")
    result = openssl("verify", "-CAfile", paths["root"], "-untrusted", paths["organisations"], leaf)
    assert result.returncode == 0 and "leaf.pem: OK" in result.stdout, result.stderr
    cert = x509.load_der_x509_certificate(row.der)
    subject = {a.oid: a.value for a in cert.subject}
    assert subject[NameOID.ORGANIZATION_NAME] == "Centre hospitalier universitaire de Loire-Atlantique"
    assert subject[NameOID.ORGANIZATIONAL_UNIT_NAME] == "1440000016"
    assert subject[NameOID.STATE_OR_PROVINCE_NAME] == "Loire-Atlantique (44)"
    assert subject[NameOID.COMMON_NAME] == (dns[0] if dns else "Proxy DMP CHU")
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    if eku:
        assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == eku
    else:
        with pytest.raises(x509.ExtensionNotFound):
            cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    if dns:
        assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName) == dns
    crl_dp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl_dp[0].full_name[0].value == f"{BASE_URL}/pki/crl/organisations.crl"
    aia = {d.access_method._name: d.access_location.value
           for d in cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value}
    assert aia == {"OCSP": f"{BASE_URL}/pki/ocsp", "caIssuers": f"{BASE_URL}/pki/ca/organisations.cer"}
    policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert policies[0].policy_identifier.dotted_string.startswith("1.2.250.1.999.1.")
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if profile == "SERV_SSL":  # a TLS server certificate follows the CA/Browser Forum's schedule (SC-081)
        from app.domain.domain_control import policy_on

        assert end - start == timedelta(days=policy_on(start.date()).max_validity_days)
    else:
        assert (end.year - start.year, end.month, end.day, end.time()) == (3, start.month, start.day, start.time())
    assert 100 <= cert.serial_number.bit_length() <= 128
    assert cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)


def test_serials_are_random_and_unique(pki, hsm):
    serials = {issue(pki, hsm)[0].serial_hex for _ in range(5)}
    assert len(serials) == 5


def test_revoked_certificate_is_refused_by_openssl_crl_check(pki, hsm, tmp_path):
    row, _ = issue(pki, hsm)
    revoke_certificate(pki, hsm, row, reason="key_compromise", revoked_by="581234567600017/TECH0009")
    paths = write_chain(pki, tmp_path)
    leaf = write_cert(row.der, tmp_path / "leaf.pem")
    verified_crl = openssl("crl", "-in", paths["organisations_crl"], "-CAfile", paths["organisations"], "-noout",
                           "-verify")
    assert "verify OK" in verified_crl.stderr + verified_crl.stdout
    chain = tmp_path / "chain.pem"
    chain.write_text(paths["organisations"].read_text() + paths["root"].read_text())
    crls = tmp_path / "crls.pem"
    crls.write_text(paths["organisations_crl"].read_text() + paths["root_crl"].read_text())
    result = openssl("verify", "-crl_check_all", "-CAfile", chain, "-CRLfile", crls, leaf)
    assert result.returncode != 0 and "certificate revoked" in result.stdout + result.stderr
    crl = x509.load_pem_x509_crl(paths["organisations_crl"].read_bytes())
    entry = crl.get_revoked_certificate_by_serial_number(int(row.serial_hex, 16))
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    with pytest.raises(CertificateRequestError, match="déjà révoqué"):
        revoke_certificate(pki, hsm, row, reason="superseded", revoked_by="x")


def test_unrevoked_certificate_passes_crl_check(pki, hsm, tmp_path):
    row, _ = issue(pki, hsm)
    paths = write_chain(pki, tmp_path)
    chain = tmp_path / "chain.pem"
    chain.write_text(paths["organisations"].read_text() + paths["root"].read_text())
    crls = tmp_path / "crls.pem"
    crls.write_text(paths["organisations_crl"].read_text() + paths["root_crl"].read_text())
    leaf = write_cert(row.der, tmp_path / "leaf.pem")
    assert openssl("verify", "-crl_check_all", "-CAfile", chain, "-CRLfile", crls, leaf).returncode == 0


def _counts(db):
    return (db.exec(select(func.count()).select_from(IssuedCertificate)).one(),
            db.exec(select(func.count()).select_from(AuditEvent)).one())


def _tampered_csr():
    csr, _ = make_csr()
    body = bytearray(x509.load_pem_x509_csr(csr).public_bytes(__import__("cryptography").hazmat.primitives
                                                              .serialization.Encoding.DER))
    body[-5] ^= 0x01
    return bytes(body)


@pytest.mark.parametrize("case, message", [
    ("bad_signature", "preuve de possession"),
    ("rsa1024", "1024 bits refusée"),
    ("curve", "Courbe elliptique « secp256k1 » non acceptée"),
    ("garbage", "ni en PEM ni en DER"),
    ("oversized", "dépasse 16 Ko"),
    ("empty", "Déposez une demande"),
    ("reused", "déjà certifiée"),
    ("dns", "Nom DNS invalide"),
    ("wildcard", "Nom DNS invalide"),
    ("insi", "INSI-AUTO ou INSI-MANU"),
    ("undeclared", "« www.ameli.fr » n’est dans aucun domaine déclaré"),
    ("lookalike", "« evilchu-loire.example » n’est dans aucun domaine déclaré"),
    ("csr_names_only", "au moins un nom DNS"),
    ("org_with_dns", "ORG ne porte aucun nom DNS"),
])
def test_bad_requests_are_refused_and_nothing_is_stored(pki, hsm, case, message):
    reused_key = ec.generate_private_key(ec.SECP256R1())
    if case == "reused":
        issue(pki, hsm, key=reused_key)
    before = _counts(pki)
    keys_before = {k.label for k in hsm.list_keys()}
    kwargs = {}
    if case == "bad_signature":
        kwargs["csr"] = _tampered_csr()
    elif case == "rsa1024":
        kwargs["csr"] = make_csr(rsa.generate_private_key(65537, 1024))[0]
    elif case == "curve":
        kwargs["csr"] = make_csr(ec.generate_private_key(ec.SECP256K1()))[0]
    elif case == "garbage":
        kwargs["csr"] = b"\x00\x01 ceci n'est pas une CSR \xff" * 10
    elif case == "oversized":
        kwargs["csr"] = b"-----BEGIN CERTIFICATE REQUEST-----\n" + b"A" * 20000
    elif case == "empty":
        kwargs["csr"] = b"   "
    elif case == "reused":
        kwargs["key"] = reused_key
    elif case == "dns":
        kwargs["dns_names"] = ["serveur_invalide..chu"]
    elif case == "wildcard":
        kwargs["dns_names"] = ["*.chu-loire.example"]
    elif case == "insi":
        kwargs["product"] = "INSI"
    elif case == "undeclared":
        kwargs["dns_names"] = ["dmp.chu-loire.example", "www.ameli.fr"]
    elif case == "lookalike":
        kwargs["dns_names"] = ["evilchu-loire.example"]
    elif case == "csr_names_only":  # the CSR asks for names nobody typed: they are never taken from it
        kwargs["csr_dns"] = ("esante.gouv.fr", "www.ameli.fr")
    elif case == "org_with_dns":
        kwargs["dns_names"] = ["dmp.chu-loire.example"]
    profile = "SERV_SSL" if case in ("dns", "wildcard", "undeclared", "lookalike", "csr_names_only") \
        else "ORG_AUTH_CLI"
    with pytest.raises(CertificateRequestError, match=message):
        issue(pki, hsm, profile, **kwargs)
    assert _counts(pki) == before
    assert {k.label for k in hsm.list_keys()} == keys_before


def test_an_org_certificate_never_takes_the_names_of_its_csr(pki, hsm):
    row, _ = issue(pki, hsm, "ORG_AUTH_CLI", csr_dns=("esante.gouv.fr", "www.ameli.fr"))
    cert = x509.load_der_x509_certificate(row.der)
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert row.dns_names == []


def test_a_serv_certificate_carries_the_typed_names_not_the_csr_ones(pki, hsm):
    row, _ = issue(pki, hsm, "SERV_SSL", dns_names=["dmp.chu-loire.example"], csr_dns=("esante.gouv.fr",))
    san = x509.load_der_x509_certificate(row.der).extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.DNSName) == ["dmp.chu-loire.example"]


def test_structure_without_contract_cannot_order(pki, hsm):
    ajaccio = pki.exec(select(Structure).where(Structure.finess == "2A0000016")).one()
    with pytest.raises(CertificateRequestError, match="contrat d’adhésion"):
        issue(pki, hsm, structure=ajaccio)


def test_validity_is_three_years_even_from_29_february():
    from datetime import datetime

    from app.domain.certificates import validity_end

    assert validity_end(datetime(2028, 2, 29, 10, 0)) == datetime(2031, 2, 28, 10, 0)
    assert validity_end(datetime(2026, 11, 23, 9, 0)) - datetime(2026, 11, 23, 9, 0) == timedelta(days=1096)


def test_a_server_renewal_may_keep_its_key_but_not_elsewhere_nor_once_compromised(pki, hsm):
    """Issue 29 (2): ``certbot renew --reuse-key``, uacme's default renewal, DANE/TLSA pinning: the same key for the
    same names of the same structure is certified again; the same key for other names, another structure or
    another type of certificate is not, nor any key once revoked for compromise."""
    key = ec.generate_private_key(ec.SECP256R1())
    names = ["dmp.chu-loire.example"]
    first, _ = issue(pki, hsm, "SERV_SSL", key=key, dns_names=names)
    renewed, _ = issue(pki, hsm, "SERV_SSL", key=key, dns_names=names)
    assert renewed.spki_sha256 == first.spki_sha256 and renewed.serial_hex != first.serial_hex
    other_structure = pki.exec(select(Structure).where(Structure.id != first.structure_id,
                                                       Structure.contract_signed_at.is_not(None))).first()
    for refused in ({"dns_names": ["www.chu-loire.example"]}, {"profile": "ORG_AUTH_CLI", "dns_names": []},
                    {"structure": other_structure, "dns_names": names}):
        profile = refused.pop("profile", "SERV_SSL")
        with pytest.raises(CertificateRequestError, match="une clé par serveur"):
            issue(pki, hsm, profile, key=key, **refused)
    revoke_certificate(pki, hsm, renewed, reason="key_compromise", revoked_by="581234567600017/TECH0009")
    with pytest.raises(CertificateRequestError, match="déclarée compromise"):
        issue(pki, hsm, "SERV_SSL", key=key, dns_names=names)
