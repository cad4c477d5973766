"""A small ACME client over Flask's test client, signing with josepy like certbot does, able to send what a
well-behaved client never would (a replayed nonce, another url, alg "none")."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import josepy as jose
from acme import jws as acme_jws
from cryptography.hazmat.primitives.asymmetric import ec

BASE = "http://localhost"


def new_key() -> jose.JWKEC:
    return jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))


def b64(data: bytes) -> str:
    return jose.b64.b64encode(data).decode()


def eab_binding(key_id: str, hmac_key: str, account_key: jose.JWK, url: str) -> dict:
    protected = b64(json.dumps({"alg": "HS256", "kid": key_id, "url": url}).encode())
    payload = b64(json.dumps(account_key.public_key().to_partial_json()).encode())
    secret = base64.urlsafe_b64decode(hmac_key + "=" * (-len(hmac_key) % 4))
    signature = hmac.new(secret, f"{protected}.{payload}".encode(), hashlib.sha256).digest()
    return {"protected": protected, "payload": payload, "signature": b64(signature)}


class Acme:
    def __init__(self, client, key: jose.JWK | None = None):
        self.client = client
        self.key = key or new_key()
        self.kid: str | None = None
        self.directory = client.get("/acme/directory").get_json()
        self._nonce: str | None = None

    def nonce(self) -> str:
        if self._nonce is None:
            self._nonce = self.client.head("/acme/new-nonce").headers["Replay-Nonce"]
        value, self._nonce = self._nonce, None
        return value

    def signed(self, url: str, payload, *, key: jose.JWK | None = None, kid: str | None = None, use_jwk=False,
               nonce: str | None = None, signed_url: str | None = None) -> str:
        key = key or self.key
        body = b"" if payload is None else json.dumps(payload).encode()
        return acme_jws.JWS.sign(body, key=key, alg=jose.ES256, nonce=jose.b64.b64decode(nonce or self.nonce()),
                                 url=signed_url or url, kid=None if use_jwk else (kid or self.kid)).json_dumps()

    def post(self, url: str, payload=None, *, raw: str | None = None, **kw):
        data = raw if raw is not None else self.signed(url, payload, **kw)
        response = self.client.post(url.removeprefix(BASE), data=data, content_type="application/jose+json")
        self._nonce = response.headers.get("Replay-Nonce")
        return response

    def register(self, key_id: str, hmac_key: str, **payload):
        url = self.directory["newAccount"]
        body = {"termsOfServiceAgreed": True,
                "externalAccountBinding": eab_binding(key_id, hmac_key, self.key, url)} | payload
        response = self.post(url, body, use_jwk=True)
        if response.status_code in (200, 201):
            self.kid = response.headers["Location"]
        return response

    def order(self, *names: str):
        return self.post(self.directory["newOrder"], {"identifiers": [{"type": "dns", "value": n} for n in names]})

    def key_authorization(self, token: str) -> str:
        return f"{token}.{b64(self.key.thumbprint())}"
