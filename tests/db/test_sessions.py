from datetime import timedelta

from app.models import LoginSession
from app.models.base import utcnow
from app.operations.login import check_session, end_session, open_session
from app.psc.identity import ProfessionalIdentity

IDENTITY = ProfessionalIdentity(national_id="899700000013", family_name="DOC0001", given_name="KIT",
                                auth_method="psc-mobile")


def test_idle_timeout_ends_the_session(db):
    login = open_session(db, IDENTITY)
    now = utcnow()
    assert check_session(db, login.id, now=now + timedelta(minutes=29)) is not None
    assert check_session(db, login.id, now=now + timedelta(minutes=29 + 31)) is None
    assert db.get(LoginSession, login.id).end_reason == "idle_timeout"


def test_absolute_timeout_even_when_active(db):
    login = open_session(db, IDENTITY)
    start = utcnow()
    for step in range(1, 36):  # active every 20 minutes for 11 h 40
        assert check_session(db, login.id, now=start + timedelta(minutes=20 * step)) is not None
    assert check_session(db, login.id, now=start + timedelta(hours=12, minutes=5)) is None
    assert db.get(LoginSession, login.id).end_reason == "absolute_timeout"


def test_ended_or_unknown_sessions_are_refused(db):
    login = open_session(db, IDENTITY)
    end_session(db, login)
    assert check_session(db, login.id) is None
    assert check_session(db, "inconnu") is None
    assert check_session(db, None) is None


def test_touch_gives_way_to_a_concurrent_writer(fresh_database):
    """Two workers: one committed a write after this request's read began. The page must still be served."""
    import sqlalchemy as sa

    from app.db import Database
    from app.migrate import upgrade

    url = fresh_database("touch")
    upgrade(url)
    database = Database(url)
    with database.session() as setup:
        login = open_session(setup, IDENTITY)
        setup.commit()
        sid = login.id
    reader, writer = database.session(), database.session()
    reader.execute(sa.text("SELECT count(*) FROM login_session")).all()  # this request's snapshot begins
    writer.execute(sa.text("UPDATE person SET email = 'x@example.fr'"))
    writer.commit()  # another worker wrote meanwhile
    live = check_session(reader, sid, now=utcnow() + timedelta(minutes=2))  # the touch gives way: no error
    assert live is not None and live.national_id == IDENTITY.national_id
    reader.rollback()
    reader.close()
    writer.close()
    database.engine.dispose()
