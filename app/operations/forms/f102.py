"""F102, a legal representative for a structure outside the care establishments: the questionnaire decides
which card, if any, the law gives it."""

from __future__ import annotations

from sqlmodel import Session

from app.domain.forms.questionnaire import LegalCard, legal_card_for
from app.models import Filing, Structure

from .behaviour import FormBehaviour
from .f101 import check_representative
from .means import Means
from .people import grant, order_card


def legal_card(structure: Structure, payload: dict) -> LegalCard | None:
    answers = payload.get("questionnaire") or {}
    return legal_card_for(in_finess=bool(structure.finess), patients=answers.get("patients", ""),
                          online_services=answers.get("services", ""))


def check(db: Session, structure: Structure, payload: dict, found: dict) -> None:
    decision = legal_card(structure, payload)
    if decision is not None and decision.card_type is None:
        field = "patients" if (payload.get("questionnaire") or {}).get("patients") == "oui" else "services"
        found.setdefault("questionnaire", {})[field] = decision.reason
    check_representative(db, payload, found)


def accept(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
    representative = filing.payload["representant"]
    if representative.get("identifiant"):
        grant(db, filing, actor, representative["identifiant"], "legal_representative")
    else:
        order_card(db, filing, actor, legal_card(structure, filing.payload).card_type, representative)


def assessment(db: Session, filing: Filing) -> tuple[str, str, str] | None:
    """What the summary tells the filer the form will decide, before they deposit it: (kind, text, title)."""
    decision = legal_card(db.get(Structure, filing.structure_id), filing.payload)
    if decision is None:
        return None
    if decision.card_type is None:
        return ("warning", decision.reason, "Aucune carte par ce formulaire")
    return ("info", decision.reason, f"Carte attribuée : {decision.card_type}")


BEHAVIOURS = (FormBehaviour("F102", rules=lambda db, filing, structure, payload, found:
                            check(db, structure, payload, found), on_acceptance=accept, assessment=assessment),)
