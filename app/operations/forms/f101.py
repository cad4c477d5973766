"""F101, the structure's membership: the contract signed and its legal representative (designated, or a
director's card ordered)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.casefiles import STATES
from app.models import Filing, Habilitation, Person, Structure
from app.models.base import utcnow
from app.operations import audit

from .behaviour import FormBehaviour
from .means import Means
from .people import card_type_for, grant, order_card, person_with_active_card


def check_representative(db: Session, payload: dict, found: dict) -> None:
    representative = payload.get("representant") or {}
    national_id = (representative.get("identifiant") or "").strip()
    if national_id and person_with_active_card(db, national_id) is None:
        found.setdefault("representant", {})["identifiant"] = (
            "Aucune carte active pour cet identifiant : laissez le champ vide pour commander une carte.")
    if not national_id and not representative.get("date_naissance"):
        found.setdefault("representant", {})["date_naissance"] = (
            "La date de naissance est nécessaire pour fabriquer la carte.")


def warnings(db: Session, filing: Filing) -> list[str]:
    """The structure's current legal representative and the other F101 filed for it: accepting would add another
    representative."""
    found = []
    current = db.exec(select(Person).join(Habilitation, Habilitation.person_id == Person.id).where(
        Habilitation.structure_id == filing.structure_id, Habilitation.role == "legal_representative",
        Habilitation.ended_at.is_(None))).all()
    if current:
        found.append("La structure a déjà un représentant légal\u00a0: " + ", ".join(
            f"{p.given_name} {p.family_name}" for p in current) + ". Accepter en ajouterait un autre.")
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
    if representative.get("identifiant"):
        grant(db, filing, actor, representative["identifiant"], "legal_representative")
    else:
        order_card(db, filing, actor, card_type_for(structure, director=True), representative)


BEHAVIOURS = (FormBehaviour("F101", rules=lambda db, filing, structure, payload, found:
                            check_representative(db, payload, found), warnings=warnings, on_acceptance=accept),)
