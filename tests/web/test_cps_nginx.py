"""Direct CPS card login: a real nginx verifies the card certificate (mutual TLS) in front of gunicorn."""

import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlmodel import select

from app.config import default_pkcs11_module
from app.db import Database
from app.models import IssuedCertificate, Person
from app.operations.card_login import write_card_crls
from app.operations.pki import authority, init_pki, issue_card_certificate, revoke_certificate
from app.operations.pki.issuance import store_issued
from app.signing.ca import Urls
from app.signing.hsm import Hsm
from tests.cards import CardCA, card_subject, write_pem
from tests.conftest import free_port, wait_for_port
from tests.live import ROOT, nginx_binary, portal_env, seeded_database, start_nginx, start_portal, stop

PROXY_SECRET = "nginx-shared-secret-for-tests"


@pytest.fixture(scope="module")
def cps_stack(tmp_path_factory, fresh_database, app_config):
    work = tmp_path_factory.mktemp("cps")
    url = seeded_database(fresh_database, "cps")

    # Card certificates come from the portal's own PERSONNES CA in the HSM; the rogue one from elsewhere.
    hsm = Hsm(default_pkcs11_module(), app_config["HSM_TOKEN_LABEL"], app_config["HSM_PIN"])
    database = Database(url)
    cards, serials = {}, {}
    with database.writing() as db:
        init_pki(db, hsm, "https://localhost")
        doc = db.exec(select(Person).where(Person.national_id == "899700000013")).one()
        now = datetime.now(UTC)
        for name, validity in (("doc", None), ("revocable", None),
                               ("expired", (now - timedelta(days=400), now - timedelta(days=1)))):
            key = ec.generate_private_key(ec.SECP256R1())
            row = issue_card_certificate(db, hsm, person=doc, public_key=key.public_key(), title="Médecin",
                                         base_url="https://localhost", validity=validity)
            cards[name] = (x509.load_der_x509_certificate(row.der), key)
            serials[name] = row.id
        # Same name shape as a card, clientAuth too, but from the ORGANISATIONS CA (an ORG AUTH_CLI).
        key = ec.generate_private_key(ec.SECP256R1())
        row = store_issued(db, hsm, profile_code="ORG_AUTH_CLI", subject=card_subject("899700000013", "DOC0001",
                                                                                     "KIT", "Médecin"),
                           public_key=key.public_key(), structure_id=None, person_id=None, requested_by="test",
                           dns_names=(), emails=[], urls=Urls("https://localhost"), key_description="test")
        cards["organisation"] = (x509.load_der_x509_certificate(row.der), key)
        db.commit()
        client_ca = b"".join(x509.load_der_x509_certificate(authority(db, n).certificate_der)
                             .public_bytes(serialization.Encoding.PEM) for n in ("personnes", "root"))
        write_card_crls(db, work / "cards.crl.pem")
    database.engine.dispose()
    cards["rogue"] = CardCA("AC PIRATE").issue(card_subject("899700000013", "DOC0001", "KIT", "Médecin"),
                                               profession="10")
    server_ca = CardCA("TEST AC SERVEURS")
    server, server_key = server_ca.issue(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]),
                                         eku=x509.oid.ExtendedKeyUsageOID.SERVER_AUTH, san=["localhost"])
    paths = {"crl": work / "cards.crl.pem"}
    paths["server"], paths["server_key"] = write_pem(work / "server.pem", server, server_key)
    paths["client_ca"] = work / "personnes-chain.pem"
    paths["client_ca"].write_bytes(client_ca)
    paths["server_ca"], _ = write_pem(work / "server-ca.pem", server_ca.cert)
    for name, (cert, key) in cards.items():
        paths[name], paths[name + "_key"] = write_pem(work / f"{name}.pem", cert, key)

    portal_port, nginx_port = free_port(), free_port()
    env = portal_env(app_config, database_url=url, instance=work / "instance",
                     base_url=f"https://localhost:{nginx_port}", BEHIND_PROXY="1",
                     CPS_PROXY_SECRET=PROXY_SECRET, CPS_TRUSTED_PROXIES="127.0.0.1")
    portal = start_portal(env, portal_port)
    block = (ROOT / "deploy" / "nginx-cps.conf").read_text()
    for name, value in {
        "CPS_LISTEN": f"127.0.0.1:{nginx_port}", "CPS_SERVER_NAME": "localhost",
        "CPS_SERVER_CERT": paths["server"], "CPS_SERVER_KEY": paths["server_key"],
        "CPS_CLIENT_CA": paths["client_ca"], "CPS_PROXY_SECRET": PROXY_SECRET, "CPS_CRL_FILE": paths["crl"],
        "CPS_CARD_CA_CN": "AC PERSONNES",
        "PORTAL_UPSTREAM": f"http://127.0.0.1:{portal_port}",
    }.items():
        block = block.replace("${" + name + "}", str(value))
    nginx = start_nginx(work / "nginx", block)
    wait_for_port(nginx_port, nginx)
    yield {"https": f"https://localhost:{nginx_port}", "direct": f"http://127.0.0.1:{portal_port}", "paths": paths,
           "database_url": url, "hsm": hsm, "serials": serials, "nginx_dir": work / "nginx"}
    stop(nginx, portal)


def with_card_files(stack, cert_path, key_path, path: str) -> requests.Response:
    """A GET through nginx with a card's certificate and key written by the test."""
    session = card_session(stack, None)
    session.cert = (str(cert_path), str(key_path))
    return session.get(f"{stack['https']}{path}", timeout=15)


def card_session(stack, card: str | None) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise override the test CA
    session.verify = str(stack["paths"]["server_ca"])
    if card:
        session.cert = (str(stack["paths"][card]), str(stack["paths"][card + "_key"]))
    return session


def test_card_login_through_nginx_lands_on_dashboard(cps_stack):
    browser = card_session(cps_stack, "doc")
    response = browser.get(f"{cps_stack['https']}/auth/cps", timeout=15)
    assert response.status_code == 200, response.text[:500]
    assert response.url.endswith("/tableau-de-bord")
    assert "KIT DOC0001" in response.text
    assert "Carte CPx et lecteur (certificat d’authentification)" in response.text
    cookie = next(c for c in browser.cookies if c.name == "__Host-portail_session")  # served over HTTPS
    assert cookie.secure


@pytest.mark.parametrize("card, message", [
    ("rogue", "pas été émis par une autorité de cartes"),  # from a CA nobody trusts
    ("expired", "pas en cours de validité"),  # from ours, expired
    ("organisation", "pas été émis par une autorité de cartes"),  # from ours, but the ORGANISATIONS CA
])
def test_untrusted_expired_or_non_card_certificate_is_refused(cps_stack, card, message):
    browser = card_session(cps_stack, card)
    response = browser.get(f"{cps_stack['https']}/auth/cps", timeout=15)
    # nginx refuses the certificate and hands the portal only its verdict, for a French page
    assert response.status_code == 401 and message in response.text, response.text[:300]
    assert browser.get(f"{cps_stack['https']}/tableau-de-bord", timeout=15).status_code != 200


def _forward(stack, card: str, verify: str = "SUCCESS") -> requests.Response:
    """What a misconfigured or bypassed proxy would pass: the portal must still judge the certificate."""
    from urllib.parse import quote

    pem = Path(stack["paths"][card]).read_text()
    return requests.get(f"{stack['direct']}/auth/cps", timeout=15, allow_redirects=False, headers={
        "X-SSL-Client-Cert": quote(pem), "X-SSL-Client-Verify": verify, "X-Proxy-Secret": PROXY_SECRET})


@pytest.mark.parametrize("card, message", [
    ("organisation", "pas été émis par une autorité de cartes"),
    ("rogue", "pas été émis par une autorité de cartes"),
])
def test_portal_checks_issuer_and_profile_itself(cps_stack, card, message):
    response = _forward(cps_stack, card)
    assert response.status_code == 401 and message in response.text


def test_revoked_card_is_refused_by_the_portal_then_by_nginx(cps_stack):
    browser = card_session(cps_stack, "revocable")
    assert browser.get(f"{cps_stack['https']}/auth/cps", timeout=15).url.endswith("/tableau-de-bord")
    database = Database(cps_stack["database_url"])
    with database.writing() as db:
        row = db.get(IssuedCertificate, cps_stack["serials"]["revocable"])
        revoke_certificate(db, cps_stack["hsm"], row, reason="key_compromise", revoked_by="test")
        db.commit()
    # At once, before nginx has the new CRL: the portal asks the issuer's status. nginx still lets the card
    # through elsewhere (the home page answers 200).
    browser = card_session(cps_stack, "revocable")
    again = browser.get(f"{cps_stack['https']}/auth/cps", timeout=15)
    assert again.status_code == 401 and "Cette carte a été révoquée" in again.text
    assert "/auth/connexion" in browser.get(f"{cps_stack['https']}/tableau-de-bord", timeout=15).url
    assert card_session(cps_stack, "revocable").get(f"{cps_stack['https']}/", timeout=15).status_code == 200
    # After `flask jobs run` wrote the CRLs and nginx reloaded: nginx itself refuses the card on any page.
    with database.session() as db:
        assert write_card_crls(db, cps_stack["paths"]["crl"])
    database.engine.dispose()
    nginx_dir = cps_stack["nginx_dir"]
    subprocess.run([nginx_binary(), "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"), "-s", "reload"],
                   check=True, capture_output=True)
    for _ in range(100):
        home = card_session(cps_stack, "revocable").get(f"{cps_stack['https']}/", timeout=15)
        if home.status_code != 200:
            break
        time.sleep(0.1)
    assert home.status_code == 401 and "Cette carte a été révoquée" in home.text
    assert card_session(cps_stack, "doc").get(f"{cps_stack['https']}/auth/cps", timeout=15).url.endswith(
        "/tableau-de-bord")


def test_no_card_gets_a_french_refusal(cps_stack):
    browser = card_session(cps_stack, None)
    response = browser.get(f"{cps_stack['https']}/auth/cps", timeout=15)
    assert response.status_code == 401 and "certificat de votre carte" in response.text


def test_forged_headers_are_ignored(cps_stack):
    pem = Path(cps_stack["paths"]["doc"]).read_text()
    from urllib.parse import quote

    forged = {"X-SSL-Client-Cert": quote(pem), "X-SSL-Client-Verify": "SUCCESS"}
    # Straight to gunicorn, without the proxy secret.
    direct = requests.get(f"{cps_stack['direct']}/auth/cps", headers=forged, timeout=15, allow_redirects=False)
    assert direct.status_code == 401 and "frontal TLS" in direct.text
    # With a guessed secret.
    guessed = requests.get(f"{cps_stack['direct']}/auth/cps", headers={**forged, "X-Proxy-Secret": "devine"},
                           timeout=15, allow_redirects=False)
    assert guessed.status_code == 401
    # Through nginx without a card: nginx replaces the forged headers.
    browser = card_session(cps_stack, None)
    through = browser.get(f"{cps_stack['https']}/auth/cps", headers={**forged, "X-Proxy-Secret": PROXY_SECRET},
                          timeout=15, allow_redirects=False)
    assert through.status_code == 401


def test_trusted_address_is_the_proxy_not_the_forwarded_client(app, client, monkeypatch):
    """With the secret right but the request not coming from the trusted proxy address, refuse."""
    settings = app.config["SETTINGS"]
    monkeypatch.setattr(settings, "cps_proxy_secret", PROXY_SECRET)
    monkeypatch.setattr(settings, "cps_trusted_proxies", ("10.0.0.5",))
    headers = {"X-Proxy-Secret": PROXY_SECRET, "X-SSL-Client-Verify": "SUCCESS", "X-SSL-Client-Cert": "x"}
    # As ProxyFix leaves it: REMOTE_ADDR is the forwarded client, the original peer is kept aside.
    spoofed = {"REMOTE_ADDR": "10.0.0.5", "werkzeug.proxy_fix.orig": {"REMOTE_ADDR": "192.0.2.7"}}
    response = client.get("/auth/cps", headers=headers, environ_base=spoofed)
    assert response.status_code == 401 and "frontal TLS" in response.get_data(as_text=True)
    from_proxy = {"REMOTE_ADDR": "192.0.2.7", "werkzeug.proxy_fix.orig": {"REMOTE_ADDR": "10.0.0.5"}}
    trusted = client.get("/auth/cps", headers=headers, environ_base=from_proxy)
    assert trusted.status_code == 401 and "Aucun certificat" in trusted.get_data(as_text=True)  # past the proxy check


def test_an_opposed_card_no_longer_logs_in_through_nginx(cps_stack, tmp_path):
    """Issue 16: opposing a card (lost, stolen) revokes its authentication certificate in the same transaction."""
    from app.domain.cardorders import STRUCTURE
    from app.models import Card, CardOrder, Filing, Structure
    from app.operations import cardorders

    database = Database(cps_stack["database_url"])
    key = ec.generate_private_key(ec.SECP256R1())
    with database.writing() as db:
        holder = db.exec(select(Person).where(Person.national_id == "3440000016/ADM0007")).one()
        chu = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
        card = Card(person_id=holder.id, card_type="CPE", serial="3900000077", structure_id=chu.id)
        filing = Filing(form="F301", structure_id=chu.id, filer_id=holder.id, state="accepte", idempotency_key="k77")
        db.add_all([card, filing])
        db.flush()
        order = CardOrder(filing_id=filing.id, structure_id=chu.id, card_type="CPE", family_name="SECRETAIRE0007",
                          given_name="KIT", national_id=holder.national_id, state="active", card_id=card.id)
        db.add(order)
        row = issue_card_certificate(db, cps_stack["hsm"], person=holder, public_key=key.public_key(),
                                     title="Secrétaire", base_url="https://localhost", card=card)
        db.commit()
        cert_path, key_path = write_pem(tmp_path / "cpe.pem", x509.load_der_x509_certificate(row.der), key)
        order_id, certificate_id = order.id, row.id

    def login():
        return with_card_files(cps_stack, cert_path, key_path, "/auth/cps")

    assert login().url.endswith("/tableau-de-bord")
    with database.writing() as db:
        cardorders.change(db, db.get(CardOrder, order_id), "opposer", by=STRUCTURE, actor="3440000016/DIR0001",
                          reason="Carte perdue", keystore=cps_stack["hsm"])
        db.commit()
        assert db.get(IssuedCertificate, certificate_id).revoked_at is not None
    database.engine.dispose()
    refused = login()
    assert refused.status_code == 401 and "révoquée" in refused.text


def test_an_f501_loss_stops_the_card_at_nginx_as_soon_as_it_is_deposited(cps_stack, tmp_path):
    """Issue 21: the director declares the card lost (F501); the deposit alone opposes it, before any agent."""
    from app.models import Card, Filing, Structure
    from app.operations import casefiles
    from app.operations.forms import workflow

    database = Database(cps_stack["database_url"])
    key = ec.generate_private_key(ec.SECP256R1())
    with database.writing() as db:
        holder = db.exec(select(Person).where(Person.national_id == "3440000016/ADM0007")).one()
        director = db.exec(select(Person).where(Person.national_id == "3440000016/DIR0001")).one()
        chu = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
        card = Card(person_id=holder.id, card_type="CPE", serial="3900000501", structure_id=chu.id)
        db.add(card)
        db.flush()
        row = issue_card_certificate(db, cps_stack["hsm"], person=holder, public_key=key.public_key(),
                                     title="Secrétaire", base_url="https://localhost", card=card)
        db.commit()
        cert_path, key_path = write_pem(tmp_path / "cpe.pem", x509.load_der_x509_certificate(row.der), key)
        certificate_id = row.id

    def login():
        return with_card_files(cps_stack, cert_path, key_path, "/auth/cps")

    assert login().url.endswith("/tableau-de-bord")
    with database.writing() as db:
        filing = casefiles.open_draft(db, form="F501", structure_id=chu.id, filer_id=director.id,
                                      actor=director.national_id, payload={
                                          "incident": {"carte": "3900000501", "incident": "perte",
                                                       "date_incident": "2026-11-29"},
                                          "contact": {"courriel": "informatique@chu-loire.example"}})
        casefiles.deposit(db, filing, workflow(cps_stack["hsm"]), actor=director.national_id,
                          auth_method="cps-tls", idempotency_key=filing.idempotency_key)
        db.commit()
        assert db.get(Filing, filing.id).state == "depose"
        assert db.get(IssuedCertificate, certificate_id).revoked_at is not None
        assert write_card_crls(db, cps_stack["paths"]["crl"])  # `flask jobs run`'s part
    database.engine.dispose()
    refused = login()
    assert refused.status_code == 401 and "révoquée" in refused.text
    nginx_dir = cps_stack["nginx_dir"]
    subprocess.run([nginx_binary(), "-p", str(nginx_dir), "-c", str(nginx_dir / "nginx.conf"), "-s", "reload"],
                   check=True, capture_output=True)

    for _ in range(100):
        page = with_card_files(cps_stack, cert_path, key_path, "/")
        if page.status_code != 200:
            break
        time.sleep(0.1)
    assert page.status_code == 401 and "Cette carte a été révoquée" in page.text  # nginx's own refusal
