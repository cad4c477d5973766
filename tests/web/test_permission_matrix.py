"""Every route × every role × own/foreign structure. A new route must be added here to pass."""

import pytest

from app.models import ReferentialMedicine
from tests.aac.test_after_decision_matrix import ROUTES as AFTER_DECISION_ROUTES
from tests.aac.test_matrix import ROUTES as AAC_ROUTES
from tests.certificates.test_access import ROUTES as CERTIFICATE_ROUTES
from tests.forms.test_filing_matrix import ROUTES as CASEFILE_ROUTES

# role -> (own structure key, foreign structure key); the world is built by factories, not the demo seed
ROLES = {
    "anonymous": ("chu", "clinique"),
    "prescriber": ("chu-nord", "clinique"),
    "interne": ("chu-nord", "clinique"),
    "pharmacist": ("chu-nord", "dialyse"),
    "nurse": ("chu-sj", "clinique"),
    "legal_rep": ("chu", "clinique"),
    "mandataire": ("chu", "clinique"),
    "tech_admin": ("chu", "dialyse"),
    "clinic_legal_rep": ("clinique", "chu"),
    "ansm_evaluator": (None, "chu"),
    "ans_operator": ("clinique", "dialyse"),
}
LOGGED_IN = [r for r in ROLES if r != "anonymous"]

# (method, rule) -> expected status: one value for all, or a callable(role, which) for structure routes
PUBLIC = {
    ("GET", "/"): 200,
    ("GET", "/healthz"): 200,
    ("GET", "/readyz"): 200,
    ("GET", "/readyz/<any(base, hsm, limites):capability>"): 200,  # the database's
    ("GET", "/metrics"): 404,  # absent without METRICS_TOKEN (its token is tested in tests/web/test_metrics.py)
    ("GET", "/accessibilite"): 200,
    ("GET", "/mentions-legales"): 200,
    ("GET", "/conditions-acme"): 200,
    ("GET", "/referentiel/"): 200,
    ("GET", "/referentiel/<code>"): 200,  # a product's sheet (AAC-0001 here)
    ("GET", "/auth/connexion"): 200,
    ("GET", "/auth/psc/login"): 303,
    ("GET", "/auth/psc/callback"): 400,  # answers no login this browser started
    ("GET", "/auth/cps"): 401,
    ("POST", "/auth/logout"): 400,  # no CSRF token: refused for everyone
    ("POST", "/auth/session/prolonger"): 400,  # likewise; tests/web/test_session_warning.py posts it with one
    ("GET", "/pki/ca/<name>.cer"): 200,  # public: the root of the PKI the session builds once
    ("GET", "/pki/crl/<name>.crl"): 200,
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
    # ACME (tests/acme): every POST is a JWS signed by an account key bound to EAB credentials; none here (415)
    ("GET", "/acme/directory"): 200,
    ("GET", "/acme/new-nonce"): 204,
    ("GET", "/acme/renewal-info"): 404,
    ("GET", "/acme/renewal-info/<cert_id>"): 404,
    ("POST", "/acme/new-account"): 415,
    ("POST", "/acme/new-order"): 415,
    ("POST", "/acme/revoke-cert"): 415,
    ("POST", "/acme/key-change"): 415,
    ("POST", "/acme/acct/<int:account_id>"): 415,
    ("POST", "/acme/acct/<int:account_id>/orders"): 415,
    ("POST", "/acme/order/<int:order_id>"): 415,
    ("POST", "/acme/order/<int:order_id>/finalize"): 415,
    ("POST", "/acme/authz/<int:authz_id>"): 415,
    ("POST", "/acme/chall/<int:authz_id>/<method>"): 415,
    ("POST", "/acme/cert/<int:certificate_id>"): 415,
}


def structure_status(role: str, which: str) -> int:
    if role == "anonymous":
        return 303
    if role == "ans_operator":
        return 200
    return 200 if which == "own" and ROLES[role][0] else 403


def evaluator_only(role: str, which: str) -> int:
    return {"anonymous": 303, "ansm_evaluator": 200}.get(role, 403)


def card_manager(role: str, which: str) -> int:
    """The card fleet: the structure's legal representative or a mandataire, nobody else (not the agency)."""
    if role == "anonymous":
        return 303
    return 200 if which == "own" and role in ("legal_rep", "mandataire", "clinic_legal_rep") else 403


PROTECTED = {
    ("GET", "/structures/<int:structure_id>/cartes"): card_manager,
    ("GET", "/structures/<int:structure_id>/cartes.csv"): card_manager,
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
    assert routes == (set(PUBLIC) | set(PROTECTED) | set(CASEFILE_ROUTES) | set(CERTIFICATE_ROUTES) | set(AAC_ROUTES)
                      | set(AFTER_DECISION_ROUTES))


@pytest.fixture()
def world(db, make_structure, make_person, make_habilitation, make_agency_role) -> dict:
    """Five structures (an EJ and two of its sites, a private clinic, a dialysis centre) and one person per role."""
    chu = make_structure(kind="EJ", name="CHU")
    places = {"chu": chu, "chu-nord": make_structure(kind="EG", name="CHU site nord", parent=chu),
              "chu-sj": make_structure(kind="EG", name="CHU site Saint-Jacques", parent=chu),
              "clinique": make_structure(kind="EJ", name="Clinique", public=False),
              "dialyse": make_structure(kind="EJ", name="Centre de dialyse", public=False)}
    people = {role: make_person(profession_code=code, family_name=role.upper().replace("_", ""))
              for role, code in (("prescriber", "10"), ("interne", "10"), ("pharmacist", "21"), ("nurse", "60"),
                                 ("legal_rep", ""), ("mandataire", ""), ("tech_admin", ""), ("clinic_legal_rep", ""),
                                 ("ansm_evaluator", "21"), ("ans_operator", ""))}
    for role, key, kind, family in (("legal_rep", "chu", "legal_representative", None),
                                    ("mandataire", "chu", "mandataire", None),
                                    ("tech_admin", "chu", "technical_admin", "ORG"),
                                    ("clinic_legal_rep", "clinique", "legal_representative", None)):
        make_habilitation(people[role], places[key], kind, family)
    make_agency_role(people["ansm_evaluator"], "ansm_evaluator")
    make_agency_role(people["ans_operator"], "ans_operator")
    db.add(ReferentialMedicine(code="AAC-0001", name="Rarexib 50 mg, comprimé", dci="rarexibumab",
                               pharmaceutical_form="comprimé", strength="50 mg", status="AAC",
                               laboratory="Laboratoires Orphelins SA", max_days=180, indications=[]))
    db.flush()
    practice = {"prescriber": ("chu-nord",), "interne": ("chu-nord",), "pharmacist": ("chu-nord",),
                "nurse": ("chu-sj",)}
    return {"places": places, "people": people, "practice": practice}


@pytest.fixture()
def as_role(client, world, login_as):
    def login(role: str):
        if role == "anonymous":
            return client
        return login_as(world["people"][role], activities=tuple(world["places"][k] for k in world["practice"].get(
            role, ())), pui=role == "pharmacist")

    return login


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("route", sorted(PUBLIC))
def test_public_routes(as_role, role, route):
    client = as_role(role)
    method, rule = route
    url = (rule.replace("<name>", "root").replace("<path:encoded>", "MAA=").replace("<version>", "0")
           .replace("<path:filename>", "css/app.css").replace("<token>", "inconnu")
           .replace("/verification/<code>", "/verification/inconnu").replace("<code>", "AAC-0001")
           .replace("<int:certificate_id>", "1").replace("<any(base, hsm, limites):capability>", "base")
           .replace("<int:account_id>", "1").replace("<int:order_id>", "1").replace("<int:authz_id>", "1")
           .replace("<method>", "http-01"))
    response = client.open(url, method=method)
    assert response.status_code == PUBLIC[route]


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("which", ["own", "foreign"])
@pytest.mark.parametrize("route", sorted(PROTECTED))
def test_protected_routes(as_role, world, role, which, route):
    client = as_role(role)
    method, rule = route
    key = ROLES[role][0 if which == "own" else 1] or ROLES[role][1]
    url = rule.replace("<int:structure_id>", str(world["places"][key].id)).replace("<code>", "AAC-0001")
    response = client.open(url, method=method)
    assert response.status_code == PROTECTED[route](role, which), (role, which, url)
    if response.status_code == 403:
        assert "Accès refusé" in response.get_data(as_text=True)
