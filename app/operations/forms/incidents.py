"""F501, an incident on a card: a lost or stolen card is opposed as the form is deposited (its authentication
certificates revoked, its CRL re-signed, no session opens with it any more); acceptance orders the replacement
of a lost, stolen or damaged card, or sends the holder the code that unblocks a PIN."""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.cardorders import STRUCTURE
from app.domain.forms.catalogue import INCIDENTS, OPPOSED_AT_DEPOSIT, REPLACED
from app.models import Card, CardOrder, Filing, Person, Structure
from app.operations import audit, outbox
from app.operations.cardorders import change, revoke_card_certificates

from .means import Means
from .prefill import family_of

LIVE = ("active", "fabriquee")


def card_of(db: Session, structure_id: int, serial: str) -> Card | None:
    """The card of this number if it belongs to the structure's legal entity (its own, its EJ's, a sibling's)."""
    card = db.exec(select(Card).where(Card.serial == (serial or "").strip())).first()
    if card is None or card.structure_id not in family_of(db, structure_id):
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


def oppose(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    """At deposit: a lost or stolen card stops working now, not when an agent reads the form."""
    incident = filing.payload["incident"]
    if incident["incident"] not in OPPOSED_AT_DEPOSIT:
        return
    card = card_of(db, structure.id, incident["carte"])
    if card is None or card.status not in LIVE:
        return
    reason = f"{dict(INCIDENTS)[incident['incident']]} déclarée ({filing.reference})"
    order = db.exec(select(CardOrder).where(CardOrder.card_id == card.id)).first()
    if order is not None and order.state in LIVE:
        change(db, order, "opposer", by=STRUCTURE, actor=actor, reason=reason, keystore=means.keystore)
    else:  # a card made before the portal's orders: the card itself carries the opposition
        card.status = "opposee"
        db.add(card)
        db.flush()
        revoke_card_certificates(db, means.keystore, card.id, reason="key_compromise", actor=actor)
    audit.record(db, actor=actor, action="card.opposed", object_type="card", object_id=card.id,
                 after={"serial": card.serial, "reason": incident["incident"], "source": filing.reference})


def replace(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    """At acceptance: a new card for the same holder (the damaged one revoked), or the PIN's unblocking code."""
    from .effects import order_card

    incident = filing.payload["incident"]
    card = db.exec(select(Card).where(Card.serial == incident["carte"].strip())).one()
    holder = db.get(Person, card.person_id)
    if incident["incident"] in REPLACED:
        if card.status in LIVE:  # damaged: it still works until its replacement is made; revoked now
            card.status = "revoquee"
            db.add(card)
            db.flush()
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
