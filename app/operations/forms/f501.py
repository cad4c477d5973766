"""F501, an incident on a card: a lost or stolen card is opposed as the form is deposited (its authentication
certificates revoked, its CRL re-signed, no session opens with it any more); acceptance orders the replacement
of a lost, stolen or damaged card, or sends the holder the code that unblocks a PIN."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.domain.cardorders import STRUCTURE
from app.domain.forms.catalogue import INCIDENTS, OPPOSED_AT_DEPOSIT, REPLACED
from app.models import AuditEvent, Card, CardOrder, Filing, Habilitation, Person, Structure
from app.models.base import utcnow
from app.operations import audit, outbox
from app.operations.cardorders import change, move_card, revoke_card_certificates

from .behaviour import FormBehaviour
from .means import Means
from .people import order_card
from .prefill import legal_entity

LIVE = ("active", "fabriquee")


def card_of(db: Session, structure_id: int, serial: str) -> Card | None:
    """The card of this number if it belongs to the structure's legal entity (its own, its EJ's, a sibling's)."""
    card = db.exec(select(Card).where(Card.serial == (serial or "").strip())).first()
    if card is None or card.structure_id not in legal_entity(db, structure_id):
        return None
    return card


def check(db: Session, filing: Filing, structure: Structure, payload: dict, found: dict) -> None:
    incident = payload.get("incident") or {}
    serial, kind = (incident.get("carte") or "").strip(), incident.get("incident")
    if not serial:
        return
    card = card_of(db, structure.id, serial)
    if card is None:
        found.setdefault("incident", {})["carte"] = ("Aucune carte de la structure ne porte ce numéro : vérifiez-le "
                                                     "dans la liste des cartes de la structure.")
        return
    # once deposited, the card this filing opposed stays declarable (a correction, the acceptance)
    allowed = LIVE + (("opposee",) if kind in OPPOSED_AT_DEPOSIT and filing.reference else ())
    if kind in ("pin_perdu", "pin_bloque"):
        allowed = ("active",)
    if kind and card.status not in allowed:
        found.setdefault("incident", {})["carte"] = (f"Cette carte est « {card.status} » : "
                                                     + ("seule une carte active a un code PIN à débloquer."
                                                        if kind.startswith("pin") else "rien à déclarer."))


IMMEDIATE_PER_DAY = 10  # cards one declarant may have opposed at deposit in 24 hours; the next ones wait


def at_once(db: Session, card: Card, declarant: Person | None, now: datetime | None = None) -> bool:
    """Whether the declarant's word alone opposes the card at deposit: their own card, or one their fleet shows (a
    card of a structure where they are legal representative or mandataire, or of its sites), within the daily
    limit. Any other card (a site's mandataire naming the legal entity's or a sibling's) waits for the agency."""
    if declarant is None:
        return False
    own = card.person_id == declarant.id
    if not own:
        structure = db.get(Structure, card.structure_id) if card.structure_id else None
        scope = {structure.id, structure.parent_id} - {None} if structure else set()
        if not scope or not db.exec(select(Habilitation.id).where(
                Habilitation.person_id == declarant.id, Habilitation.structure_id.in_(scope),
                Habilitation.role.in_(("legal_representative", "mandataire")),
                Habilitation.ended_at.is_(None))).first():
            return False
    since = (now or utcnow()) - timedelta(days=1)
    done = db.exec(select(sa.func.count(AuditEvent.id)).where(
        AuditEvent.action == "card.opposed", AuditEvent.actor == declarant.national_id, AuditEvent.at >= since)).one()
    return done < IMMEDIATE_PER_DAY


def _oppose(db: Session, card: Card, *, actor: str, reason: str, source: str, kind: str, means: Means) -> None:
    order = db.exec(select(CardOrder).where(CardOrder.card_id == card.id)).first()
    if order is not None and order.state in LIVE:
        change(db, order, "opposer", by=STRUCTURE, actor=actor, reason=reason, keystore=means.keystore)
    else:  # a card made before the portal's orders: the card itself carries the opposition
        move_card(db, card, "opposer", actor=actor)
        revoke_card_certificates(db, means.keystore, card.id, reason="key_compromise", actor=actor)
    audit.record(db, actor=actor, action="card.opposed", object_type="card", object_id=card.id,
                 after={"serial": card.serial, "reason": kind, "source": source})


def _tell(db: Session, card: Card, filing: Filing, declarant: Person | None, opposed: bool) -> None:
    """The holder and the legal representatives learn of the declaration at once, whoever made it."""
    holder = db.get(Person, card.person_id)
    structure = db.get(Structure, card.structure_id) if card.structure_id else None
    ej = (structure.parent_id or structure.id) if structure else None
    representatives = db.exec(select(Person.email).join(Habilitation, Habilitation.person_id == Person.id).where(
        Habilitation.structure_id.in_({ej, structure.id if structure else None} - {None}),
        Habilitation.role == "legal_representative", Habilitation.ended_at.is_(None))).all()
    who = f"{declarant.shown_name} ({declarant.national_id})" if declarant else "un déclarant"
    kind = dict(INCIDENTS)[filing.payload["incident"]["incident"]].lower()
    then = ("Elle est mise en opposition dès maintenant : elle n’ouvre plus de session." if opposed else
            "L’agence vérifie la déclaration avant de mettre la carte en opposition.")
    outbox.queue(db, [holder.email if holder else "", *representatives],
                 f"Carte n° {card.serial} déclarée {kind.split()[0]}",
                 f"La carte {card.card_type} n° {card.serial} de {holder.shown_name if holder else '—'} a été "
                 f"déclarée « {kind} » par {who} (dossier {filing.reference}). {then}\n"
                 "Si vous n’êtes pas à l’origine de cette déclaration, contactez l’assistance de l’agence.",
                 filing_id=filing.id)


def oppose(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    """At deposit: a lost or stolen card stops working now, not when an agent reads the form, when the declarant's
    word suffices (``at_once``); otherwise it waits for the agency's acceptance. Either way, the holder and the legal
    representatives are told now."""
    incident = filing.payload["incident"]
    if incident["incident"] not in OPPOSED_AT_DEPOSIT:
        return
    card = card_of(db, structure.id, incident["carte"])
    if card is None or card.status not in LIVE:
        return
    declarant = db.exec(select(Person).where(Person.national_id == actor)).first()
    opposed = at_once(db, card, declarant)
    if opposed:
        _oppose(db, card, actor=actor, reason=f"{dict(INCIDENTS)[incident['incident']]} déclarée ({filing.reference})",
                source=filing.reference, kind=incident["incident"], means=means)
    _tell(db, card, filing, declarant, opposed)


def replace(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    """At acceptance: a new card for the same holder (the damaged one revoked), or the PIN's unblocking code."""
    incident = filing.payload["incident"]
    card = db.exec(select(Card).where(Card.serial == incident["carte"].strip())).one()
    holder = db.get(Person, card.person_id)
    if incident["incident"] in OPPOSED_AT_DEPOSIT and card.status in LIVE:  # the agency confirms the declaration
        _oppose(db, card, actor=actor, reason=f"{dict(INCIDENTS)[incident['incident']]} ({filing.reference})",
                source=filing.reference, kind=incident["incident"], means=means)
    if incident["incident"] in REPLACED:
        if card.status in LIVE:  # damaged: it still works until its replacement is made; revoked now
            move_card(db, card, "revoquer", actor=actor)
            revoke_card_certificates(db, means.keystore, card.id, reason="superseded", actor=actor)
        order_card(db, filing, actor, card.card_type, {
            "civilite": holder.civility if holder.civility in ("M", "MME") else "", "nom": holder.family_name,
            "prenom": holder.given_name, "identifiant": holder.national_id, "courriel": holder.email or "",
            "justification": f"Remplacement de la carte n° {card.serial} ({filing.reference})."})
    else:
        audit.record(db, actor=actor, action="card.unblocking_code_sent", object_type="card", object_id=card.id,
                     after={"serial": card.serial, "source": filing.reference})
        outbox.queue(db, [holder.email or ""], f"Code de déblocage de votre carte {card.card_type}",
                     f"Le code de déblocage de votre carte n° {card.serial} vous est adressé par courrier postal "
                     f"à l’adresse de livraison de la structure ({filing.reference}).", filing_id=filing.id)


BEHAVIOURS = (FormBehaviour("F501", rules=check, on_deposit=oppose, on_acceptance=replace),)
