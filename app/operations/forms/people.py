"""Who the forms name: people with an active card, habilitations granted and ended, cards ordered; shared
by the forms' modules (one per form) and never importing them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from app.domain.codes import HABILITATION_ROLES
from app.domain.permissions import structure_and_its_ej
from app.models import Card, CardOrder, Filing, Habilitation, Person, Structure
from app.models.base import utcnow
from app.operations import audit, statistics

HEALTH_PROFESSIONAL_PREFIXES = ("8", "0")  # RPPS and ADELI: their cards come from the professional registers


def card_type_for(structure: Structure, *, director: bool) -> str:
    """CDE/CPE for care establishments (FINESS), CDA/CPA for the other authorised organisations."""
    if structure.finess:
        return "CDE" if director else "CPE"
    return "CDA" if director else "CPA"


def person_with_active_card(db: Session, national_id: str) -> Person | None:
    return db.exec(select(Person).join(Card, Card.person_id == Person.id)
                   .where(Person.national_id == national_id, Card.status == "active")).first()


def holds(db: Session, person_id: int, structure_id: int, role: str, family: str | None = None) -> bool:
    query = select(Habilitation.id).where(Habilitation.person_id == person_id,
                                          Habilitation.structure_id == structure_id,
                                          Habilitation.role == role, Habilitation.ended_at.is_(None))
    if family:
        query = query.where(Habilitation.certificate_family == family)
    return db.exec(query).first() is not None


def check_designations(db: Session, rows: list, step: str, errors: dict, *, structure: Structure, role: str,
                       adding: tuple[str, ...], family_of=lambda row: None) -> None:
    for i, row in enumerate(rows):
        national_id = (row.get("identifiant") or "").strip()
        if not national_id:
            continue
        key = f"rows-{i}-identifiant"
        action = row.get("action", adding[0])
        if action in adding:
            person = person_with_active_card(db, national_id)
            if person is None:
                errors.setdefault(step, {})[key] = ("Aucune carte active pour cet identifiant : la personne "
                                                    "désignée doit détenir une carte CPx active.")
            elif holds(db, person.id, structure.id, role, family_of(row)):
                family = family_of(row)
                errors.setdefault(step, {})[key] = (f"{person.shown_name} est déjà désigné(e) sur cette structure"
                                                    + (f" (famille {family})" if family else "")
                                                    + " : rien à ajouter. Retirez la ligne ou désignez une autre "
                                                      "personne.")
        else:
            person = db.exec(select(Person).where(Person.national_id == national_id)).first()
            if person is None or not holds(db, person.id, structure.id, role, family_of(row)):
                errors.setdefault(step, {})[key] = ("Cette personne n’est pas habilitée sur la structure : "
                                                    "rien à retirer.")


# Built once (a summary page asks it on every view): the filer's current roles on a structure and its EJ.
_FILER_ROLES = sa.select(Habilitation.role).where(
    Habilitation.person_id == sa.bindparam("person_id"),
    Habilitation.structure_id.in_(sa.bindparam("structure_ids", expanding=True)), Habilitation.ended_at.is_(None))


def filer_roles(db: Session, filing: Filing, roles=None) -> list[str]:
    """The filer's current roles on the filing's structure or on its EJ (all of them, or among ``roles``)."""
    structure = db.get(Structure, filing.structure_id) if filing.structure_id else None
    if structure is None:
        return []
    held = db.connection().execute(_FILER_ROLES, {"person_id": filing.filer_id,
                                                  "structure_ids": structure_and_its_ej(structure)}).scalars()
    return sorted({role for role in held if not roles or role in roles})


def filer_tie(db: Session, filing: Filing) -> list[str]:
    """Who filed and their tie to the structure the form names (the employer of an F201 or F202)."""
    filer = db.get(Person, filing.filer_id)
    structure = db.get(Structure, filing.structure_id) if filing.structure_id else None
    roles = filer_roles(db, filing)
    tie = (", ".join(HABILITATION_ROLES[r].lower() for r in roles) if roles
           else "aucun rôle sur la structure ni sur son entité juridique")
    name = f"{filer.shown_name} ({filer.national_id})" if filer else "—"
    return [f"Déposé par {name}\u00a0: {tie}" + (f" ({structure.name})." if structure else ".")]


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
    statistics.card_ordered(db, filing.form, utcnow())
    audit.record(db, actor=actor, action="card.ordered", object_type="card_order", object_id=order.id,
                 after={"card_type": card_type, "holder": f"{order.given_name} {order.family_name}",
                        "source": filing.reference})
    return order
