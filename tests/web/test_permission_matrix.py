"""Every route × every role × own/foreign structure. A new route must be added here to pass."""

import pytest
from sqlmodel import select

from app.models import Structure
from app.operations.login import open_session
from app.psc.claims import identity_from_userinfo
from app.psc.sandbox.identities import psc_claims
from seeds import data
from seeds.loader import load
from tests.aac.test_matrix import ROUTES as AAC_ROUTES
from tests.certificates.test_access import ROUTES as CERTIFICATE_ROUTES
from tests.forms.test_filing_matrix import ROUTES as CASEFILE_ROUTES

# role -> (national id, own structure key, foreign structure key)
ROLES = {
    "anonymous": (None, "chu", "clinique"),
    "prescriber": ("899700000013", "chu-nord", "clinique"),
    "interne": ("899700000047", "chu-nord", "clinique"),
    "pharmacist": ("899700000039", "chu-nord", "dialyse"),
    "nurse": ("899700000054", "chu-sj", "clinique"),
    "legal_rep": ("3440000016/DIR0001", "chu", "clinique"),
    "mandataire": ("3440000016/ADM0007", "chu", "clinique"),
    "tech_admin": ("581234567600017/TECH0009", "chu", "dialyse"),
    "clinic_legal_rep": ("3690000013/DIR0008", "clinique", "chu"),
    "ansm_evaluator": ("899700000062", None, "chu"),
    "ans_operator": ("899700000070", "clinique", "dialyse"),
}
LOGGED_IN = [r for r in ROLES if r != "anonymous"]

# (method, rule) -> expected status: one value for all, or a callable(role, which) for structure routes
PUBLIC = {
    ("GET", "/"): 200,
    ("GET", "/healthz"): 200,
    ("GET", "/accessibilite"): 200,
    ("GET", "/mentions-legales"): 200,
    ("GET", "/referentiel/"): 200,
    ("GET", "/referentiel/<code>"): 200,  # a product's sheet (AAC-0001 here)
    ("GET", "/auth/connexion"): 200,
    ("GET", "/auth/psc/login"): 303,
    ("GET", "/auth/psc/callback"): 400,  # answers no login this browser started
    ("GET", "/auth/cps"): 401,
    ("POST", "/auth/logout"): 400,  # no CSRF token: refused for everyone
    ("GET", "/pki/ca/<name>.cer"): 404,  # public; the test database has no PKI (tests/pki covers them)
    ("GET", "/pki/crl/<name>.crl"): 404,
    ("POST", "/pki/ocsp"): 200,  # public, CSRF-exempt: answers malformedRequest to an empty body
    ("GET", "/pki/ocsp/<path:encoded>"): 200,
    ("GET", "/static/v/<version>/<path:filename>"): 200,  # versioned static assets
    ("GET", "/boite-de-reception"): 200,
    ("GET", "/verification/<code>"): 404,  # a decision's public verification (tests/aac); unknown code here
    ("GET", "/api/v1/openapi.json"): 200,  # the editors' API: a bearer token or 401 (tests/certificates)
    ("GET", "/api/v1/certificats"): 401,
    ("POST", "/api/v1/certificats"): 401,
    ("GET", "/api/v1/certificats/<int:certificate_id>"): 401,  # development only (404 in production: tests/forms)
    ("GET", "/auth/courriel"): 200,  # a single-use link by e-mail, for the F101 without a card
    ("POST", "/auth/courriel"): 400,
    ("GET", "/auth/courriel/<token>"): 200,
    ("POST", "/auth/courriel/<token>"): 400,
}


def structure_status(role: str, which: str) -> int:
    if role == "anonymous":
        return 303
    if role == "ans_operator":
        return 200
    return 200 if which == "own" and ROLES[role][1] else 403


def evaluator_only(role: str, which: str) -> int:
    return {"anonymous": 303, "ansm_evaluator": 200}.get(role, 403)


PROTECTED = {
    ("GET", "/tableau-de-bord"): lambda role, which: 303 if role == "anonymous" else 200,
    ("GET", "/structures/<int:structure_id>"): structure_status,
    ("GET", "/referentiel/nouveau"): evaluator_only,
    ("GET", "/referentiel/<code>/modifier"): evaluator_only,
    ("POST", "/referentiel/nouveau"): lambda role, which: 400,  # no CSRF token here: refused first (tests/aac)
    ("POST", "/referentiel/<code>/modifier"): lambda role, which: 400,
}


def test_every_route_is_in_the_matrix(app):
    routes = {(m, r.rule) for r in app.url_map.iter_rules() if r.endpoint != "static"
              for m in r.methods - {"HEAD", "OPTIONS"}}
    # the last two: tests/forms and tests/certificates
    assert routes == set(PUBLIC) | set(PROTECTED) | set(CASEFILE_ROUTES) | set(CERTIFICATE_ROUTES) | set(AAC_ROUTES)


@pytest.fixture()
def as_role(client, db):
    load(db)
    people = {i["national_id"]: i for i in data.IDENTITIES}

    def login(role: str):
        national_id = ROLES[role][0]
        if national_id is None:
            return client
        identity = identity_from_userinfo(psc_claims(people[national_id], "CARD"))  # as PSC reports them
        session = open_session(db, identity)
        with client.session_transaction() as sess:
            sess["sid"] = session.id
        return client

    return login


def structure_id(db, key: str) -> int:
    spec = next(s for s in data.STRUCTURES if s["key"] == key)
    column, value = ("finess", spec["finess"]) if spec.get("finess") else ("siret", spec["siret"])
    return db.exec(select(Structure).where(getattr(Structure, column) == value)).one().id


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("route", sorted(PUBLIC))
def test_public_routes(as_role, role, route):
    client = as_role(role)
    method, rule = route
    url = (rule.replace("<name>", "root").replace("<path:encoded>", "MAA=").replace("<version>", "0")
           .replace("<path:filename>", "css/app.css").replace("<token>", "inconnu")
           .replace("/verification/<code>", "/verification/inconnu").replace("<code>", "AAC-0001")
           .replace("<int:certificate_id>", "1"))
    response = client.open(url, method=method)
    assert response.status_code == PUBLIC[route]


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("which", ["own", "foreign"])
@pytest.mark.parametrize("route", sorted(PROTECTED))
def test_protected_routes(as_role, db, role, which, route):
    client = as_role(role)
    method, rule = route
    key = ROLES[role][1 if which == "own" else 2] or ROLES[role][2]
    url = rule.replace("<int:structure_id>", str(structure_id(db, key))).replace("<code>", "AAC-0001")
    response = client.open(url, method=method)
    assert response.status_code == PROTECTED[route](role, which), (role, which, url)
    if response.status_code == 403:
        assert "Accès refusé" in response.get_data(as_text=True)
