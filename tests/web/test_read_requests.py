"""Read requests (GET, HEAD, the OCSP POST) read through a session that refuses writes (on PostgreSQL it has
no transaction at all); the portal session's touch and timeout still land, in a short transaction of their own."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.db import ReadOnlyRequest, get_session
from app.models import AuditEvent, LoginSession, Person
from app.models.base import utcnow


def test_a_read_request_that_writes_is_refused_and_writes_nothing(app, db, make_person):
    make_person()
    with app.test_request_context("/tableau-de-bord"), pytest.raises(ReadOnlyRequest):
        get_session().execute(sa.update(Person).values(email="ecrit@example.fr"))
    assert db.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.email == "ecrit@example.fr")) == 0


def test_only_safe_methods_and_the_ocsp_post_read_only(app, db):
    from app.db import reads_only

    for method, path, expected in (("GET", "/tableau-de-bord", True), ("HEAD", "/", True),
                                   ("POST", "/auth/logout", False), ("POST", "/pki/ocsp", True)):
        with app.test_request_context(path, method=method):
            get_session()
            assert reads_only() is expected, (method, path)


def _age(db, sid: str, minutes: int) -> None:
    login = db.get(LoginSession, sid)
    login.last_seen_at = utcnow() - timedelta(minutes=minutes)
    db.flush()
    db.expire_all()


def test_a_page_read_moves_the_idle_clock_in_its_own_transaction(db, make_person, login_as):
    client = login_as(make_person())
    with client.session_transaction() as cookie:
        sid = cookie["sid"]
    _age(db, sid, 5)
    before = db.get(LoginSession, sid).last_seen_at
    assert client.get("/tableau-de-bord").status_code == 200
    db.expire_all()
    assert db.get(LoginSession, sid).last_seen_at > before


def test_a_page_read_ends_an_idle_session_and_says_so_in_the_audit(db, make_person, login_as):
    client = login_as(make_person())
    with client.session_transaction() as cookie:
        sid = cookie["sid"]
    _age(db, sid, 31)
    page = client.get("/tableau-de-bord")
    assert page.status_code == 303 and "/connexion" in page.headers["Location"]
    assert "Votre session a expiré" in client.get(page.headers["Location"]).get_data(as_text=True)
    db.expire_all()
    assert db.get(LoginSession, sid).end_reason == "idle_timeout"
    assert db.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "session.ended")) >= 1
