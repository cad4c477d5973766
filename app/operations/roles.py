"""Granting agency roles (ANS operator, ANSM evaluator)."""

from __future__ import annotations

from sqlmodel import Session, select

from app.domain.codes import AGENCY_ROLES
from app.domain.identifiers import parse_national_id
from app.domain.protocol import REGION_NAMES
from app.models import AgencyRole
from app.operations import audit


class RoleError(ValueError):
    pass


def grant_role(db: Session, national_id: str, role: str, *, granted_by: str, scope: str = "") -> tuple[
        AgencyRole, bool]:
    """Grant ``role`` to ``national_id``; returns (grant, created). Idempotent. A laboratory role names its
    laboratory (``scope``, as the référentiel spells it)."""
    if role not in AGENCY_ROLES:
        raise RoleError(f"Rôle inconnu « {role} » : choisissez parmi {', '.join(sorted(AGENCY_ROLES))}.")
    if (role in ("laboratory", "crpv")) != bool(scope.strip()):
        raise RoleError("Les rôles laboratory et crpv s’accompagnent de leur périmètre (--laboratoire\u00a0: le nom du "
                        "laboratoire\u00a0; --region\u00a0: le code de la région, ex. PDL), et eux seuls.")
    if role == "crpv" and scope.strip() not in REGION_NAMES:
        raise RoleError(f"Région inconnue «\u00a0{scope}\u00a0»\u00a0: choisissez parmi "
                        f"{', '.join(sorted(REGION_NAMES))}.")
    nid = str(parse_national_id(national_id))
    existing = db.exec(select(AgencyRole).where(AgencyRole.national_id == nid, AgencyRole.role == role,
                                                AgencyRole.scope == scope.strip())).first()
    if existing:
        return existing, False
    grant = AgencyRole(national_id=nid, role=role, granted_by=granted_by, scope=scope.strip())
    db.add(grant)
    db.flush()
    audit.record(db, actor=granted_by, action="role.granted", object_type="agency_role", object_id=grant.id,
                 after={"national_id": nid, "role": role, **({"scope": grant.scope} if grant.scope else {})})
    return grant, True
