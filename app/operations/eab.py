"""ACME External Account Binding credentials: made by a SERV technical administrator for an ACME client (certbot,
lego…). The HMAC key is shown once and imported into the HSM as a sensitive, non-extractable secret; the database
keeps its identifier and scope only. The ACME server checks an account's binding with :func:`binding_mac`."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from sqlmodel import Session, select

from app.models import EabCredential, Person, Structure
from app.models.base import aware, utcnow
from app.operations import audit
from app.operations.certificates import administers
from app.operations.scoped_secrets import checked_request
from app.signing.keystore import KeyStore

VALIDITY_DAYS = (7, 30, 90)
FAMILY = "SERV"



def create(db: Session, keystore: KeyStore, person: Person, *, name: str, structure_ids: list[int],
           days: int) -> tuple[EabCredential, str]:
    """The row and the HMAC key (base64url), which is never stored outside the HSM nor shown again."""
    expires_at = checked_request(db, person, name=name, days=days, durations=VALIDITY_DAYS,
                                 structure_ids=structure_ids, families=[FAMILY],
                                 named_for="le serveur ou le client ACME qui l’utilisera", scope="Un compte ACME")
    key_id, secret = _no_leading_dash(lambda: secrets.token_urlsafe(24)), _no_leading_dash(
        lambda: secrets.token_bytes(32), shown=_b64)
    credential = EabCredential(key_id=key_id, key_label=f"eab-{key_id}", person_id=person.id, name=name.strip(),
                               structure_ids=sorted(set(structure_ids)), expires_at=expires_at)
    db.add(credential)
    db.flush()  # the row first: a refused write leaves no key in the token; a refused import rolls the row back
    keystore.import_secret(credential.key_label, secret)
    audit.record(db, actor=person.national_id, action="eab.created", object_type="eab_credential",
                 object_id=credential.id, after={"name": credential.name, "structures": credential.structure_ids,
                                                 "expires_at": credential.expires_at})
    return credential, _b64(secret)


def _b64(secret: bytes) -> str:
    return base64.urlsafe_b64encode(secret).decode().rstrip("=")


def _no_leading_dash(draw, shown=str):
    """A value whose text does not start with « - »: pasted after ``--eab-kid`` or ``--eab-hmac-key``, it would be
    read as an option by certbot's and lego's command lines."""
    while True:
        value = draw()
        if not shown(value).startswith("-"):
            return value


def revoke(db: Session, keystore: KeyStore, credential: EabCredential, *, actor: str) -> None:
    """Revoked at once, and its key destroyed in the token: should the transaction roll back, the credentials stay
    unusable (no key to check a binding with), never the reverse."""
    if credential.revoked_at is not None:
        return
    credential.revoked_at = utcnow()
    db.add(credential)
    db.flush()
    audit.record(db, actor=actor, action="eab.revoked", object_type="eab_credential", object_id=credential.id)
    keystore.destroy_secret(credential.key_label)


def usable(db: Session, key_id: str, now: datetime | None = None) -> EabCredential | None:
    """The credentials of ``key_id`` if they still bind: not revoked, not expired, not used, and their creator still
    administers the SERV family of every structure they name."""
    now = now or utcnow()
    credential = db.exec(select(EabCredential).where(EabCredential.key_id == key_id)).first()
    if credential is None or credential.revoked_at is not None or credential.used_at is not None \
            or aware(credential.expires_at) <= now:
        return None
    structures = [db.get(Structure, sid) for sid in credential.structure_ids]
    if not all(s is not None and administers(db, credential.person_id, s, FAMILY) for s in structures):
        return None
    return credential


def binding_mac(keystore: KeyStore, credential: EabCredential, signing_input: bytes) -> bytes:
    """HS256 of an EAB JWS's signing input, computed in the HSM with the credential's key."""
    return keystore.mac(credential.key_label, signing_input)
