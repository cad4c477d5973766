"""Every ACME POST is a JWS (RFC 8555 §6.2): checked here strictly before any state is read: flattened JSON only,
an allowed algorithm, a single-use nonce, the exact URL, ``jwk`` or ``kid`` as the resource demands, a public key
of an accepted type and size, then the signature. josepy (certbot's) parses and verifies the JWS itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import struct
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

import josepy as jose
import sqlalchemy as sa
from acme import jws as acme_jws
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlmodel import Session, delete

from app.domain.acme import ALGORITHMS, CURVES, MIN_RSA_BITS, NONCE_LIFETIME, Problem
from app.domain.inputs import parse_id
from app.models import AcmeAccount, AcmeNonce
from app.models.base import utcnow

JOSE_JSON = "application/jose+json"
_PRUNE_ONE_IN = 256


@dataclass
class Signed:
    """A checked request: its payload (None for a POST-as-GET), the key that signed it, and its account (kid)."""

    payload: dict | None
    jwk: jose.JWK
    account: AcmeAccount | None
    protected: dict


class Nonces:
    """Stateless nonces (random, expiry, HMAC under the portal's secret: any node checks them) whose use is
    recorded once (``acme_nonce``): a replay finds its row. Used rows are pruned once expired."""

    def __init__(self, secret: str):
        self._key = hmac.new(secret.encode(), b"acme-nonce", hashlib.sha256).digest()

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:16]

    def issue(self, now: datetime | None = None) -> str:
        expiry = int(((now or utcnow()) + NONCE_LIFETIME).timestamp())
        body = secrets.token_bytes(16) + struct.pack(">Q", expiry)
        return base64.urlsafe_b64encode(body + self._mac(body)).decode().rstrip("=")

    def expiry(self, value: str) -> datetime | None:
        """When ``value`` expires if the portal issued it, else None."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except (ValueError, TypeError):
            return None
        if len(raw) != 40 or not hmac.compare_digest(self._mac(raw[:24]), raw[24:]):
            return None
        return datetime.fromtimestamp(struct.unpack(">Q", raw[16:24])[0], tz=utcnow().tzinfo)

    def use(self, writing: Callable[[], AbstractContextManager[Session]], value: str) -> None:
        """Record the nonce as used in a short transaction of its own (``writing``), committed before the request
        does anything: a refused request rolls its own writes back, never the use of its nonce."""
        now = utcnow()
        expires = self.expiry(value) if isinstance(value, str) and len(value) <= 64 else None
        if expires is None or expires <= now:
            raise Problem("badNonce", "Nonce inconnu ou expiré : demandez-en un nouveau (newNonce).")
        try:
            with writing() as db:
                db.add(AcmeNonce(value=value, expires_at=expires))
                db.flush()
                if secrets.randbelow(_PRUNE_ONE_IN) == 0:
                    db.execute(delete(AcmeNonce).where(AcmeNonce.expires_at < now))
        except sa.exc.IntegrityError:
            raise Problem("badNonce", "Ce nonce a déjà servi : chaque requête en demande un nouveau.") from None


def _b64json(value: str, what: str) -> dict:
    try:
        decoded = json.loads(jose.b64.b64decode(value))
    except (ValueError, TypeError, UnicodeDecodeError):
        raise Problem("malformed", f"{what} illisible (base64url d’un objet JSON attendu).") from None
    if not isinstance(decoded, dict):
        raise Problem("malformed", f"{what} : objet JSON attendu.")
    return decoded


def envelope(body: bytes, content_type: str) -> dict:
    """The flattened JWS as sent, with its protected header decoded."""
    if (content_type or "").split(";")[0].strip().lower() != JOSE_JSON:
        raise Problem("malformed", f"Type de contenu attendu : {JOSE_JSON}.", status=415)
    try:
        outer = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Problem("malformed", "Corps JSON illisible.") from None
    if not isinstance(outer, dict) or set(outer) != {"protected", "payload", "signature"} \
            or not all(isinstance(v, str) for v in outer.values()):
        raise Problem("malformed", "JWS attendu en sérialisation JSON aplatie (protected, payload, signature), "
                      "sans en-tête non protégé.")
    return {"outer": outer, "protected": _b64json(outer["protected"], "En-tête protégé")}


def public_jwk(header_jwk) -> jose.JWK:
    """An account or certificate public key as a JWK: RSA of 2048 bits or more, or EC on P-256/384/521."""
    if not isinstance(header_jwk, dict) or "d" in header_jwk:
        raise Problem("badPublicKey", "Clé publique JWK attendue (sans partie privée).")
    try:
        key = jose.JWK.from_json(header_jwk)
    except (jose.DeserializationError, ValueError, TypeError, KeyError):
        raise Problem("badPublicKey", "Clé JWK illisible.") from None
    if isinstance(key, jose.JWKRSA) and isinstance(crypto_key(key), rsa.RSAPublicKey) \
            and key.key.key_size >= MIN_RSA_BITS:
        return key
    if isinstance(key, jose.JWKEC) and isinstance(crypto_key(key), ec.EllipticCurvePublicKey):
        return key
    raise Problem("badPublicKey", f"Clé refusée : RSA de {MIN_RSA_BITS} bits au moins, ou EC P-256, P-384, P-521.")


def crypto_key(key: jose.JWK):
    """The cryptography key inside josepy's comparable wrapper."""
    return getattr(key.key, "_wrapped", key.key)


def _alg_fits(alg: str, key: jose.JWK) -> bool:
    inner = crypto_key(key)
    if alg in CURVES:
        return isinstance(inner, ec.EllipticCurvePublicKey) and \
            {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}.get(inner.curve.name) == CURVES[alg]
    return isinstance(inner, rsa.RSAPublicKey)


def verify_jws(outer: dict, protected: dict, key: jose.JWK, *, refusal: str = "malformed") -> bytes:
    """The payload of ``outer`` once its signature by ``key`` checks, under an allowed algorithm that fits the key;
    a signature that does not check is refused as ``refusal``."""
    alg = protected.get("alg")
    if alg not in ALGORITHMS:
        raise Problem("badSignatureAlgorithm", f"Algorithme de signature refusé : {str(alg)[:20]}.",
                      algorithms=ALGORITHMS)
    if not _alg_fits(alg, key):
        raise Problem("badSignatureAlgorithm", f"L’algorithme {alg} ne correspond pas à la clé.",
                      algorithms=ALGORITHMS)
    try:
        parsed = acme_jws.JWS.from_json(outer)
        good = parsed.verify(key)
    except (jose.Error, ValueError, TypeError, KeyError):
        good = False
    if not good:
        raise Problem(refusal, "Signature JWS invalide." if refusal == "malformed" else
                      "Signature JWS invalide pour la clé de ce compte (clé remplacée par keyChange\u00a0?).")
    return parsed.payload


def check(db: Session, nonces: Nonces, body: bytes, content_type: str, *, url: str, account_url: str,
          key_from: str, writing: Callable[[], AbstractContextManager[Session]]) -> Signed:
    """A POST to ``url``: ``key_from`` is "jwk" (newAccount), "kid" (the rest) or "either" (revokeCert);
    ``writing`` opens the short transaction the nonce's use is committed in."""
    sent = envelope(body, content_type)
    outer, protected = sent["outer"], sent["protected"]
    nonces.use(writing, protected.get("nonce"))
    if protected.get("url") != url:
        raise Problem("unauthorized", "L’URL signée (« url ») n’est pas celle de la requête.")
    has_jwk, has_kid = "jwk" in protected, "kid" in protected
    if has_jwk == has_kid:
        raise Problem("malformed", "L’en-tête porte « jwk » ou « kid », l’un des deux exactement.")
    if has_jwk and key_from == "kid":
        raise Problem("malformed", "Cette ressource se signe avec la clé du compte (« kid »).")
    if has_kid and key_from == "jwk":
        raise Problem("malformed", "newAccount se signe avec la clé elle-même (« jwk »).")
    account = None
    if has_kid:
        account = _account(db, protected["kid"], account_url)
        key = jose.JWK.from_json(account.jwk)
    else:
        key = public_jwk(protected["jwk"])
    # signed with a key that is not (or no longer) the account's: not a malformed request, an unauthorized one
    payload = verify_jws(outer, protected, key, refusal="unauthorized" if account is not None else "malformed")
    if payload == b"":
        return Signed(None, key, account, protected)
    try:
        decoded = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise Problem("malformed", "Charge utile JSON illisible.") from None
    if not isinstance(decoded, dict):
        raise Problem("malformed", "Charge utile : objet JSON attendu.")
    return Signed(decoded, key, account, protected)


def _account(db: Session, kid, account_url: str) -> AcmeAccount:
    prefix = account_url.rstrip("/") + "/"
    account_id = parse_id(kid[len(prefix):]) if isinstance(kid, str) and kid.startswith(prefix) else None
    account = db.get(AcmeAccount, account_id) if account_id is not None else None
    if account is None:
        raise Problem("accountDoesNotExist", "Compte ACME inconnu (« kid »).")
    if account.status != "valid":
        raise Problem("unauthorized", "Ce compte ACME est désactivé.")
    return account


def thumbprint(key: jose.JWK) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url: the account key's identity and the key authorization's suffix."""
    return jose.b64.b64encode(key.thumbprint()).decode()
