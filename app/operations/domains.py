"""The DNS domains a structure declared for its SERV perimeter (accepted F413/F503), and the check every SERV SSL
name goes through before the HSM signs anything."""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.certificates import CertificateRequestError, check_declared, parse_domains
from app.domain.domain_control import DomainError
from app.models import ServDomain, Structure
from app.models.base import utcnow
from app.operations import audit, domain_control


class CaaRefused(CertificateRequestError):
    """A name's CAA records do not allow the portal to issue (ACME answers it with the « caa » problem type)."""


declared = domain_control.declared  # where a domain is proved; certificates and ACME read it here


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
    """Refuse, naming it, any host outside the structure's declared domains, or outside the domains it proved it
    controls within the reuse period (« Mes domaines »): the agency's acceptance of a declared domain is not a
    proof that the structure controls it; then any host whose CAA records do not allow the portal (RFC 8659)."""
    check_declared(names, declared(db, structure))
    now = utcnow()
    try:
        domain_control.check_issuance(names)
    except DomainError as exc:
        raise CaaRefused(str(exc), field="dns_names") from None
    for name in names:
        if domain_control.covers(db, structure, name, now):
            continue
        expired = domain_control.expired_for(db, structure, name, now)
        if expired is not None:
            domain, until = expired
            raise CertificateRequestError(
                f"La preuve de contrôle du domaine {domain} a expiré le {until:%d/%m/%Y} : vérifiez-le à nouveau "
                "dans « Mes domaines ».", field="dns_names")
        raise CertificateRequestError(
            f"Le nom « {name} » n’est dans aucun domaine dont la structure a prouvé le contrôle : prouvez-le dans "
            "« Mes domaines » (enregistrement DNS ou fichier sur le serveur web).", field="dns_names")
