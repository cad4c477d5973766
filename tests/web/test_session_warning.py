"""Issue 31 (7), WCAG 2.2.1: every logged-in page carries the warning shown before the idle timeout, and « Rester
connecté » starts the idle clock again (with the CSRF token, as every state change)."""

from __future__ import annotations

from datetime import timedelta

from app.models import LoginSession
from app.models.base import aware, utcnow
from app.operations.login import IDLE_TIMEOUT


def test_the_warning_is_on_logged_in_pages_only(client, make_person, as_person):
    assert 'id="session-expiration"' not in client.get("/").get_data(as_text=True)
    page = as_person(make_person()).get("/tableau-de-bord").get_data(as_text=True)
    assert 'id="session-expiration"' in page and f'data-inactivite="{int(IDLE_TIMEOUT.total_seconds())}"' in page
    assert "Rester connecté" in page and 'data-prolonger="/auth/session/prolonger"' in page


def test_staying_moves_the_idle_clock_and_needs_the_token(db, client, make_person, as_person):
    browser = as_person(make_person())
    with client.session_transaction() as cookie:
        sid = cookie["sid"]
    login = db.get(LoginSession, sid)
    login.last_seen_at = utcnow() - timedelta(minutes=28)  # the warning is up: two minutes left
    db.flush()
    assert client.post("/auth/session/prolonger").status_code == 400  # no CSRF token
    stayed = browser.post("/auth/session/prolonger")
    assert stayed.status_code == 200 and stayed.get_json()["inactivite"] == 1800
    db.expire_all()
    assert utcnow() - aware(db.get(LoginSession, sid).last_seen_at) < timedelta(minutes=1)


def test_staying_after_the_end_says_the_session_is_over(db, client, make_person, as_person):
    browser = as_person(make_person())
    token = browser.token()
    with client.session_transaction() as cookie:
        sid = cookie["sid"]
    login = db.get(LoginSession, sid)
    login.last_seen_at = utcnow() - timedelta(minutes=31)
    db.flush()
    late = client.post("/auth/session/prolonger", headers={"X-CSRFToken": token})
    assert late.status_code == 401 and "reconnectez-vous" in late.get_json()["erreur"]
