"""Opening, checking and ending portal sessions; building the Actor the permission rules see."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, or_, select

from app.domain.permissions import Actor, HabilitationRef
from app.models import AgencyRole, Habilitation, LoginSession, Person, PracticeActivity, Structure
from app.models.base import utcnow
from app.operations import audit
from app.psc.identity import ProfessionalIdentity

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
TOUCH_EVERY = timedelta(seconds=60)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def open_session(db: Session, identity: ProfessionalIdentity, *, id_token: str = "") -> LoginSession:
    """Record the login: create or refresh the person, sync PSC activities, start a new session."""
    person = db.exec(select(Person).where(Person.national_id == identity.national_id)).first()
    before = None
    if person is None:
        person = Person(national_id=identity.national_id, family_name=identity.family_name,
                        given_name=identity.given_name)
        db.add(person)
    else:
        before = {"family_name": person.family_name, "given_name": person.given_name,
                  "profession_code": person.profession_code}
    person.family_name = identity.family_name
    person.given_name = identity.given_name or person.given_name
    person.civility = identity.civility or person.civility
    if identity.profession_code:
        person.profession_code = identity.profession_code
        person.profession_category = identity.profession_category
    db.flush()
    _sync_activities(db, person, identity)
    login = LoginSession(id=secrets.token_urlsafe(32), person_id=person.id, auth_method=identity.auth_method,
                         id_token=id_token)
    db.add(login)
    db.flush()
    audit.record(db, actor=identity.national_id, action="session.opened", object_type="person",
                 object_id=person.id, before=before, after={"auth_method": identity.auth_method})
    db.commit()
    return login


def _sync_activities(db: Session, person: Person, identity: ProfessionalIdentity) -> None:
    """Activities PSC reports at structures the portal knows (by FINESS site, FINESS EJ or SIRET)."""
    for act in identity.activities:
        keys = [k for k in (act.finess_site, act.finess_legal) if k]
        clauses = [Structure.finess == k for k in keys]
        if act.siret_site:
            clauses.append(Structure.siret == act.siret_site)
        if not clauses:
            continue
        structure = db.exec(select(Structure).where(or_(*clauses)).order_by(Structure.kind.desc())).first()
        if structure is None:
            continue
        existing = db.exec(select(PracticeActivity).where(
            PracticeActivity.person_id == person.id, PracticeActivity.structure_id == structure.id,
            PracticeActivity.profession_code == act.profession_code)).first()
        if existing is None:
            db.add(PracticeActivity(person_id=person.id, structure_id=structure.id,
                                    profession_code=act.profession_code, specialty_code=act.specialty_code,
                                    practice_mode=act.practice_mode, sector_code=act.sector_code))


def check_session(db: Session, session_id: str | None, now: datetime | None = None) -> LoginSession | None:
    """The live session for this id, or None; ends it when it has timed out."""
    if not session_id:
        return None
    login = db.get(LoginSession, session_id)
    if login is None or login.ended_at is not None:
        return None
    now = now or utcnow()
    reason = ""
    if now - _aware(login.created_at) > ABSOLUTE_TIMEOUT:
        reason = "absolute_timeout"
    elif now - _aware(login.last_seen_at) > IDLE_TIMEOUT:
        reason = "idle_timeout"
    if reason:
        end_session(db, login, reason=reason, now=now)
        return None
    if now - _aware(login.last_seen_at) > TOUCH_EVERY:
        login.last_seen_at = now
        db.commit()
    return login


def end_session(db: Session, login: LoginSession, *, reason: str = "logout", now: datetime | None = None) -> None:
    login.ended_at = now or utcnow()
    login.end_reason = reason
    person = db.get(Person, login.person_id)
    audit.record(db, actor=person.national_id if person else "?", action="session.ended",
                 object_type="login_session", object_id=login.id[:12], after={"reason": reason})
    db.commit()


def build_actor(db: Session, login: LoginSession) -> Actor:
    person = db.get(Person, login.person_id)
    activities = db.exec(select(PracticeActivity).where(PracticeActivity.person_id == person.id)).all()
    habilitations = db.exec(select(Habilitation).where(Habilitation.person_id == person.id,
                                                       Habilitation.ended_at.is_(None))).all()
    grants = db.exec(select(AgencyRole.role).where(AgencyRole.national_id == person.national_id)).all()
    civility = "Dr " if person.civility == "DR" else ""
    return Actor(
        national_id=person.national_id,
        display_name=f"{civility}{person.given_name} {person.family_name}".strip(),
        profession_code=person.profession_code,
        profession_category=person.profession_category,
        auth_method=login.auth_method,
        activity_structure_ids=frozenset(a.structure_id for a in activities),
        habilitations=tuple(HabilitationRef(h.structure_id, h.role, h.certificate_family) for h in habilitations),
        agency_roles=frozenset(grants),
    )
