"""ACME accounts: created only with External Account Binding (RFC 8555 §7.3.4) to credentials a SERV technical
administrator made in « Mes certificats »; an account acts within its credentials' scope for as long as they are
not revoked and their creator administers the SERV family of the structure (the credentials' expiry only bounds
when they may be bound)."""

from __future__ import annotations

import hmac
import json

import josepy as jose
import sqlalchemy as sa
from sqlmodel import Session, select

from app.domain.acme import Problem, moved
from app.domain.forms.schema import EMAIL
from app.models import AcmeAccount, EabCredential, Structure
from app.models.base import utcnow
from app.operations import audit, eab
from app.operations.certificates import administers
from app.signing.keystore import KeyStore

from .protocol import Signed, public_jwk, thumbprint, verify_jws

MAX_CONTACTS = 4


def actor(account: AcmeAccount) -> str:
    return f"acme:{account.id}"


def _contacts(payload: dict) -> list[str]:
    contact = payload.get("contact", [])
    if not isinstance(contact, list) or len(contact) > MAX_CONTACTS \
            or not all(isinstance(c, str) and len(c) <= 254 for c in contact):
        raise Problem("invalidContact", f"« contact » : {MAX_CONTACTS} adresses « mailto: » au plus.")
    for item in contact:
        if not item.startswith("mailto:"):
            raise Problem("unsupportedContact", "Seules les adresses « mailto: » sont acceptées.")
        if not EMAIL.match(item[len("mailto:"):]):
            raise Problem("invalidContact", f"Adresse invalide : {item[:80]}.")
    return contact


def _bound_credential(db: Session, keystore: KeyStore, binding, *, url: str, key: jose.JWK) -> EabCredential:
    """The credentials whose HMAC key signed this account key, as RFC 8555 §7.3.4 requires."""
    if not isinstance(binding, dict) or set(binding) != {"protected", "payload", "signature"} \
            or not all(isinstance(v, str) for v in binding.values()):
        raise Problem("malformed", "« externalAccountBinding » : JWS aplati (protected, payload, signature).")
    try:
        protected = json.loads(jose.b64.b64decode(binding["protected"]))
        bound_key = json.loads(jose.b64.b64decode(binding["payload"]))
        signature = jose.b64.b64decode(binding["signature"])
    except (ValueError, TypeError, UnicodeDecodeError):
        raise Problem("malformed", "« externalAccountBinding » illisible.") from None
    if not isinstance(protected, dict) or protected.get("alg") != "HS256":
        raise Problem("badSignatureAlgorithm", "La liaison EAB se signe en HS256.", algorithms=("HS256",))
    if protected.get("url") != url or "nonce" in protected or not isinstance(protected.get("kid"), str):
        raise Problem("malformed", "La liaison EAB porte « kid » et l’URL de newAccount, sans nonce.")
    if thumbprint(public_jwk(bound_key)) != thumbprint(key):
        raise Problem("malformed", "La liaison EAB ne porte pas la clé de ce compte.")
    credential = eab.usable(db, protected["kid"][:64])
    if credential is None:
        raise Problem("unauthorized", "Identifiants EAB inconnus, expirés, révoqués ou déjà utilisés : créez-en "
                      "dans « Mes certificats » › « Comptes ACME ».")
    expected = eab.binding_mac(keystore, credential, f"{binding['protected']}.{binding['payload']}".encode())
    if not hmac.compare_digest(expected, signature):
        raise Problem("unauthorized", "La liaison EAB n’est pas signée par la clé HMAC de ces identifiants.")
    return credential


def new_account(db: Session, keystore: KeyStore, signed: Signed, *, url: str) -> tuple[AcmeAccount, bool]:
    """The account of the signing key: the existing one (False), or a new one bound to EAB credentials (True)."""
    payload = signed.payload or {}
    existing = db.exec(select(AcmeAccount).where(AcmeAccount.thumbprint == thumbprint(signed.jwk))).first()
    binding = payload.get("externalAccountBinding")
    if existing is not None:
        if isinstance(binding, dict):
            kid = _binding_kid(binding)
            credential = db.get(EabCredential, existing.eab_credential_id)
            if kid != credential.key_id:
                raise Problem("unauthorized", "Cette clé de compte est déjà liée à d’autres identifiants EAB : "
                              "une clé, un compte, une liaison.")
        return existing, False
    if payload.get("onlyReturnExisting") is True:
        raise Problem("accountDoesNotExist", "Aucun compte pour cette clé.")
    if binding is None:
        raise Problem("externalAccountRequired", "Un compte ACME se lie à des identifiants EAB créés dans le portail "
                      "(« Mes certificats » › « Comptes ACME ») : --eab-kid et --eab-hmac-key.")
    contact = _contacts(payload)
    credential = _bound_credential(db, keystore, binding, url=url, key=signed.jwk)
    account = AcmeAccount(thumbprint=thumbprint(signed.jwk), jwk=signed.jwk.public_key().to_partial_json(),
                          eab_credential_id=credential.id, person_id=credential.person_id, contact=contact)
    credential.used_at = utcnow()
    try:
        with db.begin_nested():  # the same key, or the same credentials, bound by a concurrent request
            db.add_all([account, credential])
            db.flush()
    except sa.exc.IntegrityError:
        raise Problem("unauthorized", "Ces identifiants EAB ou cette clé viennent d’être liés à un compte.") from None
    audit.record(db, actor=actor(account), action="acme.account_created", object_type="acme_account",
                 object_id=account.id, after={"eab": credential.key_id, "structures": credential.structure_ids,
                                              "thumbprint": account.thumbprint})
    return account, True


def _binding_kid(binding: dict) -> str | None:
    try:
        return json.loads(jose.b64.b64decode(binding.get("protected", ""))).get("kid")
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
        return None


def require_standing(db: Session, account: AcmeAccount) -> list[Structure]:
    """The structures the account may act on now; refused when its credentials were revoked or its creator no
    longer administers the SERV family of any of them."""
    credential = db.get(EabCredential, account.eab_credential_id)
    if credential.revoked_at is not None:
        raise Problem("unauthorized", "Les identifiants EAB de ce compte ont été révoqués : le compte n’agit plus.")
    structures = [s for s in (db.get(Structure, sid) for sid in credential.structure_ids)
                  if s is not None and administers(db, account.person_id, s, eab.FAMILY)]
    if not structures:
        raise Problem("unauthorized", "L’habilitation SERV de la personne qui a créé ces identifiants a pris fin.")
    return structures


def update(db: Session, account: AcmeAccount, payload: dict | None) -> AcmeAccount:
    """Change the contacts, or deactivate the account for good (RFC 8555 §7.3.6)."""
    if not payload:
        return account
    if "contact" in payload:
        account.contact = _contacts(payload)
    if "status" in payload:
        if payload["status"] != "deactivated":
            raise Problem("malformed", "Seul le statut « deactivated » se demande.")
        account.status = moved("account", account.status, "deactivated")
        audit.record(db, actor=actor(account), action="acme.account_deactivated", object_type="acme_account",
                     object_id=account.id)
    db.add(account)
    db.flush()
    return account


def change_key(db: Session, account: AcmeAccount, signed: Signed, *, url: str, account_url: str) -> AcmeAccount:
    """keyChange (RFC 8555 §7.3.5): the payload is a JWS by the new key over the account and its old key."""
    inner = signed.payload or {}
    if set(inner) != {"protected", "payload", "signature"} or not all(isinstance(v, str) for v in inner.values()):
        raise Problem("malformed", "keyChange : la charge utile est un JWS aplati signé par la nouvelle clé.")
    try:
        protected = json.loads(jose.b64.b64decode(inner["protected"]))
    except (ValueError, TypeError, UnicodeDecodeError):
        raise Problem("malformed", "keyChange : en-tête interne illisible.") from None
    if not isinstance(protected, dict) or "jwk" not in protected or "kid" in protected or "nonce" in protected \
            or protected.get("url") != url:
        raise Problem("malformed", "keyChange : l’en-tête interne porte « jwk » et la même « url », sans nonce.")
    new_key = public_jwk(protected["jwk"])
    try:
        body = json.loads(verify_jws(inner, protected, new_key) or b"null")
    except (ValueError, UnicodeDecodeError):
        raise Problem("malformed", "keyChange : charge utile interne illisible.") from None
    if not isinstance(body, dict) or body.get("account") != account_url:
        raise Problem("malformed", "keyChange : « account » n’est pas ce compte.")
    try:
        old_matches = thumbprint(public_jwk(body.get("oldKey"))) == account.thumbprint
    except Problem:
        old_matches = False
    if not old_matches:
        raise Problem("malformed", "keyChange : « oldKey » n’est pas la clé actuelle du compte.")
    new_print = thumbprint(new_key)
    holder = db.exec(select(AcmeAccount.id).where(AcmeAccount.thumbprint == new_print)).first()
    if holder is not None:
        raise Problem("malformed", "Cette clé est déjà celle d’un compte.", status=409)
    before = account.thumbprint
    account.thumbprint, account.jwk = new_print, new_key.public_key().to_partial_json()
    db.add(account)
    db.flush()
    audit.record(db, actor=actor(account), action="acme.key_changed", object_type="acme_account",
                 object_id=account.id, before={"thumbprint": before}, after={"thumbprint": new_print})
    return account
