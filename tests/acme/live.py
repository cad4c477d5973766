"""What the live-portal ACME tests share: a declared SERV domain with EAB credentials for its administrator, and
a server's CSR in PEM."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def serv_domain_with_eab(domain: str, name: str = "serveur"):
    """A ``pki_portal`` prepare step: ``domain`` declared by the first SERV technical administrator's structure, one
    EAB credential of theirs handed back as ``eab`` (key id, HMAC key)."""

    def prepare(db, hsm, _base, _work) -> dict:
        from sqlmodel import select

        from app.models import Habilitation, Person, ServDomain
        from app.operations import eab

        serv = db.exec(select(Habilitation).where(Habilitation.certificate_family == "SERV",
                                                  Habilitation.role == "technical_admin")).first()
        db.add(ServDomain(structure_id=serv.structure_id, name=domain, source="test"))
        credential, secret = eab.create(db, hsm, db.get(Person, serv.person_id), name=name,
                                        structure_ids=[serv.structure_id], days=30)
        return {"eab": (credential.key_id, secret)}

    return prepare


def csr_pem(name: str, key=None) -> bytes:
    """A CSR for ``name`` (CN and SAN), with ``key`` or a new P-256 key."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    request = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])).add_extension(
        x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    algorithm = hashes.SHA384() if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size == 384 \
        else hashes.SHA256()
    return request.sign(key, algorithm).public_bytes(serialization.Encoding.PEM)


def registered_client(base: str, eab: tuple[str, str], *, curve=ec.SECP256R1, user_agent: str = "tests-acme"):
    """certbot's acme library on the live portal's directory, its account made with the EAB credentials ``eab``:
    (client, network, account key). ES256 for P-256, ES384 for P-384."""
    from acme import client, messages
    from josepy import jwa
    from josepy import jwk as jose_jwk

    key = jose_jwk.JWKEC(key=ec.generate_private_key(curve()))
    net = client.ClientNetwork(key, alg=jwa.ES384 if curve is ec.SECP384R1 else jwa.ES256, user_agent=user_agent)
    directory = client.ClientV2.get_directory(f"{base}/acme/directory", net)
    acme = client.ClientV2(directory, net)
    key_id, secret = eab
    binding = messages.ExternalAccountBinding.from_data(account_public_key=key.public_key(), kid=key_id,
                                                        hmac_key=secret, directory=directory)
    net.account = acme.new_account(messages.NewRegistration.from_data(
        email="dsi@editeur.example", terms_of_service_agreed=True, external_account_binding=binding))
    return acme, net, key
