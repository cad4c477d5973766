"""Certificate profiles (IGC-Santé conventions), subjects built from the structure, and input rules.

Profiles are data: key usages, extended key usages, whether a DNS SAN is required, the issuing CA.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import datetime

import idna
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from publicsuffixlist import PublicSuffixList

from .refusals import Refusal

# The portal's own private arc (placeholder enterprise arc for this deployment's policies).
POLICY_ARC = "1.2.250.1.999.1"
PROFESSION_EXTENSION = ObjectIdentifier("1.2.250.1.71.1.2.7")
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
VALIDITY_YEARS = 3


class CertificateRequestError(Refusal, ValueError):
    """The request cannot be honoured; ``field`` names the form field, the message is French."""

    def __init__(self, message: str, field: str = "csr"):
        super().__init__(message, field)


class KeyRefused(CertificateRequestError):
    """The request's public key may not be certified (already certified elsewhere, or revoked for compromise)."""


class AlreadyRevoked(CertificateRequestError):
    """The certificate was revoked before this request (maybe by a concurrent one)."""

    status = 409

    def __init__(self, message: str = "Ce certificat est déjà révoqué.", field: str = "reason"):
        super().__init__(message, field)


@dataclass(frozen=True)
class Profile:
    code: str
    family: str  # ORG, SERV or CARD
    label: str
    issuer: str  # issuing CA name
    key_usage: frozenset[str]
    extended_key_usage: tuple[ObjectIdentifier, ...]
    san_dns_required: bool = False
    policy: str = ""
    ocsp_nocheck: bool = False  # delegated OCSP responders: clients do not check their status (RFC 6960)
    validity_days: int = 0  # 0: VALIDITY_YEARS
    eku_critical: bool = False


def _ku(*names: str) -> frozenset[str]:
    return frozenset(names)


PROFILES: dict[str, Profile] = {p.code: p for p in (
    Profile("ORG_AUTH_CLI", "ORG", "Authentification client (personne morale)", "organisations",
            _ku("digital_signature", "key_encipherment"), (ExtendedKeyUsageOID.CLIENT_AUTH,),
            policy=f"{POLICY_ARC}.1.1"),
    Profile("ORG_SIGN", "ORG", "Signature / cachet (personne morale)", "organisations",
            _ku("digital_signature", "content_commitment"),
            (ExtendedKeyUsageOID.EMAIL_PROTECTION, DOCUMENT_SIGNING), policy=f"{POLICY_ARC}.1.2"),
    Profile("ORG_CONF", "ORG", "Confidentialité (chiffrement)", "organisations",
            _ku("key_encipherment", "data_encipherment"), (), policy=f"{POLICY_ARC}.1.3"),
    Profile("SERV_SSL", "SERV", "Serveur TLS", "organisations",
            _ku("digital_signature", "key_encipherment"),
            (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH), san_dns_required=True,
            policy=f"{POLICY_ARC}.2.1"),
    Profile("CARD_AUTH", "CARD", "Carte de test – authentification", "personnes",
            _ku("digital_signature"), (ExtendedKeyUsageOID.CLIENT_AUTH,), policy=f"{POLICY_ARC}.3.1"),
    # Issued by each CA to its own responder, short-lived because nobody checks its revocation.
    Profile("OCSP_SIGNING", "PKI", "Répondeur OCSP délégué", "", _ku("digital_signature"),
            (ExtendedKeyUsageOID.OCSP_SIGNING,), policy=f"{POLICY_ARC}.4.1", ocsp_nocheck=True, validity_days=90),
)}
PROFILES["TSA"] = Profile(  # RFC 3161 §2.3: the only extended key usage, and critical
    "TSA", "PKI", "Horodatage du portail", "organisations", _ku("digital_signature"),
    (ExtendedKeyUsageOID.TIME_STAMPING,), policy=f"{POLICY_ARC}.5.2", eku_critical=True)
CARD_PROFILE = PROFILES["CARD_AUTH"]

DEPARTEMENTS = {"44": "Loire-Atlantique", "69": "Rhône", "35": "Ille-et-Vilaine", "75": "Paris", "2A": "Corse-du-Sud",
                "2B": "Haute-Corse", "13": "Bouches-du-Rhône", "33": "Gironde", "59": "Nord", "67": "Bas-Rhin"}

_DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def key_usage(profile: Profile) -> x509.KeyUsage:
    names = profile.key_usage
    return x509.KeyUsage(
        digital_signature="digital_signature" in names, content_commitment="content_commitment" in names,
        key_encipherment="key_encipherment" in names, data_encipherment="data_encipherment" in names,
        key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
    )


def validate_dns_name(name: str) -> str:
    """A fully qualified host name (no wildcard, no IP), lower-cased, in A-labels (``hôpital.fr`` becomes
    ``xn--hpital-bva.fr``); refused when an A-label is not valid IDNA (``xn--zz``) or the name is a public suffix
    (``fr``, ``gouv.fr``: the Public Suffix List), as a public CA refuses them."""
    value = (name or "").strip().lower().rstrip(".")
    invalid = CertificateRequestError(f"Nom DNS invalide\u00a0: «\u00a0{name}\u00a0» (nom de domaine complet attendu, "
                                      "sans joker ni adresse IP).", field="dns_names")
    if not value.isascii():
        try:
            value = idna.encode(value, uts46=True).decode()
        except (idna.IDNAError, UnicodeError):
            raise invalid from None
    labels = value.split(".")
    if (len(value) > 253 or len(labels) < 2 or not all(_DNS_LABEL.fullmatch(label) for label in labels)
            or re.fullmatch(r"[0-9]+", labels[-1])):
        raise invalid
    for label in labels:
        if label[2:4] == "--":  # reserved for A-labels: « xn-- » only, and a valid one
            try:
                if not label.startswith("xn--") or idna.decode(label) == label:
                    raise invalid
            except (idna.IDNAError, UnicodeError):
                raise invalid from None
    if _public_suffixes().is_public(value):
        raise CertificateRequestError(f"«\u00a0{value}\u00a0» est un suffixe public (comme «\u00a0fr\u00a0» ou "
                                      "«\u00a0gouv.fr\u00a0»)\u00a0: indiquez un nom dans le domaine de la "
                                      "structure.", field="dns_names")
    return value


@functools.cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def parse_domains(text: str) -> list[str]:
    """Domain names typed in one field, separated by spaces or commas: checked, lower-cased, each once."""
    return list(dict.fromkeys(validate_dns_name(n) for n in (text or "").replace(",", " ").split()))


def within(name: str, domain: str) -> bool:
    """Whether the host ``name`` is ``domain`` itself or lies under it (``a.chu.fr`` under ``chu.fr``)."""
    return name == domain or name.endswith("." + domain)


def check_declared(names: list[str], declared: list[str]) -> None:
    """Every SERV SSL name must fall inside a domain the structure declared for its SERV perimeter (F413/F503)."""
    for name in names:
        if not any(within(name, domain) for domain in declared):
            shown = ", ".join(declared) if declared else "aucun"
            raise CertificateRequestError(
                f"Le nom « {name} » n’est dans aucun domaine déclaré par la structure pour ses serveurs "
                f"(domaines déclarés : {shown}). Un domaine se déclare par un formulaire F413 ou F503 (famille "
                "SERV) accepté par l’ANS.", field="dns_names")


def validate_service_name(name: str, product: str = "") -> str:
    """The CN: free text, except INSi whose CN is exactly INSI-AUTO or INSI-MANU."""
    value = re.sub(r"\s+", " ", (name or "").strip())
    if product.upper() == "INSI":
        if value not in ("INSI-AUTO", "INSI-MANU"):
            raise CertificateRequestError("Pour INSi, le nom du service est exactement INSI-AUTO ou INSI-MANU.",
                                          field="service_name")
        return value
    if not 3 <= len(value) <= 64 or not re.fullmatch(r"[\w .,'’()/-]+", value):
        raise CertificateRequestError("Le nom du service comporte de 3 à 64 caractères (lettres, chiffres, "
                                      "espaces, - . , ' ( ) /).", field="service_name")
    return value


def organisation_subject(*, structure_name: str, structure_national_id: str, departement: str,
                         common_name: str) -> x509.Name:
    """C=FR, ST=<Département (NN)>, O=<raison sociale>, OU=<structure id with type prefix>, CN=<service>."""
    label = DEPARTEMENTS.get(departement, "")
    state = f"{label} ({departement})" if label else departement
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, state),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, structure_name[:64]),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, structure_national_id),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def card_subject(*, national_id: str, family_name: str, given_name: str, title: str) -> x509.Name:
    """Test CPS card: multi-valued RDN CN+SN+GN, and the profession label as title."""
    return x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.TITLE, title)]),
        x509.RelativeDistinguishedName([
            x509.NameAttribute(NameOID.COMMON_NAME, national_id),
            x509.NameAttribute(NameOID.SURNAME, family_name),
            x509.NameAttribute(NameOID.GIVEN_NAME, given_name),
        ]),
    ])


def validity_end(start: datetime, years: int = VALIDITY_YEARS) -> datetime:
    """Same day and time ``years`` later (29 February becomes 28 February)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)
