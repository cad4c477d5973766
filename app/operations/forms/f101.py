"""F101, the structure's membership: the contract signed and its legal representative (designated, or a
director's card ordered)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.cardorders import STRUCTURE
from app.domain.casefiles import STATES
from app.models import Card, CardOrder, Filing, Habilitation, Person, Structure
from app.models.base import utcnow
from app.operations import audit, cardorders

from .behaviour import FormBehaviour
from .means import Means
from .people import card_type_for, end, grant, order_card, person_with_active_card


def check_representative(db: Session, payload: dict, found: dict) -> None:
    representative = payload.get("representant") or {}
    national_id = (representative.get("identifiant") or "").strip()
    if national_id and person_with_active_card(db, national_id) is None:
        found.setdefault("representant", {})["identifiant"] = (
            "Aucune carte active pour cet identifiant : laissez le champ vide pour commander une carte.")
    if not national_id and not representative.get("date_naissance"):
        found.setdefault("representant", {})["date_naissance"] = (
            "La date de naissance est nécessaire pour fabriquer la carte.")


def _current_representatives(db: Session, structure_id: int) -> list[Person]:
    return list(db.exec(select(Person).join(Habilitation, Habilitation.person_id == Person.id).where(
        Habilitation.structure_id == structure_id, Habilitation.role == "legal_representative",
        Habilitation.ended_at.is_(None))))


def warnings(db: Session, filing: Filing) -> list[str]:
    """The structure's current legal representative and the other F101 filed for it: accepting replaces them."""
    found = []
    current = [p for p in _current_representatives(db, filing.structure_id)
               if p.national_id != (filing.payload.get("representant") or {}).get("identifiant")]
    if current:
        found.append("La structure a déjà un représentant légal\u00a0: " + ", ".join(
            f"{p.given_name} {p.family_name}" for p in current) + ". Accepter le remplacera\u00a0: son rôle prendra "
            "fin et la révocation de sa carte de directeur sera demandée.")
    others = db.exec(select(Filing.reference, Filing.state).where(
        Filing.form == "F101", Filing.structure_id == filing.structure_id, Filing.id != filing.id,
        Filing.state.in_(("depose", "en_instruction", "a_corriger", "accepte")))).all()
    if others:
        found.append("Autres F101 pour cette structure\u00a0: " + ", ".join(
            f"{reference} ({STATES[state].lower()})" for reference, state in others) + ".")
    return found


def accept(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    representative = filing.payload["representant"]
    if not structure.contract_signed:
        structure.contract_signed_at = utcnow()
        db.add(structure)
        audit.record(db, actor=actor, action="structure.contract_signed", object_type="structure",
                     object_id=structure.id, after={"source": filing.reference})
    _replace_representatives(db, filing, actor, structure, representative.get("identifiant") or "")
    if representative.get("identifiant"):
        grant(db, filing, actor, representative["identifiant"], "legal_representative")
    else:
        order_card(db, filing, actor, card_type_for(structure, director=True), representative)


def _replace_representatives(db: Session, filing: Filing, actor: str, structure: Structure, newcomer: str) -> None:
    """One legal representative per structure: the former one's role ends and the revocation of their director's
    card (CDE, CDA) is asked, as the structure would ask it."""
    for person in _current_representatives(db, structure.id):
        if person.national_id == newcomer:
            continue
        end(db, filing, actor, person.national_id, "legal_representative")
        orders = db.exec(select(CardOrder).join(Card, Card.id == CardOrder.card_id).where(
            Card.person_id == person.id, Card.structure_id == structure.id, Card.card_type.in_(("CDE", "CDA")),
            CardOrder.state == "active", CardOrder.revocation_requested_at.is_(None))).all()
        for order in orders:
            cardorders.change(db, order, "demander_revocation", by=STRUCTURE, actor=actor,
                              reason=f"Représentant légal remplacé (dossier {filing.reference}).")


BEHAVIOURS = (FormBehaviour("F101", rules=lambda db, filing, structure, payload, found:
                            check_representative(db, payload, found), warnings=warnings, on_acceptance=accept),)
