"""Login without a card, for the one procedure that needs it: a legal representative filing an F101.

The person gives an address; a single-use link (30 minutes) goes there through the outbox; following it opens a
portal session whose only reach is filing an F101 (no habilitation comes from an address). No password.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.models import EmailLink, LoginSession, Person
from app.models.base import utcnow
from app.models.identity import EMAIL_ACCOUNT_PREFIX
from app.operations import outbox
from app.operations.login import open_session
from app.psc.identity import ProfessionalIdentity

VALIDITY = timedelta(minutes=30)
AUTH_METHOD = "email-link"


def account_id(email: str) -> str:
    """The account's identifier: never a national id (those have digits first), stable for one address."""
    return EMAIL_ACCOUNT_PREFIX + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:31]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


PER_ADDRESS = 3  # links an address receives per PER_ADDRESS_WINDOW, whatever the requesters' IPs
PER_ADDRESS_WINDOW = timedelta(hours=1)


def request_link(db: Session, *, email: str, family_name: str, given_name: str, link_base: str) -> bool:
    """Queue the link mail (flushes; the caller commits); False when the address already received its quota.
    The page answers the same either way, and the mail carries no text of the requester's (no name, no URL of
    theirs): the portal cannot be made to send somebody else's words."""
    email = email.strip().lower()
    recent = db.execute(sa.select(sa.func.count()).select_from(EmailLink).where(
        EmailLink.email == email, EmailLink.created_at > utcnow() - PER_ADDRESS_WINDOW)).scalar_one()
    if recent >= PER_ADDRESS:
        return False
    token = secrets.token_urlsafe(32)
    db.add(EmailLink(token_sha256=_hash(token), email=email, family_name=family_name.strip()[:100],
                     given_name=given_name.strip()[:100], expires_at=utcnow() + VALIDITY))
    db.flush()
    outbox.queue(db, [email], "Votre lien de connexion au portail santé",
                 "Bonjour,\n\n"
                 "Pour déposer votre formulaire F101, ouvrez ce lien dans les 30 minutes (il ne sert qu’une fois) :\n"
                 f"{link_base}/{token}\n\n"
                 "Si vous n’êtes pas à l’origine de cette demande, ignorez ce message.")
    return True


class HasCard(ValueError):
    """The address belongs to somebody who now holds a card: the link is spent, the card is the way in."""


def consume_link(db: Session, token: str) -> LoginSession | None:
    """Open a session for a valid, unused, unexpired link, and spend it; None otherwise. Two concurrent uses
    of one link cannot both succeed: the UPDATE that spends it is the check."""
    table = EmailLink.__table__
    now = utcnow()
    spent = db.execute(sa.update(table).where(table.c.token_sha256 == _hash(token), table.c.used_at.is_(None),
                                              table.c.expires_at > now)
                       .values(used_at=now).returning(table.c.email, table.c.family_name, table.c.given_name)).first()
    if spent is None:
        return None
    email, family_name, given_name = spent
    key = account_id(email)
    known = db.exec(select(Person).where(Person.email_account == key)).first()
    if known is not None and not known.by_email_only:
        raise HasCard("Votre carte de directeur a été fabriquée : connectez-vous désormais avec elle (ou avec "
                      "e-CPS), le lien par courriel ne sert qu’à demander la carte.")
    login = open_session(db, ProfessionalIdentity(national_id=key, family_name=family_name, given_name=given_name,
                                                  auth_method=AUTH_METHOD))
    person = db.get(Person, login.person_id)
    person.email = email
    person.email_account = key
    db.add(person)
    db.flush()
    return login
