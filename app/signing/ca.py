"""Certificates, CRLs and OCSP responses signed by CA keys that never leave the token.

cryptography's builders insist on a private key object, so each certificate and CRL is first built
with a per-process throwaway P-256 key whose signature is never emitted: the to-be-signed part is then
re-labelled with the CA's algorithm, signed in the HSM, and the final DER assembled with asn1crypto's
DER parser and emitter. OCSP responses are built with asn1crypto directly.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import core, parser
from asn1crypto import ocsp as a_ocsp
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID

from app.domain.certificates import PROFESSION_EXTENSION, Profile, key_usage

from .hsm import Hsm

_PLACEHOLDER = ec.generate_private_key(ec.SECP256R1())  # signs nothing that leaves this module
CRL_LIFETIME = timedelta(days=7)
OCSP_LIFETIME = timedelta(hours=12)

REASONS = {
    "unspecified": x509.ReasonFlags.unspecified,
    "key_compromise": x509.ReasonFlags.key_compromise,
    "ca_compromise": x509.ReasonFlags.ca_compromise,
    "affiliation_changed": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
    "certificate_hold": x509.ReasonFlags.certificate_hold,
    "privilege_withdrawn": x509.ReasonFlags.privilege_withdrawn,
}


@dataclass(frozen=True)
class Issuer:
    """An issuing CA: its name (in URLs), its key's label in the token, and its certificate."""

    name: str
    key_label: str
    certificate: x509.Certificate

    @property
    def ski(self) -> bytes:
        return self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


@dataclass(frozen=True)
class Urls:
    base: str

    def crl(self, issuer: str) -> str:
        return f"{self.base}/pki/crl/{issuer}.crl"

    def ca(self, issuer: str) -> str:
        return f"{self.base}/pki/ca/{issuer}.cer"

    @property
    def ocsp(self) -> str:
        return f"{self.base}/pki/ocsp"


def _algorithm(public_key) -> dict:
    if isinstance(public_key, rsa.RSAPublicKey):
        return {"algorithm": "sha256_rsa", "parameters": core.Null()}
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return {"algorithm": "sha384_ecdsa" if public_key.curve.key_size >= 384 else "sha256_ecdsa"}
    raise ValueError("unsupported CA key")


def _hash_name(algorithm: dict) -> str:
    return "sha384" if algorithm["algorithm"].startswith("sha384") else "sha256"


def _tlvs(data: bytes) -> list[bytes]:
    """Split concatenated DER values."""
    parts = []
    while data:
        _cls, _method, _tag, header, contents, trailer = parser.parse(data, strict=False)
        size = len(header) + len(contents) + len(trailer)
        parts.append(data[:size])
        data = data[size:]
    return parts


def _sign_tbs(hsm: Hsm, key_label: str, key_public, placeholder_der: bytes, algorithm_slot) -> bytes:
    """Replace the placeholder's signature: re-label the to-be-signed part with the CA's algorithm, sign it in
    the token, and assemble SEQUENCE { tbs, algorithm, BIT STRING signature } (certificate or CRL).

    Works on the DER values rather than re-encoding the parsed structure, which costs more than the signature.
    """
    algorithm = a_x509.SignedDigestAlgorithm(_algorithm(key_public))
    algorithm_der = algorithm.dump()
    tbs_der = _tlvs(parser.parse(placeholder_der)[4])[0]
    cls, method, tag, _header, contents, _trailer = parser.parse(tbs_der)
    fields = _tlvs(contents)
    fields[algorithm_slot(fields)] = algorithm_der
    tbs_der = parser.emit(cls, method, tag, b"".join(fields))
    signature = hsm.sign(key_label, tbs_der, _hash_name(algorithm.native))
    return parser.emit(0, 1, 16, tbs_der + algorithm_der + parser.emit(0, 0, 3, b"\x00" + signature))


def _certificate_algorithm_slot(fields: list[bytes]) -> int:
    return 2 if fields[0][0] == 0xA0 else 1  # after [0] version (when present) and serialNumber


def _crl_algorithm_slot(fields: list[bytes]) -> int:
    return 1 if fields[0][0] == 0x02 else 0  # after the optional version INTEGER


def _resign_certificate(hsm: Hsm, key_label: str, key_public, placeholder: x509.Certificate) -> bytes:
    return _sign_tbs(hsm, key_label, key_public, placeholder.public_bytes(serialization.Encoding.DER),
                     _certificate_algorithm_slot)


def _ski(public_key) -> x509.SubjectKeyIdentifier:
    return x509.SubjectKeyIdentifier.from_public_key(public_key)


def ca_certificate(hsm: Hsm, *, key_label: str, subject: x509.Name, serial: int, not_before: datetime,
                   not_after: datetime, parent: Issuer | None, urls: Urls, path_length: int | None) -> bytes:
    """A CA certificate: self-signed root when ``parent`` is None, else signed by the parent's key."""
    public = serialization.load_der_public_key(hsm.public_key(key_label))
    builder = (
        x509.CertificateBuilder().subject_name(subject)
        .issuer_name(parent.certificate.subject if parent else subject)
        .public_key(public).serial_number(serial).not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(_ski(public), critical=False)
    )
    if parent:
        builder = (builder
                   .add_extension(x509.AuthorityKeyIdentifier(parent.ski, None, None), critical=False)
                   .add_extension(_crl_dp(urls.crl(parent.name)), critical=False)
                   .add_extension(_aia(urls, parent.name), critical=False))
    signer = parent.key_label if parent else key_label
    signer_public = parent.certificate.public_key() if parent else public
    return _resign_certificate(hsm, signer, signer_public, builder.sign(_PLACEHOLDER, hashes.SHA256()))


def _crl_dp(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)])


def _aia(urls: Urls, issuer: str) -> x509.AuthorityInformationAccess:
    uri = x509.UniformResourceIdentifier
    return x509.AuthorityInformationAccess([
        x509.AccessDescription(AuthorityInformationAccessOID.OCSP, uri(urls.ocsp)),
        x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, uri(urls.ca(issuer))),
    ])


def end_entity_certificate(hsm: Hsm, issuer: Issuer, *, profile: Profile, subject: x509.Name, public_key,
                           serial: int, not_before: datetime, not_after: datetime, urls: Urls,
                           dns_names: tuple[str, ...] = (), profession_code: str = "") -> bytes:
    """An end-entity certificate of ``profile``, signed in the token by ``issuer``."""
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer.certificate.subject)
        .public_key(public_key).serial_number(serial).not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(key_usage(profile), critical=True)
        .add_extension(_ski(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(issuer.ski, None, None), critical=False)
        .add_extension(_crl_dp(urls.crl(issuer.name)), critical=False)
        .add_extension(_aia(urls, issuer.name), critical=False)
        .add_extension(x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(profile.policy), None)]),
                       critical=False)
    )
    if profile.extended_key_usage:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(profile.extended_key_usage)),
                                        critical=profile.eku_critical)
    if profile.ocsp_nocheck:
        builder = builder.add_extension(x509.OCSPNoCheck(), critical=False)
    if dns_names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]),
                                        critical=False)
    if profession_code:
        value = core.SequenceOf(spec=core.UTF8String, value=[profession_code]).dump()
        builder = builder.add_extension(x509.UnrecognizedExtension(PROFESSION_EXTENSION, value), critical=False)
    return _resign_certificate(hsm, issuer.key_label, issuer.certificate.public_key(),
                               builder.sign(_PLACEHOLDER, hashes.SHA256()))


@dataclass(frozen=True)
class Revocation:
    serial: int
    revoked_at: datetime
    reason: str


def certificate_revocation_list(hsm: Hsm, issuer: Issuer, *, revoked: list[Revocation], number: int,
                                this_update: datetime, next_update: datetime) -> bytes:
    """A CRL (v2, with CRL number and AKI) for ``issuer``, signed in the token."""
    builder = (
        x509.CertificateRevocationListBuilder().issuer_name(issuer.certificate.subject)
        .last_update(this_update).next_update(next_update)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier(issuer.ski, None, None), critical=False)
    )
    for item in revoked:
        entry = x509.RevokedCertificateBuilder().serial_number(item.serial).revocation_date(item.revoked_at)
        if item.reason != "unspecified":
            entry = entry.add_extension(x509.CRLReason(REASONS[item.reason]), critical=False)
        builder = builder.add_revoked_certificate(entry.build())
    placeholder = builder.sign(_PLACEHOLDER, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    return _sign_tbs(hsm, issuer.key_label, issuer.certificate.public_key(), placeholder, _crl_algorithm_slot)


# OCSP -----------------------------------------------------------------------------------------------

MAX_CERT_IDS = 10
MAX_NONCE = 32  # RFC 8954
HASHES = {"sha1", "sha256", "sha384", "sha512"}


class OcspRefusal(Exception):
    """The request gets an unsuccessful OCSP status: ``malformed_request`` or ``unauthorized``."""

    def __init__(self, status: str):
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class OcspStatus:
    status: str  # good, revoked, unknown
    revoked_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Responder:
    """A CA's delegated OCSP responder: its own key in the token and a certificate with id-kp-OCSPSigning."""

    issuer: Issuer
    key_label: str
    certificate_der: bytes

    @functools.cached_property
    def certificate(self) -> a_x509.Certificate:
        return a_x509.Certificate.load(self.certificate_der)


@dataclass(frozen=True)
class OcspQuery:
    """A parsed, bounded request: one issuer, its CertIDs and serials, the nonce if any."""

    issuer: Issuer
    cert_ids: tuple
    serials: tuple[int, ...]
    nonce: bytes | None
    cache_key: bytes  # DER of the request list: identical questions share a pre-signed answer


def _key_hash(cert: x509.Certificate, algorithm: str) -> bytes:
    spki = a_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)).public_key
    return hashlib.new(algorithm, spki["public_key"].contents[1:]).digest()


def _name_hash(cert: x509.Certificate, algorithm: str) -> bytes:
    return hashlib.new(algorithm, cert.subject.public_bytes()).digest()


@functools.lru_cache(maxsize=64)
def _issuer_hashes(issuer: Issuer, algorithm: str) -> tuple[bytes, bytes]:
    return _name_hash(issuer.certificate, algorithm), _key_hash(issuer.certificate, algorithm)


def parse_ocsp_request(request_der: bytes, issuers: list[Issuer]) -> OcspQuery:
    """Read an RFC 6960 request, refusing anything malformed or oversized before any lookup or signature."""
    try:
        request = a_ocsp.OCSPRequest.load(request_der, strict=True)
        tbs_request = request["tbs_request"]
        items = list(tbs_request["request_list"])
        if not 1 <= len(items) <= MAX_CERT_IDS:
            raise OcspRefusal("malformed_request")
        nonce = None
        for ext in tbs_request["request_extensions"] or []:
            if ext["extn_id"].native == "nonce":
                nonce = ext["extn_value"].parsed.native
                if not isinstance(nonce, bytes) or not 1 <= len(nonce) <= MAX_NONCE:
                    raise OcspRefusal("malformed_request")
        cert_ids, serials, issuer = [], [], None
        for item in items:
            cert_id = item["req_cert"]
            algorithm = cert_id["hash_algorithm"]["algorithm"].native
            if algorithm not in HASHES:
                raise OcspRefusal("malformed_request")
            found = next((i for i in issuers if _issuer_hashes(i, algorithm) == (
                cert_id["issuer_name_hash"].native, cert_id["issuer_key_hash"].native)), None)
            if found is None or (issuer is not None and found is not issuer):
                raise OcspRefusal("unauthorized")
            issuer = found
            cert_ids.append(cert_id)
            serials.append(cert_id["serial_number"].native)
        return OcspQuery(issuer, tuple(cert_ids), tuple(serials), nonce, tbs_request["request_list"].dump())
    except OcspRefusal:
        raise
    except Exception:  # asn1crypto raises ValueError, TypeError, KeyError… on hostile input
        raise OcspRefusal("malformed_request") from None


def ocsp_response(hsm: Hsm, responder: Responder, query: OcspQuery, statuses: list[OcspStatus],
                  now: datetime, lifetime: timedelta = OCSP_LIFETIME) -> bytes:
    """A successful response for ``query``, signed by the delegated responder's key and carrying its certificate.

    Built with asn1crypto: cryptography's OCSP builder wants the responder's private key itself.
    """
    now = now.replace(microsecond=0)
    single_responses = []
    for cert_id, state in zip(query.cert_ids, statuses, strict=True):
        if state.status == "revoked":
            info = {"revocation_time": state.revoked_at.replace(microsecond=0)}
            if state.reason and state.reason != "unspecified":
                info["revocation_reason"] = state.reason
            status = a_ocsp.CertStatus(name="revoked", value=info)
        else:
            status = a_ocsp.CertStatus(name=state.status, value=core.Null())
        single_responses.append({"cert_id": cert_id, "cert_status": status, "this_update": now,
                                 "next_update": now + lifetime})
    public = responder.certificate.public_key
    key_hash = hashlib.sha1(public["public_key"].contents[1:]).digest()  # noqa: S324 - RFC 6960's KeyHash
    data = {
        "version": "v1",
        "responder_id": a_ocsp.ResponderId(name="by_key", value=key_hash),
        "produced_at": now,
        "responses": single_responses,
    }
    if query.nonce is not None:
        data["response_extensions"] = [{"extn_id": "nonce", "critical": False, "extn_value": query.nonce}]
    tbs = a_ocsp.ResponseData(data)
    algorithm = a_x509.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"} if public.algorithm == "ec"
                                             else {"algorithm": "sha256_rsa", "parameters": core.Null()})
    signature = hsm.sign(responder.key_label, tbs.dump(), "sha256")
    signed = a_ocsp.BasicOCSPResponse({"tbs_response_data": tbs, "signature_algorithm": algorithm,
                                       "signature": signature, "certs": [responder.certificate]})
    return a_ocsp.OCSPResponse({"response_status": "successful", "response_bytes": {
        "response_type": "basic_ocsp_response", "response": signed}}).dump()


def unsuccessful_ocsp_response(status: str) -> bytes:
    return a_ocsp.OCSPResponse({"response_status": status}).dump()
