"""Card orders through their life: fabrication gives the holder an identifier and a card, activation makes it
usable (designations need an active card), opposition and revocation end it."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import Session, select

from app.domain.cardorders import CARD_LIFE, CARRIED, PORTAL
from app.domain.casefiles import InvalidTransition
from app.domain.codes import CARD_ORDER_STATES, CARD_TYPES
from app.domain.permissions import Actor
from app.models import Card, CardOrder, Filing, Habilitation, IssuedCertificate, Person, Structure
from app.models.base import utcnow
from app.operations import audit, outbox
from app.operations.casefiles import transition
from app.operations.pki import issue_card_certificate, revoke_certificate


def _director_by_email(db: Session, order: CardOrder) -> Person | None:
    """The legal representative who filed her own F101 after an e-mail link (no card yet): the card is hers."""
    filing = db.get(Filing, order.filing_id) if order.card_type in ("CDE", "CDA") else None
    filer = db.get(Person, filing.filer_id) if filing is not None else None
    if filer is None or not filer.by_email_only or not filer.email:
        return None
    return filer if filer.email.strip().lower() == (order.email or "").strip().lower() else None


def _fabricate(db: Session, order: CardOrder, keystore, base_url: str) -> None:
    structure = db.get(Structure, order.structure_id)
    director = None if order.national_id else _director_by_email(db, order)
    if not order.national_id:  # a staff identifier: 3 + FINESS (5 + SIRET) / local number, as PSC reads it
        registry = f"3{structure.finess}" if structure.finess else f"5{structure.siret}"
        order.national_id = f"{registry}/C{order.id:06d}"
    if director is not None:  # one person, one record: her e-mail identity becomes the card holder
        director.email_account = director.email_account or director.national_id
        director.national_id = order.national_id
        db.add(director)
        db.flush()
    person = db.exec(select(Person).where(Person.national_id == order.national_id)).first()
    if person is None:
        person = Person(national_id=order.national_id, civility=order.civility, family_name=order.family_name,
                        given_name=order.given_name, email=order.email)
        db.add(person)
        db.flush()
    card = Card(person_id=person.id, card_type=order.card_type, serial=f"9{order.id:09d}", status="fabriquee",
                structure_id=order.structure_id)
    db.add(card)
    db.flush()
    order.card_id = card.id
    if keystore is not None:
        _certify(db, keystore, card, person, base_url)
    if order.card_type in ("CDE", "CDA"):  # an F101 without a CPS: the director's card carries the role
        filing = db.get(Filing, order.filing_id)
        db.add(Habilitation(person_id=person.id, structure_id=order.structure_id, role="legal_representative",
                            source=filing.reference if filing else ""))
        db.flush()


def _certify(db: Session, keystore, card: Card, holder: Person, base_url: str) -> None:
    """The card's authentication certificate under the cards' CA, as the card maker writes it on the chip: the key
    pair is made for the card and its private half never kept here (it lives on the card). Opposing or revoking the
    card revokes this certificate: CRL, OCSP and the nginx card login refuse it."""
    key = ec.generate_private_key(ec.SECP256R1())
    issue_card_certificate(db, keystore, person=holder, public_key=key.public_key(), title=CARD_TYPES[card.card_type],
                           base_url=base_url, card=card)


CARD_CERTIFICATE_REASONS = {"opposer": "key_compromise", "revoquer": "affiliation_changed"}


def revoke_card_certificates(db: Session, keystore, card_id: int, *, reason: str, actor: str) -> int:
    """Revoke every live authentication certificate of the card (its CRL re-signed in the same transaction):
    an opposed or revoked card no longer opens a TLS session. Returns how many were revoked."""
    live = db.exec(select(IssuedCertificate).where(IssuedCertificate.card_id == card_id,
                                                   IssuedCertificate.revoked_at.is_(None))).all()
    for certificate in live:
        revoke_certificate(db, keystore, certificate, reason=reason, revoked_by=actor)
    return len(live)


def move_card(db: Session, card: Card, verb: str, *, actor: str) -> None:
    """The card's own status through its machine (:data:`CARD_LIFE`), audited; flushes."""
    before = card.status
    card.status = CARD_LIFE.transition(card.status, verb, by=PORTAL).target
    db.add(card)
    db.flush()
    audit.record(db, actor=actor, action="card.status_changed", object_type="card", object_id=card.id,
                 before={"status": before}, after={"status": card.status, "verb": verb})


def change(db: Session, order: CardOrder, verb: str, *, by: str, actor: str, reason: str = "",
           notify: list[str] | None = None, agent: Actor | None = None, keystore=None, home_url: str = "",
           base_url: str = "") -> None:
    """Apply ``verb`` to the order (and its card) through the one case-file transition; flushes, the caller
    commits. Making the card issues its authentication certificate (``base_url`` for its CRL and OCSP links);
    opposing or revoking it revokes its certificates, all in the same transaction."""
    if verb == "demander_revocation" and order.revocation_requested_at is not None:
        raise InvalidTransition("La révocation de cette carte est déjà demandée.")

    def after(_event) -> None:
        if verb == "fabriquer":
            _fabricate(db, order, keystore, base_url)
        if order.card_id and verb in CARRIED:
            move_card(db, db.get(Card, order.card_id), verb, actor=actor)
        if verb in CARD_CERTIFICATE_REASONS and order.card_id:
            revoke_card_certificates(db, keystore, order.card_id, reason=CARD_CERTIFICATE_REASONS[verb], actor=actor)
        if verb == "demander_revocation":
            order.revocation_requested_at = utcnow()
        if reason.strip():
            order.revocation_reason = reason.strip()[:200]
        db.add(order)
        db.flush()

    transition(db, order, verb, by=by, actor=actor, agent=agent, message=reason, after=after)
    holder = f"{order.given_name} {order.family_name}"
    if verb in ("activer", "opposer", "revoquer") and order.email:
        label = CARD_ORDER_STATES[order.state]
        outbox.queue(db, [order.email, *(notify or [])], f"Votre carte {order.card_type} : {label.lower()}",
                     f"La carte {order.card_type} de {holder} est désormais « {label} ».")


def waiting_for_delivery(db: Session, structure_id: int) -> list[CardOrder]:
    """The structure's own orders not yet made: those a new delivery address (F504) carries over. Its sites and its
    legal entity keep theirs: each structure has its own delivery address."""
    return list(db.exec(select(CardOrder).where(CardOrder.structure_id == structure_id,
                                                CardOrder.state == "commandee").order_by(CardOrder.id)))


def pending_for_agency(db: Session, limit: int = 200) -> list[tuple[CardOrder, Structure, str | None]]:
    """Orders waiting for the agency: to fabricate, to activate, or whose revocation was asked; with the
    reference of the filing that ordered them (rows for two namesakes are told apart)."""
    return list(db.exec(select(CardOrder, Structure, Filing.reference)
                        .join(Structure, Structure.id == CardOrder.structure_id)
                        .outerjoin(Filing, Filing.id == CardOrder.filing_id)
                        .where((CardOrder.state.in_(("commandee", "fabriquee")))
                               | (CardOrder.revocation_requested_at.is_not(None)
                                  & (CardOrder.state != "revoquee")))
                        .order_by(CardOrder.id).limit(limit)))
