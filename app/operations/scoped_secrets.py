"""What an editors' API token and an ACME account's binding credentials (EAB) are alike: a secret for software,
named by its creator, within structures (and certificate families) the creator administers, valid for one of a
few durations, shown once, revocable, and rechecked against the creator's habilitations on every use."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session

from app.domain.refusals import OutOfScope, Refusal
from app.models import Person, Structure
from app.models.base import utcnow
from app.operations.certificates import administers

MAX_NAME = 100


def checked_request(db: Session, person: Person, *, name: str, days: int, durations: Iterable[int],
                    structure_ids: list[int], families: list[str], named_for: str, scope: str) -> datetime:
    """Refuse, field by field, what the creator may not ask; return the secret's expiry."""
    durations = tuple(durations)
    if not name.strip() or len(name) > MAX_NAME:
        raise Refusal(f"Donnez un nom ({named_for}), {MAX_NAME} caractères au plus.", field="nom")
    if days not in durations:
        raise Refusal(f"Durée de validité : {', '.join(map(str, durations[:-1]))} ou {durations[-1]} jours.",
                      field="jours")
    if not families or set(families) - {"ORG", "SERV"}:
        raise Refusal("Choisissez au moins une famille de certificats.", field="familles")
    if not structure_ids:
        raise Refusal("Choisissez au moins une structure.", field="structures")
    for sid in structure_ids:
        structure = db.get(Structure, sid)
        if structure is None or not all(administers(db, person.id, structure, f) for f in families):
            raise OutOfScope(f"{scope} ne peut porter que sur les structures dont vous administrez "
                             f"{'la famille' if len(families) == 1 else 'les familles'} {', '.join(families)}.",
                             field="structures")
    return utcnow() + timedelta(days=days)
