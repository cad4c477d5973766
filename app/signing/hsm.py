"""PKCS#11 token access: one logged-in session per process, serialised by a lock.

python-pkcs11 initialises the module without OS locking, so a session is never shared between
threads: every use goes through :meth:`Hsm.session`, which holds the lock. The session is opened
lazily, after fork; a forked child forgets its parent's session (``os.register_at_fork``), and
gunicorn's ``post_fork`` hook calls :func:`reset_all` as well.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11 import exceptions as p11
from pkcs11.util.ec import encode_ec_public_key, encode_ecdsa_signature, encode_named_curve_parameters
from pkcs11.util.rsa import encode_rsa_public_key

from app import metrics

_instances: weakref.WeakSet[Hsm] = weakref.WeakSet()

# Errors after which the session cannot be trusted any more: drop it and report the token down.
_SESSION_LOST = (
    p11.DeviceRemoved,
    p11.DeviceError,
    p11.TokenNotPresent,
    p11.TokenNotRecognised,
    p11.SessionHandleInvalid,
    p11.SessionClosed,
    p11.UserNotLoggedIn,
    p11.GeneralError,
    p11.ObjectHandleInvalid,  # a cached key handle whose object the token no longer has (token store gone)
    p11.KeyHandleInvalid,
)
RECYCLE_AFTER = 3  # failed reopenings in a row with the library reinitialised: the module itself is wedged


def _lost(exc: BaseException) -> bool:
    """A session or key that vanished: PKCS#11's own codes, or pyHanko's bare PKCS11Error when its key lookup
    finds nothing in a token that had the key (« Could not find private key »)."""
    return isinstance(exc, _SESSION_LOST) or type(exc) is p11.PKCS11Error


class HsmError(Exception):
    """The token cannot do what was asked. The message is safe to show to an operator."""


class HsmUnavailable(HsmError):
    """Module missing, token absent, PIN refused, or session lost. ``transient``: the module answered with an
    error a reloaded module may not give (SoftHSM read a token file another process was rewriting)."""

    def __init__(self, message: str, *, transient: bool = False):
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class KeyInfo:
    label: str
    key_type: str
    extractable: bool
    sensitive: bool


class Hsm:
    """A PKCS#11 token selected by label, with its user PIN."""

    def __init__(self, module_path: str, token_label: str, pin: str):
        self.module_path = module_path
        self.token_label = token_label
        self._pin = pin
        self._lock = threading.RLock()
        self._session: pkcs11.Session | None = None
        self._pid: int | None = None
        self._private_keys: dict[str, object] = {}
        self._pin_refused = False  # never try a refused PIN again: a rotated PIN would lock the token
        self.failures = 0  # session losses since the last signature that worked; RECYCLE_AFTER: recycle
        _instances.add(self)

    def reset(self) -> None:
        """Forget the session without touching the token (used after fork)."""
        self._session = None
        self._pid = None
        self._private_keys = {}
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            if self._session is not None and self._pid == os.getpid():
                try:
                    self._session.close()
                except p11.PKCS11Error:
                    pass
            self.reset()

    def _open(self) -> pkcs11.Session:
        if not Path(self.module_path).exists():
            raise HsmUnavailable(
                f"Module PKCS#11 introuvable : {self.module_path}. Installez SoftHSM2 "
                "(apt-get install softhsm2) ou indiquez le module de votre HSM dans PKCS11_MODULE."
            )
        try:
            lib = pkcs11.lib(self.module_path)
            token = lib.get_token(token_label=self.token_label)
        except p11.NoSuchToken:
            raise HsmUnavailable(
                f"Jeton HSM « {self.token_label} » introuvable : lancez « flask hsm init » "
                "ou corrigez HSM_TOKEN_LABEL / SOFTHSM2_CONF."
            ) from None
        except p11.PKCS11Error as exc:
            raise HsmUnavailable(f"Module PKCS#11 inutilisable ({self.module_path}) : {exc!r}.") from None
        if not self._pin:
            raise HsmUnavailable("PIN du jeton HSM absent : définissez HSM_PIN (ou lancez « flask hsm init »).")
        if self._pin_refused:
            raise HsmUnavailable(f"PIN refusé par le jeton HSM « {self.token_label} » : corrigez HSM_PIN puis "
                                 "redémarrez (aucun nouvel essai, pour ne pas bloquer le jeton).")
        return self._login(token)

    def _login(self, token) -> pkcs11.Session:
        try:
            return token.open(user_pin=self._pin, rw=True)
        except p11.UserAlreadyLoggedIn:
            # PKCS#11 login state is per process: another session of ours already logged in.
            return token.open(rw=True)
        except (p11.PinIncorrect, p11.PinLenRange, p11.PinInvalid):
            self._pin_refused = True
            raise HsmUnavailable(
                f"PIN refusé par le jeton HSM « {self.token_label} » : corrigez HSM_PIN."
            ) from None
        except p11.PinLocked:
            raise HsmUnavailable(
                f"Jeton HSM « {self.token_label} » bloqué (PIN verrouillé) : débloquez-le avec le PIN SO."
            ) from None
        except p11.PKCS11Error as exc:
            raise HsmUnavailable(f"Ouverture de session HSM impossible : {exc!r}.") from None

    @contextmanager
    def session(self) -> Iterator[pkcs11.Session]:
        """The process's logged-in session, held under the lock for the duration of the block. A lost session or
        key drops every handle and reinitialises the module, so the next use sees the token as it is again."""
        with self._lock:
            if self._session is None or self._pid != os.getpid():
                self._private_keys = {}
                try:
                    self._session = self._open()
                except HsmUnavailable as exc:
                    if not exc.transient:
                        raise
                    self._recover()  # once more on a reloaded module; a second failure is reported
                    self._session = self._open()
                self._pid = os.getpid()
            try:
                yield self._session
            except p11.PKCS11Error as exc:
                if not _lost(exc):
                    raise
                self._recover()
                raise HsmUnavailable(f"Le jeton HSM ne répond plus ({type(exc).__name__}).") from exc
            self.failures = 0

    def _recover(self) -> None:
        self.failures += 1
        for hsm in [h for h in list(_instances) if h.module_path == self.module_path]:
            hsm._session = None
            hsm._private_keys = {}
        try:  # C_Finalize then C_Initialize: SoftHSM reloads its token store, a network HSM its connection
            pkcs11.lib(self.module_path).reinitialize()
        except p11.PKCS11Error:
            pass

    @property
    def wedged(self) -> bool:
        """Reinitialising did not help: only a new process will (gunicorn's post_request recycles the worker)."""
        return self.failures >= RECYCLE_AFTER

    def status(self) -> dict:
        """Whether the token signs: a session, and its private keys found (the label alone said « ok » while
        every key handle was gone)."""
        try:
            with self.session() as s:
                keys = sum(1 for _ in s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
                return {"ok": True, "token": s.token.label, "module": self.module_path, "keys": keys}
        except HsmError as exc:
            return {"ok": False, "token": self.token_label, "error": str(exc)}

    # Keys -----------------------------------------------------------------------------------------

    def generate_keypair(self, label: str, algorithm: str = "rsa3072") -> bytes:
        """Create a non-extractable, sensitive, sign-only key pair; return the public key as SPKI DER."""
        private_template = {
            Attribute.EXTRACTABLE: False,
            Attribute.SENSITIVE: True,
            Attribute.TOKEN: True,
            Attribute.PRIVATE: True,
            Attribute.SIGN: True,
            Attribute.DECRYPT: False,
            Attribute.UNWRAP: False,
            Attribute.DERIVE: False,
        }
        public_template = {Attribute.VERIFY: True, Attribute.ENCRYPT: False, Attribute.WRAP: False}
        capabilities = MechanismFlag.SIGN | MechanismFlag.VERIFY
        key_id = label.encode()
        with self.session() as s:
            if self._find(s, label, ObjectClass.PRIVATE_KEY) is not None:
                raise HsmError(f"Une clé « {label} » existe déjà dans le jeton.")
            if algorithm.startswith("rsa"):
                pub, _ = s.generate_keypair(
                    KeyType.RSA, int(algorithm[3:]), id=key_id, label=label, store=True,
                    capabilities=capabilities, public_template=public_template,
                    private_template=private_template,
                )
            elif algorithm in ("ec-p256", "ec-p384"):
                curve = {"ec-p256": "secp256r1", "ec-p384": "secp384r1"}[algorithm]
                params = s.create_domain_parameters(
                    KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(curve)}, local=True
                )
                pub, _ = params.generate_keypair(
                    id=key_id, label=label, store=True, capabilities=capabilities,
                    public_template=public_template, private_template=private_template,
                )
            else:
                raise HsmError(f"Algorithme de clé non pris en charge : {algorithm}.")
            return _spki(pub)

    def public_key(self, label: str) -> bytes:
        """SPKI DER of the public key labelled ``label``."""
        with self.session() as s:
            pub = self._find(s, label, ObjectClass.PUBLIC_KEY)
            if pub is None:
                raise HsmError(f"Clé « {label} » absente du jeton.")
            return _spki(pub)

    def has_key(self, label: str) -> bool:
        with self.session() as s:
            return self._find(s, label, ObjectClass.PRIVATE_KEY) is not None

    def list_keys(self) -> list[KeyInfo]:
        with self.session() as s:
            keys = []
            for obj in s.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}):
                keys.append(
                    KeyInfo(
                        label=obj.label,
                        key_type=obj.key_type.name,
                        extractable=bool(obj[Attribute.EXTRACTABLE]),
                        sensitive=bool(obj[Attribute.SENSITIVE]),
                    )
                )
            return sorted(keys, key=lambda k: k.label)

    def sign(self, label: str, data: bytes, hash_name: str = "sha256") -> bytes:
        """Sign ``data`` with the private key ``label``: PKCS#1 v1.5 for RSA, DER ECDSA for EC.

        SoftHSM has no CKM_ECDSA_SHA256, so EC data is hashed here and signed with raw CKM_ECDSA.
        """
        with metrics.signing(label), self.session() as s:
            key = self._private_keys.get(label)
            if key is None:
                key = self._find(s, label, ObjectClass.PRIVATE_KEY)
                if key is None:
                    raise HsmError(f"Clé « {label} » absente du jeton.")
                self._private_keys[label] = key  # object handles stay valid for the session's life
            if key.key_type == KeyType.RSA:
                mech = {"sha256": Mechanism.SHA256_RSA_PKCS, "sha384": Mechanism.SHA384_RSA_PKCS,
                        "sha512": Mechanism.SHA512_RSA_PKCS}[hash_name]
                return key.sign(data, mechanism=mech)
            import hashlib

            digest = hashlib.new(hash_name, data).digest()
            return encode_ecdsa_signature(key.sign(digest, mechanism=Mechanism.ECDSA))

    def import_secret(self, label: str, value: bytes) -> None:
        """Store a MAC key (an ACME account binding's) in the token: sensitive, never extractable, HMAC only."""
        with self.session() as s:
            if self._find(s, label, ObjectClass.SECRET_KEY) is not None:
                raise HsmError(f"Une clé « {label} » existe déjà dans le jeton.")
            s.create_object({Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.KEY_TYPE: KeyType.GENERIC_SECRET,
                             Attribute.VALUE: value, Attribute.TOKEN: True, Attribute.PRIVATE: True,
                             Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False, Attribute.SIGN: True,
                             Attribute.VERIFY: True, Attribute.ENCRYPT: False, Attribute.DECRYPT: False,
                             Attribute.LABEL: label})

    def mac(self, label: str, data: bytes) -> bytes:
        """HMAC-SHA256 of ``data`` with the secret ``label``, computed in the token."""
        with self.session() as s:
            key = self._find(s, label, ObjectClass.SECRET_KEY)
            if key is None:
                raise HsmError(f"Clé « {label} » absente du jeton.")
            return key.sign(data, mechanism=Mechanism.SHA256_HMAC)

    def destroy_secret(self, label: str) -> None:
        with self.session() as s:
            key = self._find(s, label, ObjectClass.SECRET_KEY)
            if key is not None:
                key.destroy()

    def labels(self) -> dict[str, str]:
        """Every key object of the token by label: « paire » (private and public key) or « secret » (a MAC key)."""
        with self.session() as s:
            found = {}
            for cls, kind in ((ObjectClass.PRIVATE_KEY, "paire"), (ObjectClass.PUBLIC_KEY, "paire"),
                              (ObjectClass.SECRET_KEY, "secret")):
                for obj in s.get_objects({Attribute.CLASS: cls}):
                    found.setdefault(obj.label, kind)
            return found

    def destroy_key(self, label: str) -> None:
        """Destroy every object labelled ``label`` (a key pair's two halves, or a secret)."""
        with self.session() as s:
            for obj in list(s.get_objects({Attribute.LABEL: label})):
                obj.destroy()
            self._private_keys.pop(label, None)

    @contextmanager
    def pdf_signer(self, label: str, certificate, chain) -> Iterator:
        """pyHanko's PKCS11Signer on this process's session, held under the lock while it signs."""
        from pyhanko.sign.pkcs11 import PKCS11Signer

        with self.session() as session:
            yield PKCS11Signer(session, key_label=label, signing_cert=certificate, ca_chain=chain,
                               use_raw_mechanism=certificate.public_key.algorithm == "ec")

    @staticmethod
    def _find(s: pkcs11.Session, label: str, cls: ObjectClass):
        try:
            return s.get_key(object_class=cls, label=label)
        except p11.NoSuchKey:
            return None


def _spki(pub) -> bytes:
    if pub.key_type == KeyType.RSA:
        from asn1crypto.keys import PublicKeyInfo, RSAPublicKey

        rsa_pkcs1 = RSAPublicKey.load(encode_rsa_public_key(pub))
        return PublicKeyInfo(
            {"algorithm": {"algorithm": "rsa", "parameters": None}, "public_key": rsa_pkcs1}
        ).dump()
    return encode_ec_public_key(pub)


def any_wedged() -> bool:
    return any(h.wedged for h in list(_instances))


def reset_all() -> None:
    """Forget every session of this process; call in a freshly forked child."""
    for hsm in list(_instances):
        hsm.reset()


os.register_at_fork(after_in_child=reset_all)
