"""F301, staff cards (CPE or CPA) for the structure's non-health personnel."""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.codes import PROFESSIONS
from app.domain.identifiers import InvalidIdentifier, parse_national_id
from app.models import Card, Filing, Person, Structure

from .behaviour import FormBehaviour
from .means import Means
from .people import ADDRESS, HEALTH_PROFESSIONAL_PREFIXES, card_type_for, order_card
from .prefill import belongs_to, legal_entity

OTHER_STRUCTURE = ("Cet identifiant est celui d’une personne d’une autre structure : une carte d’établissement se "
                   "commande pour le personnel de la structure (laissez le champ vide pour une première carte).")


def _of_structure(db: Session, national_id: str, person: Person | None, family: set[int]) -> bool:
    """A staff card's holder belongs to the filing structure: a person on its records, or a new staff id
    scoped to it (3+FINESS/… or 5+SIRET/… of the structure, its EJ or a sibling site)."""
    if person is not None:
        return belongs_to(db, person.id, family)
    try:
        parsed = parse_national_id(national_id)
    except InvalidIdentifier:
        return True  # the field's own check says what is wrong with it
    if parsed.prefix not in ("3", "5"):
        return False
    column = Structure.finess if parsed.prefix == "3" else Structure.siret
    return db.exec(select(Structure.id).where(column == parsed.number, Structure.id.in_(list(family)))).first() \
        is not None


def check(db: Session, structure: Structure, payload: dict, found: dict) -> None:
    family: set[int] | None = None  # asked only for a holder's identifier (the summary is read on every view)
    rows = payload.get("titulaires") or []
    typed = {(row.get("identifiant") or "").strip() for row in rows} - {""}
    people = {p.national_id: p for p in db.exec(select(Person).where(Person.national_id.in_(typed)))} if typed else {}
    for i, row in enumerate(rows):
        national_id = (row.get("identifiant") or "").strip()
        person = people.get(national_id)
        if national_id.startswith(HEALTH_PROFESSIONAL_PREFIXES) or (person and person.profession_code in PROFESSIONS):
            found.setdefault("titulaires", {})[f"rows-{i}-identifiant"] = (
                "Les professionnels de santé ne reçoivent pas de carte d’établissement : leur CPS leur est "
                "attribuée via le RPPS.")
        elif national_id and not _of_structure(db, national_id, person,
                                               family := family or legal_entity(db, structure.id)):
            found.setdefault("titulaires", {})[f"rows-{i}-identifiant"] = OTHER_STRUCTURE
    if card_type_for(structure, director=False) == "CPA":
        director = db.exec(select(Card.id).where(Card.structure_id == structure.id, Card.card_type == "CDA",
                                                 Card.status == "active")).first()
        if director is None:
            found.setdefault("titulaires", {})["rows"] = (
                "Les cartes CPA supposent une carte CDA active pour la structure : déposez d’abord un F101.")


def accept(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    for row in filing.payload["titulaires"]:
        order_card(db, filing, actor, card_type_for(structure, director=False), row)
    if structure.card_delivery is None and filing.payload.get("livraison"):
        structure.card_delivery = {key: filing.payload["livraison"].get(key, "") for key in ADDRESS}
        db.add(structure)


BEHAVIOURS = (FormBehaviour("F301", rules=lambda db, filing, structure, payload, found:
                            check(db, structure, payload, found), on_acceptance=accept),)
