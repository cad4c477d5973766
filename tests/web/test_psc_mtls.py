"""PSC client authentication by mutual TLS (tls_client_auth, RFC 8705) with an ORG AUTH_CLI certificate
issued by the portal's PKI, against the sandbox behind a real nginx that verifies client certificates."""


import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlmodel import select

from app.config import default_pkcs11_module
from app.db import Database
from app.models import Structure
from app.operations.pki import authority, init_pki, issue_certificate
from app.psc.oidc import PscClient, PscConfig, PscError
from app.signing.hsm import Hsm
from tests.cards import CardCA, write_pem
from tests.conftest import free_port, wait_for_port
from tests.live import seeded_database, start_nginx, start_sandbox, stop
from tests.pki.conftest import make_csr
from tests.psc import SandboxBrowser

SECRET = "mtls-proxy-secret"
CALLBACK = "http://localhost/auth/psc/callback"


@pytest.fixture(scope="module")
def mtls_sandbox(tmp_path_factory, fresh_database, app_config):
    work = tmp_path_factory.mktemp("mtls")
    url = seeded_database(fresh_database, "mtls")
    database = Database(url)
    hsm = Hsm(default_pkcs11_module(), app_config["HSM_TOKEN_LABEL"], app_config["HSM_PIN"])
    with database.writing() as db:
        init_pki(db, hsm, "http://localhost")
        editor = db.exec(select(Structure).where(Structure.siret == "81234567600017")).one()
        key = ec.generate_private_key(ec.SECP256R1())
        csr, _ = make_csr(key)
        issued = issue_certificate(db, hsm, requested_by="test", structure=editor, profile_code="ORG_AUTH_CLI",
                                   csr=csr, service_name="Portail santé PSC", base_url="http://localhost")
        db.commit()
        client_cert = x509.load_der_x509_certificate(issued.der)
        chain = work / "chain.pem"
        chain.write_bytes(b"".join(x509.load_der_x509_certificate(authority(db, n).certificate_der)
                                   .public_bytes(serialization.Encoding.PEM) for n in ("organisations", "root")))
    database.engine.dispose()
    paths = {}
    paths["client"], paths["client_key"] = write_pem(work / "client.pem", client_cert, key)
    rogue_cert, rogue_key = CardCA("AC PIRATE").issue(client_cert.subject)
    paths["rogue"], paths["rogue_key"] = write_pem(work / "rogue.pem", rogue_cert, rogue_key)
    server_ca = CardCA("TEST AC SERVEURS")
    server, server_key = server_ca.issue(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]),
                                         eku=ExtendedKeyUsageOID.SERVER_AUTH, san=["localhost"])
    paths["server"], paths["server_key"] = write_pem(work / "server.pem", server, server_key)
    paths["server_ca"], _ = write_pem(work / "server-ca.pem", server_ca.cert)

    mtls_port = free_port()
    sandbox_proc, sandbox = start_sandbox(work / "sandbox", {
        "PSC_CLIENT_SECRET": "unused-with-mtls", "PSC_SANDBOX_REDIRECT_URIS": CALLBACK,
        "PSC_SANDBOX_MTLS_URL": f"https://localhost:{mtls_port}", "PSC_SANDBOX_MTLS_PROXY_SECRET": SECRET,
        "PSC_SANDBOX_TLS_SUBJECT": client_cert.subject.rfc4514_string(),
    })
    nginx = start_nginx(work / "nginx", f"""
server {{
    listen 127.0.0.1:{mtls_port} ssl;
    server_name localhost;
    ssl_certificate {paths['server']};
    ssl_certificate_key {paths['server_key']};
    ssl_client_certificate {chain};
    ssl_verify_client on;
    ssl_verify_depth 2;
    location / {{
        proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;
        proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
        proxy_set_header X-Proxy-Secret {SECRET};
        proxy_pass http://127.0.0.1:{sandbox['port']};
    }}
}}
""")
    wait_for_port(mtls_port, nginx)
    yield {"sandbox": sandbox, "paths": paths}
    stop(nginx, sandbox_proc)


def client(stack, cert: str | None) -> PscClient:
    http = requests.Session()
    http.trust_env = False
    http.verify = str(stack["paths"]["server_ca"])
    paths = stack["paths"]
    return PscClient(PscConfig(discovery_url=stack["sandbox"]["discovery"], client_id="portail-sante",
                               client_auth="tls_client_auth", tls_cert=str(paths[cert]) if cert else "",
                               tls_key=str(paths[cert + "_key"]) if cert else ""), http=http)


def login(stack, psc: PscClient):
    url, pending = psc.begin(CALLBACK)
    browser = SandboxBrowser(stack["sandbox"]["url"])
    req_id = browser.open_authorize(url)
    browser.choose(req_id, "899700000039", "card")
    callback = browser.pin(req_id, "1234").headers["Location"]
    params = dict(p.split("=", 1) for p in callback.split("?", 1)[1].split("&"))
    return psc.complete(params, pending)


def test_tls_client_auth_with_the_portal_org_certificate(mtls_sandbox):
    result = login(mtls_sandbox, client(mtls_sandbox, "client"))
    assert result.identity.national_id == "899700000039"
    assert result.identity.family_name == "PHARMA0003"


@pytest.mark.parametrize("cert", ["rogue", None])
def test_token_exchange_refused_without_a_trusted_client_certificate(mtls_sandbox, cert):
    psc = client(mtls_sandbox, cert)
    if cert is None:
        psc.http.cert = None
    with pytest.raises(PscError, match="refusé le code"):
        login(mtls_sandbox, psc)
