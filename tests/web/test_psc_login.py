"""Pro Santé Connect login against the sandbox over real HTTP (no mock of Authlib)."""

import pytest

from seeds.loader import load
from tests.psc import SandboxBrowser, callback_path, psc_callback_url, psc_login

DOC = "899700000013"
PHARMA = "899700000039"


@pytest.fixture()
def seeded(db):
    load(db)
    return db


def assert_logged_out(client):
    response = client.get("/tableau-de-bord")
    assert response.status_code == 303 and "/auth/connexion" in response.headers["Location"]
    with client.session_transaction() as sess:
        assert "sid" not in sess


@pytest.mark.parametrize("method, mode_label", [("card", "carte CPS"), ("mobile", "e-CPS")])
def test_login_lands_on_dashboard_with_name_profession_and_structures(client, seeded, psc_sandbox, method, mode_label):
    response = psc_login(client, psc_sandbox["url"], DOC, method)
    assert response.status_code == 303 and response.headers["Location"].endswith("/tableau-de-bord")
    page = client.get("/tableau-de-bord").get_data(as_text=True)
    assert "Dr KIT DOC0001" in page
    assert "Médecin" in page and "Prescripteur" in page
    assert "Hôpital Nord Laennec" in page
    assert mode_label in page


def test_userinfo_as_plain_json_is_accepted(client, seeded, psc_sandbox):
    SandboxBrowser(psc_sandbox["url"]).faults("userinfo_json")
    response = psc_login(client, psc_sandbox["url"], PHARMA)
    assert response.status_code == 303
    page = client.get("/tableau-de-bord").get_data(as_text=True)
    assert "Pharmacien hospitalier" in page


def test_session_is_rotated_at_login(client, seeded, psc_sandbox):
    psc_login(client, psc_sandbox["url"], DOC)
    with client.session_transaction() as sess:
        first = sess["sid"]
    psc_login(client, psc_sandbox["url"], DOC)
    with client.session_transaction() as sess:
        assert sess["sid"] != first
        assert "psc_pending" not in sess


def test_logout_ends_session_and_calls_end_session(client, seeded, psc_sandbox):
    psc_login(client, psc_sandbox["url"], DOC)
    with client.session_transaction() as sess:
        old_sid = sess["sid"]
    page = client.get("/tableau-de-bord").get_data(as_text=True)
    assert "Se déconnecter" in page
    without_csrf = client.post("/auth/logout")
    assert without_csrf.status_code == 400
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/auth/logout", data={"csrf_token": token})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "/protocol/openid-connect/logout?" in location and "id_token_hint=" in location
    assert "post_logout_redirect_uri=http%3A%2F%2Flocalhost%2F" in location
    assert_logged_out(client)
    # The old cookie is dead server-side too.
    with client.session_transaction() as sess:
        sess["sid"] = old_sid
    assert client.get("/tableau-de-bord").status_code == 303


def test_wrong_state_is_refused(client, seeded, psc_sandbox):
    url = psc_callback_url(client, psc_sandbox["url"], DOC)
    tampered = url.replace("state=", "state=x")
    response = client.get(callback_path(tampered))
    assert response.status_code == 401
    assert "ne correspond à aucune connexion" in response.get_data(as_text=True)
    assert_logged_out(client)


def test_replayed_code_is_refused(client, seeded, psc_sandbox):
    first = psc_callback_url(client, psc_sandbox["url"], DOC)
    assert client.get(callback_path(first)).status_code == 303
    # A new login attempt gets a fresh state; the attacker replays the old code with it.
    start = client.get("/auth/psc/login")
    state = start.headers["Location"].split("state=")[1].split("&")[0]
    old_code = first.split("code=")[1].split("&")[0]
    with client.session_transaction() as sess:
        sess.pop("sid", None)
    response = client.get(f"/auth/psc/callback?code={old_code}&state={state}")
    assert response.status_code == 401
    assert "déjà utilisé" in response.get_data(as_text=True)
    assert_logged_out(client)


@pytest.mark.parametrize("fault, message", [
    ("nonce_mismatch", "refusé"),
    ("wrong_issuer", "refusé"),
    ("wrong_audience", "pas destiné à ce portail"),
    ("expired", "refusé"),
    ("bad_signature", "signature"),
    ("acr_low", "niveau d’authentification est insuffisant"),
    ("acr_missing", "niveau d’authentification est insuffisant"),
    ("userinfo_bad_signature", "signature"),
    ("no_subject", "SubjectNameID"),
])
def test_bad_provider_answers_end_on_a_french_error_page_without_session(client, seeded, psc_sandbox, fault, message):
    url = psc_callback_url(client, psc_sandbox["url"], DOC)
    SandboxBrowser(psc_sandbox["url"]).faults(fault)
    response = client.get(callback_path(url))
    html = response.get_data(as_text=True)
    assert response.status_code == 401, fault
    assert 'lang="fr"' in html and message in html
    assert_logged_out(client)


def test_provider_error_and_missing_code(client, psc_sandbox):
    client.get("/auth/psc/login")
    with client.session_transaction() as sess:
        state = sess["psc_pending"]["state"]
    response = client.get(f"/auth/psc/callback?error=access_denied&state={state}")
    assert response.status_code == 401 and "annulée" in response.get_data(as_text=True)
    assert_logged_out(client)


def test_three_wrong_pins_block_the_test_card(client, psc_sandbox):
    start = client.get("/auth/psc/login")
    browser = SandboxBrowser(psc_sandbox["url"])
    req_id = browser.open_authorize(start.headers["Location"])
    browser.choose(req_id, "899700000054", "card")
    assert "il reste 2 essais" in browser.pin(req_id, "0000").text
    assert "il reste 1 essai" in browser.pin(req_id, "0001").text
    blocked = browser.pin(req_id, "0002")
    assert blocked.status_code == 403 and "Carte bloquée" in blocked.text
    assert browser.pin(req_id, "1234").status_code == 403  # even the right PIN now


def test_unknown_redirect_uri_is_refused_by_the_sandbox(psc_sandbox):
    import requests

    response = requests.get(f"{psc_sandbox['url']}/auth", params={
        "client_id": "portail-sante", "redirect_uri": "https://evil.example/cb", "response_type": "code",
        "scope": "openid", "state": "s", "nonce": "n", "code_challenge": "c", "code_challenge_method": "S256"},
        timeout=5)
    assert response.status_code == 400


def test_login_rate_limit(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    codes = [client.get("/auth/psc/login").status_code for _ in range(5)]
    assert codes[:3] == [303, 303, 303] and codes[-1] == 429
