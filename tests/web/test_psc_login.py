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


@pytest.mark.parametrize("method, mode_label", [("card", "carte CPx"), ("mobile", "e-CPS")])
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
    assert response.status_code == 400
    assert "ne correspond à aucune connexion" in response.get_data(as_text=True)
    assert_logged_out(client)
    # The login this browser did start still completes: the forged answer consumed nothing.
    assert client.get(callback_path(url)).status_code == 303


def _sid(client) -> str:
    with client.session_transaction() as sess:
        return sess["sid"]


def _replay_cookie(client, sid: str):
    with client.session_transaction() as sess:
        sess.clear()
        sess["sid"] = sid
    return client.get("/tableau-de-bord")


@pytest.mark.parametrize("query", ["error=access_denied", "error=access_denied&state=forged", "code=x&state=y"])
def test_forged_callback_does_not_log_the_user_out(client, seeded, psc_sandbox, query):
    psc_login(client, psc_sandbox["url"], DOC)
    response = client.get(f"/auth/psc/callback?{query}")
    assert response.status_code == 400 and "aucune connexion en cours" in response.get_data(as_text=True)
    assert client.get("/tableau-de-bord").status_code == 200


def test_failed_login_ends_the_server_side_session(client, seeded, psc_sandbox):
    psc_login(client, psc_sandbox["url"], DOC)
    old = _sid(client)
    url = psc_callback_url(client, psc_sandbox["url"], DOC)
    SandboxBrowser(psc_sandbox["url"]).faults("bad_signature")
    assert client.get(callback_path(url)).status_code == 401
    assert_logged_out(client)
    assert _replay_cookie(client, old).status_code == 303  # a copy of the old cookie opens nothing


def test_relogin_ends_the_previous_server_side_session(client, seeded, psc_sandbox):
    psc_login(client, psc_sandbox["url"], DOC)
    old = _sid(client)
    psc_login(client, psc_sandbox["url"], DOC)
    new = _sid(client)
    assert _replay_cookie(client, old).status_code == 303
    assert _replay_cookie(client, new).status_code == 200


HOSTILE_NEXT = [
    "/%09/evil.example/x", "/\t/evil.example", "/%0d%0a/evil.example", "/\r\n/evil.example",
    "/%0b/evil.example", "/\x0b/evil.example", "/%C2%A0/evil.example", "/\u00a0/evil.example",
    "/%5Cevil.example", "/\\x5cevil.example", "/%2F/evil.example", "/%2f%2fevil.example", "/.//evil.example",
    "//evil.example", "///evil.example", "https://evil.example/", "http:/evil.example", "javascript:alert(1)",
    "/\u3002evil.example", "//evil\u3002example", "/\uff0e\uff0e/evil.example", " /tableau-de-bord",
    "/tableau-de-bord/../../evil", "evil.example", "/n-existe-pas",
]


@pytest.mark.parametrize("hostile", HOSTILE_NEXT)
def test_hostile_next_lands_on_the_portal(client, seeded, psc_sandbox, hostile):
    from urllib.parse import quote

    client.get("/auth/connexion?next=" + quote(hostile.encode().decode("unicode_escape"), safe="%/:"))
    response = psc_login(client, psc_sandbox["url"], DOC)
    location = response.headers["Location"]
    assert response.status_code == 303
    assert location == "/tableau-de-bord", location


@pytest.mark.parametrize("wanted", ["/tableau-de-bord", "/referentiel/?q=rare", "/accessibilite"])
def test_next_to_a_portal_page_is_honoured(client, seeded, psc_sandbox, wanted):
    from urllib.parse import quote

    client.get("/auth/connexion?next=" + quote(wanted))
    assert psc_login(client, psc_sandbox["url"], DOC).headers["Location"] == wanted


def test_userinfo_json_without_sub_is_refused(client, seeded, psc_sandbox):
    url = psc_callback_url(client, psc_sandbox["url"], DOC)
    SandboxBrowser(psc_sandbox["url"]).faults("userinfo_json", "userinfo_no_sub")
    assert client.get(callback_path(url)).status_code == 401


def test_rights_follow_what_psc_reports_at_each_login(client, seeded, psc_sandbox):
    psc_login(client, psc_sandbox["url"], PHARMA)
    page = client.get("/tableau-de-bord").get_data(as_text=True)
    assert "Pharmacien hospitalier" in page and "Hôpital Nord Laennec" in page
    SandboxBrowser(psc_sandbox["url"]).faults("left_structures")
    psc_login(client, psc_sandbox["url"], PHARMA)
    page = client.get("/tableau-de-bord").get_data(as_text=True)
    assert "KIT PHARMA0003" in page
    assert "Pharmacien hospitalier" not in page and "Hôpital Nord Laennec" not in page
    psc_login(client, psc_sandbox["url"], PHARMA)  # back in the PUI
    assert "Pharmacien hospitalier" in client.get("/tableau-de-bord").get_data(as_text=True)


def test_unexpected_issuer_is_refused(psc_sandbox):
    from app.psc.oidc import PscClient, PscConfig, PscError

    client = PscClient(PscConfig(discovery_url=psc_sandbox["discovery"], client_id="portail-sante",
                                 issuer="https://auth.esante.gouv.fr/auth/realms/esante-wallet"))
    with pytest.raises(PscError, match="pas celui attendu"):
        client.begin("http://localhost/auth/psc/callback")
    expected = PscClient(PscConfig(discovery_url=psc_sandbox["discovery"], client_id="portail-sante",
                                   issuer=psc_sandbox["discovery"].split("/.well-known")[0]))
    assert expected.begin("http://localhost/auth/psc/callback")[0].startswith("http")


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
    # userinfo bound to the ID token: same sub, and a JWT naming our issuer and us as audience
    ("userinfo_other_sub", "ne concernent pas la personne connectée"),
    ("userinfo_no_sub", "ne concernent pas la personne connectée"),
    ("userinfo_no_iss", "ne viennent pas de Pro Santé Connect"),
    ("userinfo_no_aud", "pas destinées à ce portail"),
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
