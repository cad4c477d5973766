"""The DNS domains a structure declared for its SERV perimeter (accepted F413/F503), and the check every SERV SSL
name goes through before the HSM signs anything."""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.certificates import check_declared, parse_domains
from app.domain.permissions import scope_of
from app.models import ServDomain, Structure
from app.operations import audit


def declared(db: Session, structure: Structure) -> list[str]:
    """The structure's declared domains, and its EJ's when it is a site."""
    scope = scope_of(structure)
    return sorted(set(db.exec(select(ServDomain.name).where(ServDomain.structure_id.in_(scope))).all()))


def declare(db: Session, *, structure_id: int, text: str, source: str, actor: str) -> list[str]:
    """Record the domains of an accepted form (each once per structure); returns those newly declared."""
    known = set(db.exec(select(ServDomain.name).where(ServDomain.structure_id == structure_id)).all())
    added = [name for name in parse_domains(text) if name not in known]
    for name in added:
        db.add(ServDomain(structure_id=structure_id, name=name, source=source))
    if added:
        db.flush()
        audit.record(db, actor=actor, action="structure.serv_domains_declared", object_type="structure",
                     object_id=structure_id, after={"domains": added, "source": source})
    return added


def check_names(db: Session, structure: Structure, names: list[str]) -> None:
    """Refuse, naming it, any host outside the structure's declared domains."""
    check_declared(names, declared(db, structure))
