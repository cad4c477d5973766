"""What an accepted ANS form changes, in the acceptance's own transaction."""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.codes import PROFESSIONS
from app.models import CardOrder, Filing, Habilitation, Person, Structure
from app.models.base import utcnow
from app.operations import audit, domains
from app.operations.cardorders import waiting_for_delivery

from . import incidents, test_cards
from .means import Means
from .rules import card_type_for, legal_card


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


ADDRESS = ("destinataire", "adresse", "code_postal", "ville")


def order_card(db: Session, filing: Filing, actor: str, card_type: str, row: dict) -> CardOrder:
    """A card ordered for the row's holder, delivered where the filing says, else where the structure's cards go."""
    given = filing.payload.get("livraison") or {}
    delivery = ({key: given.get(key, "") for key in ADDRESS} if any(given.get(k) for k in ADDRESS)
                else db.get(Structure, filing.structure_id).card_delivery)
    order = CardOrder(filing_id=filing.id, structure_id=filing.structure_id, card_type=card_type,
                      civility=row.get("civilite", ""), family_name=row.get("nom", ""),
                      given_name=row.get("prenom", ""), national_id=row.get("identifiant", ""),
                      email=row.get("courriel", ""), birth_date=row.get("date_naissance", ""),
                      justification=row.get("justification", ""), delivery=delivery)
    db.add(order)
    db.flush()
    audit.record(db, actor=actor, action="card.ordered", object_type="card_order", object_id=order.id,
                 after={"card_type": card_type, "holder": f"{order.given_name} {order.family_name}",
                        "source": filing.reference})
    return order


def _f413(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    family = filing.payload["famille"]["famille"]
    for row in filing.payload["administrateurs"]:
        grant(db, filing, actor, row["identifiant"], "technical_admin", family)
    if family == "SERV":
        domains.declare(db, structure_id=filing.structure_id, text=filing.payload["famille"].get("domaines", ""),
                        source=filing.reference, actor=actor)


def _f503(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    for row in filing.payload["administrateurs"]:
        change = grant if row["action"] == "ajouter" else end
        change(db, filing, actor, row["identifiant"], "technical_admin", row["famille"])
        if row["action"] == "ajouter" and row["famille"] == "SERV" and row.get("domaines"):
            domains.declare(db, structure_id=filing.structure_id, text=row["domaines"], source=filing.reference,
                            actor=actor)


def _f502(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    for row in filing.payload["mandataires"]:
        change = grant if row["action"] == "designer" else end
        change(db, filing, actor, row["identifiant"], "mandataire")


def _f301(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    for row in filing.payload["titulaires"]:
        order_card(db, filing, actor, card_type_for(structure, director=False), row)
    if structure.card_delivery is None and filing.payload.get("livraison"):
        structure.card_delivery = {key: filing.payload["livraison"].get(key, "") for key in ADDRESS}
        db.add(structure)


def _f504(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    """The structure's new delivery address, carried over to its own cards ordered and not yet made."""
    address = {key: filing.payload["livraison"].get(key, "") for key in ADDRESS}
    before = structure.card_delivery
    structure.card_delivery = address
    db.add(structure)
    waiting = waiting_for_delivery(db, structure.id)
    for order in waiting:
        order.delivery = address
        db.add(order)
    db.flush()
    audit.record(db, actor=actor, action="structure.card_delivery_changed", object_type="structure",
                 object_id=structure.id, before={"address": before},
                 after={"address": address, "orders": [o.id for o in waiting], "source": filing.reference})


def _f101(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
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


def _f102(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    representative = filing.payload["representant"]
    if representative.get("identifiant"):
        grant(db, filing, actor, representative["identifiant"], "legal_representative")
    else:
        order_card(db, filing, actor, legal_card(structure, filing.payload).card_type, representative)


def _cps_request(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    professional = dict(filing.payload["professionnel"])
    professional["justification"] = (f"{filing.form} – {PROFESSIONS.get(professional['profession'], '')}, "
                                     f"{filing.payload['emploi'].get('fonction', '')}")
    order_card(db, filing, actor, "CPS", professional)


# What accepting each form does: a form is added by describing it (catalogue), its rules (rules.RULES) and here.
ON_ACCEPTANCE = {"F101": _f101, "F301": _f301, "F413": _f413, "F502": _f502, "F503": _f503,
                 "F501": incidents.replace, "F504": _f504, "F414": test_cards.create,
                 "F102": _f102, "F201": _cps_request, "F202": _cps_request}
# What depositing a form does at once, before any agent looks at it (a lost or stolen card is opposed).
ON_DEPOSIT = {"F501": incidents.oppose}


def apply(db: Session, filing: Filing, actor: str, means: Means) -> None:
    effect = ON_ACCEPTANCE.get(filing.form)
    if effect is not None:
        effect(db, filing, actor, db.get(Structure, filing.structure_id), means)


def on_deposit(db: Session, filing: Filing, actor: str, means: Means) -> None:
    effect = ON_DEPOSIT.get(filing.form)
    if effect is not None:
        effect(db, filing, actor, db.get(Structure, filing.structure_id), means)
