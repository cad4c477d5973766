"""The ACME server's rules (RFC 8555), apart from HTTP and storage: problem types, the algorithms and keys
accepted, identifiers, the order's status from its authorizations, revocation reasons and the rate limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from app.domain.certificates import CertificateRequestError, validate_dns_name

ERROR_PREFIX = "urn:ietf:params:acme:error:"
# RFC 8555 §6.7's types and the HTTP status each is answered with here.
STATUS = {
    "accountDoesNotExist": 400, "alreadyRevoked": 400, "badCSR": 400, "badNonce": 400, "badPublicKey": 400,
    "badRevocationReason": 400, "badSignatureAlgorithm": 400, "caa": 403, "connection": 400, "dns": 400,
    "externalAccountRequired": 403, "incorrectResponse": 400, "invalidContact": 400, "malformed": 400,
    "orderNotReady": 403, "rateLimited": 429, "rejectedIdentifier": 400, "serverInternal": 500,
    "unauthorized": 403, "unsupportedContact": 400, "unsupportedIdentifier": 400, "alreadyReplaced": 409,
}
# ES256 first: certbot and lego sign with it by default. RSA below 2048 bits and "none" or HMAC are refused.
ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "PS256")
CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
MIN_RSA_BITS = 2048
CHALLENGES = ("http-01", "dns-01")
# RFC 5280 reason codes a subscriber may give (RFC 8555 §7.6), as the portal's CRL names them.
REVOCATION_REASONS = {0: "unspecified", 1: "key_compromise", 3: "affiliation_changed", 4: "superseded",
                      5: "cessation_of_operation"}
MAX_NAMES = 50
ORDER_LIFETIME = timedelta(days=7)
NONCE_LIFETIME = timedelta(hours=1)


class Problem(Exception):
    """An RFC 7807 problem document with an ACME error type; ``subproblems`` name the identifiers at fault."""

    def __init__(self, kind: str, detail: str, *, status: int | None = None, subproblems: list[dict] | None = None,
                 retry_after: int | None = None, algorithms: tuple[str, ...] | None = None):
        super().__init__(detail)
        self.kind, self.detail = kind, detail
        self.status = status or STATUS.get(kind, 400)
        self.subproblems = subproblems or []
        self.retry_after, self.algorithms = retry_after, algorithms

    def document(self) -> dict:
        body = {"type": ERROR_PREFIX + self.kind, "detail": self.detail, "status": self.status}
        if self.subproblems:
            body["subproblems"] = self.subproblems
        if self.algorithms:
            body["algorithms"] = list(self.algorithms)
        return body


def problem_of(kind: str, detail: str, identifier: str | None = None) -> dict:
    """A stored error (an authorization's or an order's): the same document, as JSON data."""
    body = {"type": ERROR_PREFIX + kind, "detail": detail, "status": STATUS.get(kind, 400)}
    if identifier:
        body["identifier"] = {"type": "dns", "value": identifier}
    return body


def parse_identifiers(raw) -> list[str]:
    """The DNS names of a newOrder (or a CSR), checked and lower-cased, in order, each once."""
    if not isinstance(raw, list) or not raw:
        raise Problem("malformed", "« identifiers » est une liste non vide d’identifiants {type, value}.")
    if len(raw) > MAX_NAMES:
        raise Problem("rejectedIdentifier", f"{MAX_NAMES} noms au plus par commande.")
    names, refused = [], []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise Problem("malformed", "Chaque identifiant est un objet {type, value}.")
        if item.get("type") != "dns":
            raise Problem("unsupportedIdentifier", "Seuls les identifiants de type « dns » sont délivrés (pas "
                          "d’adresse IP).")
        try:
            names.append(validate_dns_name(item["value"]))
        except CertificateRequestError as exc:
            refused.append(problem_of("rejectedIdentifier", str(exc), item["value"][:253]))
    if refused:
        raise Problem("rejectedIdentifier", refused[0]["detail"], subproblems=refused)
    return list(dict.fromkeys(names))


# RFC 8555 §7.1.6: the statuses each object may move to; every change goes through :func:`moved`.
LIFECYCLES: dict[str, dict[str, frozenset[str]]] = {
    "order": {"pending": frozenset({"ready", "invalid"}), "ready": frozenset({"processing", "invalid"}),
              "processing": frozenset({"valid", "invalid"}), "valid": frozenset(), "invalid": frozenset()},
    "authorization": {"pending": frozenset({"valid", "invalid", "deactivated", "expired"}),
                      "valid": frozenset({"deactivated", "expired", "revoked"}), "invalid": frozenset(),
                      "deactivated": frozenset(), "expired": frozenset(), "revoked": frozenset()},
    "account": {"valid": frozenset({"deactivated", "revoked"}), "deactivated": frozenset(), "revoked": frozenset()},
}


def moved(kind: str, current: str, target: str) -> str:
    """``target`` if an ACME ``kind`` (order, authorization, account) may go there from ``current``; staying put is
    always allowed. A move the lifecycle forbids is the server's error, never the client's."""
    if target != current and target not in LIFECYCLES[kind][current]:
        raise Problem("serverInternal", f"Passage impossible de « {current} » à « {target} » ({kind}).")
    return target


def order_status(current: str, authorizations: list[str]) -> str:
    """A pending order becomes ready once every authorization is valid, invalid once one is not pending."""
    if current != "pending":
        return current
    if all(status == "valid" for status in authorizations):
        return "ready"
    if any(status in ("invalid", "deactivated", "expired", "revoked") for status in authorizations):
        return "invalid"
    return "pending"


@dataclass(frozen=True)
class Limits:
    """What one account, and one declared domain, may ask for (counted in the database, so across nodes)."""

    orders_per_hour: int = 100  # new orders per account per rolling hour
    pending_orders: int = 50  # orders of an account neither valid nor invalid, not yet expired
    certificates_per_domain_week: int = 50  # SERV SSL certificates by ACME per declared domain per 7 days
    windows: dict = field(default_factory=lambda: {"hour": timedelta(hours=1), "week": timedelta(days=7)})


# RFC 9773 (ARI): a certificate is named by its Authority Key Identifier and serial; a renewal is suggested within a
# window, two thirds into its life unless the agency moved it earlier.
RENEWAL_INFO_RETRY = 6 * 3600  # seconds a client waits before asking again (Retry-After)


def ari_id(key_identifier: bytes, serial: int) -> str:
    """``base64url(AKI keyIdentifier) "." base64url(serial's DER content octets)``, unpadded (RFC 9773 § 4.1)."""
    import base64

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{b64(key_identifier)}.{b64(serial.to_bytes((serial.bit_length() + 8) // 8, 'big'))}"


def parse_ari_id(text: str) -> tuple[bytes, int] | None:
    """The (keyIdentifier, serial) an ARI certificate identifier names, or None when it is not one."""
    import base64
    import binascii

    parts = text.split(".")
    if len(parts) != 2 or not all(parts) or any("=" in part for part in parts):
        return None
    try:
        key_id, serial = (base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in parts)
    except (binascii.Error, ValueError):
        return None
    if not key_id or not serial or len(serial) > 20:
        return None
    return key_id, int.from_bytes(serial, "big", signed=True)


def suggested_window(not_before, not_after) -> tuple:
    """The default window: from two thirds of the certificate's life, for a twelfth of it (certbot and the others
    renew at a random moment inside, spreading the load)."""
    life = not_after - not_before
    start = not_before + life * 2 / 3
    return start, start + life / 12
