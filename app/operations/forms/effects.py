"""What an accepted ANS form changes, in the acceptance's own transaction."""

from __future__ import annotations

from sqlmodel import Session, select

from app.models import CardOrder, Filing, Habilitation, Person, Structure
from app.models.base import utcnow
from app.operations import audit, domains

from .rules import card_type_for


def _person(db: Session, national_id: str) -> Person:
    return db.exec(select(Person).where(Person.national_id == national_id)).one()


def grant(db: Session, filing: Filing, actor: str, national_id: str, role: str, family: str | None = None) -> None:
    person = _person(db, national_id)
    existing = db.exec(select(Habilitation).where(
        Habilitation.person_id == person.id, Habilitation.structure_id == filing.structure_id,
        Habilitation.role == role, Habilitation.certificate_family == family, Habilitation.ended_at.is_(None))).first()
    if existing:
        return
    habilitation = Habilitation(person_id=person.id, structure_id=filing.structure_id, role=role,
                                certificate_family=family, source=filing.reference)
    db.add(habilitation)
    db.flush()
    audit.record(db, actor=actor, action="habilitation.granted", object_type="habilitation",
                 object_id=habilitation.id, after={"person": national_id, "structure_id": filing.structure_id,
                                                  "role": role, "family": family, "source": filing.reference})


def end(db: Session, filing: Filing, actor: str, national_id: str, role: str, family: str | None = None) -> None:
    """End the habilitation; the structure's certificates are untouched (an F503 removal revokes nothing)."""
    person = _person(db, national_id)
    query = select(Habilitation).where(Habilitation.person_id == person.id, Habilitation.ended_at.is_(None),
                                       Habilitation.structure_id == filing.structure_id, Habilitation.role == role)
    if family:
        query = query.where(Habilitation.certificate_family == family)
    for habilitation in db.exec(query):
        habilitation.ended_at = utcnow()
        db.add(habilitation)
        db.flush()
        audit.record(db, actor=actor, action="habilitation.ended", object_type="habilitation",
                     object_id=habilitation.id, after={"person": national_id, "source": filing.reference})


def order_card(db: Session, filing: Filing, actor: str, card_type: str, row: dict) -> None:
    order = CardOrder(filing_id=filing.id, structure_id=filing.structure_id, card_type=card_type,
                      civility=row.get("civilite", ""), family_name=row.get("nom", ""),
                      given_name=row.get("prenom", ""), national_id=row.get("identifiant", ""),
                      email=row.get("courriel", ""), birth_date=row.get("date_naissance", ""),
                      justification=row.get("justification", ""))
    db.add(order)
    db.flush()
    audit.record(db, actor=actor, action="card.ordered", object_type="card_order", object_id=order.id,
                 after={"card_type": card_type, "holder": f"{order.given_name} {order.family_name}",
                        "source": filing.reference})


def apply(db: Session, filing: Filing, actor: str) -> None:
    payload = filing.payload
    structure = db.get(Structure, filing.structure_id)
    if filing.form == "F413":
        family = payload["famille"]["famille"]
        for row in payload["administrateurs"]:
            grant(db, filing, actor, row["identifiant"], "technical_admin", family)
        if family == "SERV":
            domains.declare(db, structure_id=filing.structure_id, text=payload["famille"].get("domaines", ""),
                            source=filing.reference, actor=actor)
    elif filing.form == "F503":
        for row in payload["administrateurs"]:
            change = grant if row["action"] == "ajouter" else end
            change(db, filing, actor, row["identifiant"], "technical_admin", row["famille"])
            if row["action"] == "ajouter" and row["famille"] == "SERV" and row.get("domaines"):
                domains.declare(db, structure_id=filing.structure_id, text=row["domaines"], source=filing.reference,
                                actor=actor)
    elif filing.form == "F502":
        for row in payload["mandataires"]:
            change = grant if row["action"] == "designer" else end
            change(db, filing, actor, row["identifiant"], "mandataire")
    elif filing.form == "F301":
        for row in payload["titulaires"]:
            order_card(db, filing, actor, card_type_for(structure, director=False), row)
    elif filing.form == "F101":
        representative = payload["representant"]
        if not structure.contract_signed:
            structure.contract_signed_at = utcnow()
            db.add(structure)
            audit.record(db, actor=actor, action="structure.contract_signed", object_type="structure",
                         object_id=structure.id, after={"source": filing.reference})
        if representative.get("identifiant"):
            grant(db, filing, actor, representative["identifiant"], "legal_representative")
        else:
            order_card(db, filing, actor, card_type_for(structure, director=True), representative)
