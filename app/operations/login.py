"""Opening, checking and ending portal sessions; building the Actor the permission rules see."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.domain.permissions import Actor, HabilitationRef
from app.models import AgencyRole, Habilitation, LoginSession, Person, PracticeActivity, Structure
from app.models.base import aware, utcnow
from app.operations import audit
from app.psc.identity import ProfessionalIdentity

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
TOUCH_EVERY = timedelta(seconds=60)


def open_session(db: Session, identity: ProfessionalIdentity, *, id_token: str = "") -> LoginSession:
    """Record the login: create or refresh the person, take PSC's activities as they are, start a session."""
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
    if identity.profession_code or identity.auth_method.startswith("psc"):
        # PSC reports the current profession (none when the person no longer practises); a card keeps it.
        person.profession_code = identity.profession_code
        person.profession_category = identity.profession_category
    db.flush()
    if identity.auth_method.startswith("psc"):
        _replace_activities(db, person, identity)
    login = LoginSession(id=secrets.token_urlsafe(32), person_id=person.id, auth_method=identity.auth_method,
                         id_token=id_token)
    db.add(login)
    db.flush()
    audit.record(db, actor=identity.national_id, action="session.opened", object_type="person",
                 object_id=person.id, before=before, after={"auth_method": identity.auth_method})
    return login


def _replace_activities(db: Session, person: Person, identity: ProfessionalIdentity) -> None:
    """PSC is the source of truth for practice: what it no longer reports (a structure left, a role
    dropped) goes, so rights derived from activities never outlive them. The card path reports no
    activities and keeps what is known."""
    wanted: dict[tuple, PracticeActivity] = {}
    for act in identity.activities:
        structure = _practice_structure(db, act)
        if structure is None:
            continue
        key = (structure.id, act.profession_code)
        previous = wanted.get(key)
        wanted[key] = PracticeActivity(
            person_id=person.id, structure_id=structure.id, profession_code=act.profession_code,
            specialty_code=act.specialty_code, practice_mode=act.practice_mode, sector_code=act.sector_code,
            pharmacy_pui=act.in_pui or bool(previous and previous.pharmacy_pui))
    current = db.exec(select(PracticeActivity).where(PracticeActivity.person_id == person.id)).all()
    before = sorted(_describe(a) for a in current)
    after = sorted(_describe(a) for a in wanted.values())
    if before == after:
        return
    for row in current:
        db.delete(row)
    db.flush()
    db.add_all(wanted.values())
    db.flush()
    audit.record(db, actor=identity.national_id, action="person.activities_replaced", object_type="person",
                 object_id=person.id, before={"activities": before}, after={"activities": after})


def _practice_structure(db: Session, act) -> Structure | None:
    """The most precise structure the portal knows for an activity: the site, then its EJ, then SIRET."""
    for column, value in ((Structure.finess, act.finess_site), (Structure.finess, act.finess_legal),
                          (Structure.siret, act.siret_site)):
        if value:
            found = db.exec(select(Structure).where(column == value)).first()
            if found is not None:
                return found
    return None


def _describe(activity: PracticeActivity) -> str:
    return (f"{activity.structure_id}:{activity.profession_code}:{activity.specialty_code}:"
            f"{activity.practice_mode}:{activity.sector_code}:{int(activity.pharmacy_pui)}")


@dataclass(frozen=True)
class LiveLogin:
    """A live portal session, its person and their rights, as every request reads them (plain values)."""

    id: str
    person_id: int
    auth_method: str
    id_token: str
    national_id: str
    civility: str
    family_name: str
    given_name: str
    profession_code: str
    profession_category: str
    rights: tuple = ()  # (kind, structure_id, role, family, in_pui) rows for build_actor


_L, _P = LoginSession.__table__.c, Person.__table__.c
_NONE = sa.null()
_SID = sa.bindparam("sid")


def _live_rights(kind: str, table, structure_id, role, family, in_pui, *, on, where=()):
    """One branch of the request's query: a kind of right of the session's person, in the session row's shape."""
    return (sa.select(sa.literal_column(f"'{kind}'").label("kind"), structure_id.label("ref"), role.label("role"),
                      family.label("family"), _NONE.label("id_token"), _NONE.label("national_id"),
                      _NONE.label("civility"), _NONE.label("family_name"), _NONE.label("given_name"),
                      _NONE.label("profession_code"), _NONE.label("profession_category"),
                      _NONE.label("created_at"), _NONE.label("last_seen_at"), in_pui.label("in_pui"))
            .select_from(LoginSession.__table__).join(table, on)
            .where(_L.id == _SID, _L.ended_at.is_(None), *where))


_PA, _H, _A = PracticeActivity.__table__.c, Habilitation.__table__.c, AgencyRole.__table__.c
# The session row and everything the permission rules read of its person, in one round trip: every request
# that carries a session cookie runs it (a third of a logged-in page's database time when it was three).
_LIVE_SESSION = sa.union_all(
    sa.select(sa.literal_column("'session'").label("kind"), _L.person_id.label("ref"), _L.auth_method.label("role"),
              _NONE.label("family"), _L.id_token, _P.national_id, _P.civility, _P.family_name, _P.given_name,
              _P.profession_code, _P.profession_category, _L.created_at, _L.last_seen_at,
              sa.false().label("in_pui"))
    .join_from(LoginSession.__table__, Person.__table__, _P.id == _L.person_id)
    .where(_L.id == _SID, _L.ended_at.is_(None)),
    _live_rights("activity", PracticeActivity.__table__, _PA.structure_id, _NONE, _NONE, _PA.pharmacy_pui,
                 on=_PA.person_id == _L.person_id),
    _live_rights("habilitation", Habilitation.__table__, _H.structure_id, _H.role, _H.certificate_family,
                 sa.false(), on=_H.person_id == _L.person_id, where=(_H.ended_at.is_(None),)),
    _live_rights("agency", Person.__table__.join(AgencyRole.__table__, _A.national_id == _P.national_id), _NONE,
                 _A.role, _A.scope, sa.false(), on=_P.id == _L.person_id),
)
_TOUCH = sa.update(LoginSession.__table__).where(_L.id == sa.bindparam("sid")).values(last_seen_at=sa.bindparam("at"))


def check_session(db: Session, session_id: str | None, now: datetime | None = None, *,
                  later: Callable[[Callable[[Session], object]], None] | None = None) -> LiveLogin | None:
    """The live session for this id, its person and their rights (one query), or None; ends it when it has
    timed out. Moves last_seen_at at most once a minute. Those writes go through ``db``, or are handed to
    ``later`` as an action on a transaction of its own (the request's bookkeeping, never the view's work)."""
    if not session_id:
        return None
    rows = db.connection().execute(_LIVE_SESSION, {"sid": session_id}).all()  # Core: no ORM pass
    row = next((r for r in rows if r.kind == "session"), None)
    if row is None:
        return None
    now = now or utcnow()
    reason = ""
    if now - aware(row.created_at) > ABSOLUTE_TIMEOUT:
        reason = "absolute_timeout"
    elif now - aware(row.last_seen_at) > IDLE_TIMEOUT:
        reason = "idle_timeout"
    record = later or (lambda action: action(db))
    if reason:
        record(lambda w: end_session(w, w.get(LoginSession, session_id), reason=reason, now=now))
        return None
    if now - aware(row.last_seen_at) > TOUCH_EVERY:
        record(lambda w: _touch(w, session_id, now))
    rights = tuple((r.kind, r.ref, r.role, r.family, r.in_pui) for r in rows if r.kind != "session")
    return LiveLogin(session_id, row.ref, row.role, row.id_token, row.national_id, row.civility,
                     row.family_name, row.given_name, row.profession_code, row.profession_category, rights)


def _touch(db: Session, session_id: str, now: datetime) -> bool:
    """Move last_seen_at, best effort: on SQLite a read transaction cannot become a write one after another
    worker committed (SQLITE_BUSY_SNAPSHOT); that worker's request kept the session alive just as well."""
    try:
        with db.begin_nested():
            db.connection().execute(_TOUCH, {"sid": session_id, "at": now})
    except sa.exc.OperationalError:
        return False
    return True


def extend(db: Session, session_id: str, now: datetime | None = None) -> datetime:
    """The user asked to stay: the idle clock starts again now (the warning before the timeout offers it)."""
    now = now or utcnow()
    db.connection().execute(_TOUCH, {"sid": session_id, "at": now})
    return now + IDLE_TIMEOUT


def end_session(db: Session, login: LoginSession, *, reason: str = "logout", now: datetime | None = None) -> None:
    """End the server-side session; its cookie opens nothing any more once the caller commits."""
    login.ended_at = now or utcnow()
    login.end_reason = reason
    person = db.get(Person, login.person_id)
    audit.record(db, actor=person.national_id if person else "?", action="session.ended",
                 object_type="login_session", object_id=login.id[:12], after={"reason": reason})
    db.flush()


def build_actor(login: LiveLogin) -> Actor:
    """The request's actor: who, how logged in, and the rights derived server-side (never from the client)."""
    activities, pui, habilitations, grants, laboratories, regions = set(), set(), [], set(), set(), set()
    for kind, structure_id, role, family, in_pui in login.rights:
        if kind == "activity":
            activities.add(structure_id)
            if in_pui:
                pui.add(structure_id)
        elif kind == "habilitation":
            habilitations.append(HabilitationRef(structure_id, role, family))
        else:
            grants.add(role)
            if role == "laboratory" and family:
                laboratories.add(family)
            if role == "crpv" and family:
                regions.add(family)
    civility = "Dr " if login.civility == "DR" else ""
    return Actor(
        national_id=login.national_id,
        person_id=login.person_id,
        display_name=f"{civility}{login.given_name} {login.family_name}".strip(),
        profession_code=login.profession_code,
        profession_category=login.profession_category,
        auth_method=login.auth_method,
        activity_structure_ids=frozenset(activities),
        pui_structure_ids=frozenset(pui),
        habilitations=tuple(habilitations),
        agency_roles=frozenset(grants),
        laboratories=frozenset(laboratories),
        crpv_regions=frozenset(regions),
    )
