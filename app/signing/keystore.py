"""The one small interface everything that signs goes through, and its in-memory implementation.

:class:`app.signing.hsm.Hsm` is the real one (keys in a PKCS#11 token). :class:`SoftwareKeyStore` keeps
keys in process memory, for unit tests of documents and workflows that need signatures but no SoftHSM;
it is never wired into the app (create_app builds the Hsm). The PKI's own tests keep SoftHSM.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from asn1crypto import keys as a_keys
from asn1crypto import x509 as a_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .hsm import HsmError, KeyInfo

HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
CURVES = {"ec-p256": ec.SECP256R1, "ec-p384": ec.SECP384R1}


class KeyStore(Protocol):
    """Keys by label that sign and never leave the store."""

    def generate_keypair(self, label: str, algorithm: str = "rsa3072") -> bytes: ...  # SPKI DER
    def public_key(self, label: str) -> bytes: ...
    def has_key(self, label: str) -> bool: ...
    def sign(self, label: str, data: bytes, hash_name: str = "sha256") -> bytes: ...
    def list_keys(self) -> list[KeyInfo]: ...
    def status(self) -> dict: ...
    def pdf_signer(self, label: str, certificate: a_x509.Certificate, chain: list[a_x509.Certificate]): ...
    def import_secret(self, label: str, value: bytes) -> None: ...  # a MAC key, never readable again
    def mac(self, label: str, data: bytes) -> bytes: ...  # HMAC-SHA256
    def destroy_secret(self, label: str) -> None: ...
    def labels(self) -> dict[str, str]: ...  # label -> kind (« paire » or « secret »), every object of the store
    def destroy_key(self, label: str) -> None: ...  # every object with this label (key pair or secret)


class SoftwareKeyStore:
    """In-memory keys with the same behaviour as the token: labels unique, RSA PKCS#1 v1.5, DER ECDSA."""

    def __init__(self):
        self._keys: dict[str, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey] = {}
        self._lock = threading.Lock()

    def generate_keypair(self, label: str, algorithm: str = "rsa3072") -> bytes:
        with self._lock:
            if label in self._keys:
                raise HsmError(f"Une clé « {label} » existe déjà dans le jeton.")
            if algorithm.startswith("rsa"):
                key = rsa.generate_private_key(public_exponent=65537, key_size=int(algorithm[3:]))
            elif algorithm in CURVES:
                key = ec.generate_private_key(CURVES[algorithm]())
            else:
                raise HsmError(f"Algorithme de clé non pris en charge : {algorithm}.")
            self._keys[label] = key
        return self.public_key(label)

    def _key(self, label: str):
        key = self._keys.get(label)
        if key is None:
            raise HsmError(f"Clé « {label} » absente du jeton.")
        return key

    def public_key(self, label: str) -> bytes:
        return self._key(label).public_key().public_bytes(serialization.Encoding.DER,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo)

    def has_key(self, label: str) -> bool:
        return label in self._keys

    def sign(self, label: str, data: bytes, hash_name: str = "sha256") -> bytes:
        key, algorithm = self._key(label), HASHES[hash_name]()
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), algorithm)
        return key.sign(data, ec.ECDSA(algorithm))

    def list_keys(self) -> list[KeyInfo]:
        return [KeyInfo(label, "RSA" if isinstance(k, rsa.RSAPrivateKey) else "EC", False, True)
                for label, k in sorted(self._keys.items()) if not isinstance(k, bytes)]

    def import_secret(self, label: str, value: bytes) -> None:
        with self._lock:
            if label in self._keys:
                raise HsmError(f"Une clé « {label} » existe déjà dans le jeton.")
            self._keys[label] = bytes(value)

    def mac(self, label: str, data: bytes) -> bytes:
        import hmac

        return hmac.new(self._key(label), data, "sha256").digest()

    def destroy_secret(self, label: str) -> None:
        self._keys.pop(label, None)

    def labels(self) -> dict[str, str]:
        return {label: "secret" if isinstance(k, bytes) else "paire" for label, k in self._keys.items()}

    def destroy_key(self, label: str) -> None:
        self._keys.pop(label, None)

    def status(self) -> dict:
        return {"ok": True, "token": "mémoire", "module": "logiciel"}

    @contextmanager
    def pdf_signer(self, label: str, certificate: a_x509.Certificate,
                   chain: list[a_x509.Certificate]) -> Iterator:
        from pyhanko.sign.signers import SimpleSigner
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        der = self._key(label).private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption())
        yield SimpleSigner(signing_cert=certificate, signing_key=a_keys.PrivateKeyInfo.load(der),
                           cert_registry=SimpleCertificateStore.from_certs(chain))
