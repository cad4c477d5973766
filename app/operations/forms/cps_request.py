"""F201 and F202, a CPS for a health professional (employed, or a student or intern): one behaviour, two
descriptions."""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.codes import PROFESSIONS
from app.models import Card, Filing, Person, Structure

from .behaviour import FormBehaviour
from .means import Means
from .people import HEALTH_PROFESSIONAL_PREFIXES, filer_tie, order_card


def check(db: Session, payload: dict, found: dict) -> None:
    professional = payload.get("professionnel") or {}
    national_id = (professional.get("identifiant") or "").strip()
    if national_id and not national_id.startswith(HEALTH_PROFESSIONAL_PREFIXES):
        found.setdefault("professionnel", {})["identifiant"] = (
            "Un professionnel de santé est enregistré au RPPS (8…) ou à l’ADELI (0…), pas par un identifiant de "
            "structure.")
    elif national_id and db.exec(select(Card.id).join(Person, Person.id == Card.person_id).where(
            Person.national_id == national_id, Card.card_type == "CPS", Card.status == "active")).first():
        found.setdefault("professionnel", {})["identifiant"] = "Ce professionnel a déjà une CPS active."


def accept(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    professional = dict(filing.payload["professionnel"])
    professional["justification"] = (f"{filing.form} – {PROFESSIONS.get(professional['profession'], '')}, "
                                     f"{filing.payload['emploi'].get('fonction', '')}")
    order_card(db, filing, actor, "CPS", professional)


BEHAVIOURS = tuple(FormBehaviour(code, rules=lambda db, filing, structure, payload, found: check(db, payload, found),
                             warnings=filer_tie, on_acceptance=accept) for code in ("F201", "F202"))
