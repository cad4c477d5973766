"""API tokens for editors' software: created by a technical administrator within their own habilitations,
shown once, kept as a hash, expiring, revocable; checked against the creator's current habilitations on
every use (an administrator who left by F503 leaves a token that opens nothing)."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from sqlmodel import Session, select

from app.models import ApiToken, Person, Structure
from app.models.base import aware, utcnow
from app.operations import audit
from app.operations.certificates import administers
from app.operations.scoped_secrets import checked_request

PREFIX = "pst_"
VALIDITY_DAYS = (30, 90, 365)


class TokenError(Exception):
    """The caller is not authenticated: no token, or one unknown, revoked or expired (the message is French)."""


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(db: Session, person: Person, *, name: str, structure_ids: list[int], families: list[str],
                 days: int) -> tuple[ApiToken, str]:
    """Returns the row and the token itself, which is never stored nor shown again."""
    expires_at = checked_request(db, person, name=name, days=days, durations=VALIDITY_DAYS,
                                 structure_ids=structure_ids, families=families,
                                 named_for="le logiciel qui utilisera le jeton", scope="Un jeton")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(person_id=person.id, name=name.strip(), token_sha256=_hash(raw), prefix=raw[:12],
                     structure_ids=sorted(set(structure_ids)), families=sorted(set(families)), expires_at=expires_at)
    db.add(token)
    db.flush()
    audit.record(db, actor=person.national_id, action="api_token.created", object_type="api_token",
                 object_id=token.id, after={"name": token.name, "structures": token.structure_ids,
                                            "families": token.families, "expires_at": token.expires_at})
    return token, raw


def revoke_token(db: Session, token: ApiToken, *, actor: str) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.add(token)
        db.flush()
        audit.record(db, actor=actor, action="api_token.revoked", object_type="api_token", object_id=token.id)


def authenticate(db: Session, header: str | None) -> tuple[ApiToken, Person]:
    """The token of an ``Authorization: Bearer`` header and its creator, or :class:`TokenError`."""
    if not header or not header.startswith("Bearer "):
        raise TokenError("Jeton absent : en-tête « Authorization: Bearer pst_… » attendu.")
    token = db.exec(select(ApiToken).where(ApiToken.token_sha256 == _hash(header[7:].strip()))).first()
    if token is None:
        raise TokenError("Jeton inconnu.")
    if token.revoked_at is not None:
        raise TokenError("Jeton révoqué.")
    if aware(token.expires_at) <= utcnow():
        raise TokenError("Jeton expiré : créez-en un nouveau dans le portail.")
    return token, db.get(Person, token.person_id)


def record_use(db: Session, token_id: int) -> None:
    """The token's last use, as the request's bookkeeping (a transaction of its own)."""
    db.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def allows(db: Session, token: ApiToken, person: Person, structure: Structure, family: str) -> bool:
    """Within the token's scope and the creator's current habilitations."""
    in_scope = structure.id in token.structure_ids or (structure.parent_id in token.structure_ids)
    return in_scope and family in token.families and administers(db, person.id, structure, family)
