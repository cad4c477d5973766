"""F504, the structure's card delivery address, carried over to its cards ordered and not yet made."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Filing, Structure
from app.operations import audit
from app.operations.cardorders import waiting_for_delivery

from .behaviour import FormBehaviour
from .means import Means
from .people import ADDRESS


def warnings(db: Session, filing: Filing) -> list[str]:
    """The orders the new address will carry over, named: nothing else moves."""
    waiting = waiting_for_delivery(db, filing.structure_id)
    if not waiting:
        return ["Aucune carte commandée et non fabriquée pour cette structure\u00a0: seule son adresse de livraison "
                "change."]
    return [f"À l’acceptation, {len(waiting)} carte(s) commandée(s) et non encore fabriquée(s) de cette structure "
            "partiront à la nouvelle adresse\u00a0: " + ", ".join(
                f"{o.card_type} de {o.given_name} {o.family_name} (commande n°\u00a0{o.id})" for o in waiting)
            + ". Celles de l’entité juridique et de ses autres sites gardent la leur."]


def accept(db: Session, filing: Filing, actor: str, structure: Structure, means: Means) -> None:
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


BEHAVIOURS = (FormBehaviour("F504", warnings=warnings, on_acceptance=accept),)
