"""Issue 20: the ACME server's state machine over HTTP — directory, account with EAB, order, challenges checked
on a real DNS and web server, finalize through the portal's certificate order, download, revoke."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlmodel import select

from app.models import (
    AcmeAccount,
    AcmeOrder,
    AuditEvent,
    DomainControl,
    EabCredential,
    Filing,
    IssuedCertificate,
    OutboxMessage,
)
from tests.acme.client import BASE, Acme, b64


def csr_der(*names: str, key=None) -> bytes:
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])).add_extension(
        x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_directory_and_nonces(client):
    directory = client.get("/acme/directory")
    assert directory.status_code == 200 and directory.headers["Cache-Control"] == "no-store"
    body = directory.get_json()
    assert body["newAccount"] == f"{BASE}/acme/new-account" and body["meta"]["externalAccountRequired"] is True
    head, get = client.head("/acme/new-nonce"), client.get("/acme/new-nonce")
    assert head.status_code == 200 and get.status_code == 204
    assert head.headers["Replay-Nonce"] != get.headers["Replay-Nonce"]
    assert 'rel="index"' in get.headers["Link"]


def test_an_account_needs_eab_and_is_bound_once(db, client, credentials):
    key_id, secret = credentials()
    bare = Acme(client)
    refused = bare.post(bare.directory["newAccount"], {"termsOfServiceAgreed": True}, use_jwk=True)
    assert refused.status_code == 403 and refused.content_type == "application/problem+json"
    assert refused.get_json()["type"] == "urn:ietf:params:acme:error:externalAccountRequired"
    forged = bare.register(key_id, b64(b"x" * 32))
    assert forged.get_json()["type"].endswith(":unauthorized")
    assert db.exec(select(AcmeAccount)).first() is None
    created = bare.register(key_id, secret, contact=["mailto:dsi@chu.example"])
    assert created.status_code == 201 and created.get_json()["status"] == "valid"
    assert db.exec(select(EabCredential)).one().used_at is not None
    again = bare.register(key_id, secret)  # the same key: the existing account, nothing consumed
    assert again.status_code == 200 and again.headers["Location"] == created.headers["Location"]
    other = Acme(client)
    reused = other.register(key_id, secret)  # the credentials bind one account only
    assert reused.status_code == 403 and reused.get_json()["type"].endswith(":unauthorized")
    assert len(db.exec(select(AcmeAccount)).all()) == 1
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "acme.account_created")).one()


def test_a_proven_domain_gives_a_ready_order_and_a_certificate(db, acme, pki_world, as_person):
    order = acme.order("www.chu.example")
    assert order.status_code == 201
    body = order.get_json()
    assert body["status"] == "ready"  # « chu.example » was proven within the reuse period
    authz = acme.post(body["authorizations"][0]).get_json()
    assert authz["status"] == "valid" and authz["identifier"]["value"] == "www.chu.example"
    done = acme.post(body["finalize"], {"csr": b64(csr_der("www.chu.example"))})
    assert done.status_code == 200 and done.get_json()["status"] == "valid"
    chain = acme.post(done.get_json()["certificate"])
    assert chain.status_code == 200 and chain.content_type == "application/pem-certificate-chain"
    certificates = x509.load_pem_x509_certificates(chain.data)
    assert len(certificates) == 2
    leaf = certificates[0]
    assert leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
        .get_values_for_type(x509.DNSName) == ["www.chu.example"]
    row = db.exec(select(IssuedCertificate).where(IssuedCertificate.profile == "SERV_SSL")).one()
    # Issue 30 (5): the ACME order is the record, no form case file; one audit event, one notice to the contact.
    assert row.filing_id is None and db.exec(select(Filing)).first() is None
    assert row.structure_id == pki_world["hospital"].id and row.requested_by == pki_world["admin"].national_id
    assert db.exec(select(AcmeOrder.id).where(AcmeOrder.certificate_id == row.id)).one()
    events = db.exec(select(AuditEvent.action).where(AuditEvent.object_type == "certificate",
                                                     AuditEvent.object_id == str(row.id))).all()
    assert events == ["certificate.issued"]
    notice = db.exec(select(OutboxMessage)).one()
    assert notice.recipient == pki_world["admin"].email and row.serial_hex in notice.body
    listed = as_person(pki_world["admin"]).get("/certificats/").get_data(as_text=True)  # « Mes certificats »
    assert row.serial_hex in listed and "www.chu.example" in listed
    assert (row.not_after - row.not_before).days <= 200
    revoked = acme.post(acme.directory["revokeCert"], {"certificate": b64(leaf.public_bytes(
        serialization.Encoding.DER)), "reason": 4})
    assert revoked.status_code == 200
    db.refresh(row)
    assert row.revoked_at is not None and row.revocation_reason == "superseded"
    twice = acme.post(acme.directory["revokeCert"], {"certificate": b64(leaf.public_bytes(
        serialization.Encoding.DER))})
    assert twice.get_json()["type"].endswith(":alreadyRevoked")


def _challenge(authz: dict, kind: str) -> dict:
    return next(c for c in authz["challenges"] if c["type"] == kind)


def test_http01_then_dns01_on_real_servers(db, acme, network, pki_world):
    from app import metrics

    def counted(method, outcome):
        return metrics.ACME_VALIDATIONS.labels(method, outcome)._value.get()

    before = {(m, o): counted(m, o) for m in ("http-01", "dns-01") for o in ("valid", "invalid")}
    dns_server, web = network
    dns_server.zone.a["www.dpi.example"] = "127.0.0.1"
    order = acme.order("www.dpi.example").get_json()
    assert order["status"] == "pending"
    authz_url = order["authorizations"][0]
    authz = acme.post(authz_url).get_json()
    http = _challenge(authz, "http-01")
    asked = acme.post(http["url"], {})  # issue 29 (1): the answer comes at once, the job engine looks
    assert asked.get_json()["status"] == "processing" and asked.headers["Retry-After"] == "1"
    wrong = acme.post(http["url"]).get_json()  # the client polls: nothing was served, the authorization failed
    assert wrong["status"] == "invalid" and wrong["error"]["type"].endswith(":incorrectResponse")
    assert acme.post(order["finalize"].rsplit("/", 1)[0]).get_json()["status"] == "invalid"

    order = acme.order("www.dpi.example").get_json()
    http = _challenge(acme.post(order["authorizations"][0]).get_json(), "http-01")
    web.files[f"/.well-known/acme-challenge/{http['token']}"] = acme.key_authorization(http["token"])
    assert acme.post(http["url"], {}).get_json()["status"] == "processing"
    assert acme.post(http["url"]).get_json()["status"] == "valid"
    assert acme.post(order["finalize"].rsplit("/", 1)[0]).get_json()["status"] == "ready"
    proof = db.exec(select(DomainControl).where(DomainControl.name == "www.dpi.example")).one()
    assert proof.method == "http-01" and proof.validated_by.startswith("acme:")
    below = acme.order("dpi.intranet.www.dpi.example").get_json()  # issue 27 (5): http-01 proved that name only
    assert below["status"] == "pending"

    order = acme.order("api.dpi.example").get_json()
    dns = _challenge(acme.post(order["authorizations"][0]).get_json(), "dns-01")
    import hashlib
    value = b64(hashlib.sha256(acme.key_authorization(dns["token"]).encode()).digest())
    dns_server.zone.txt["_acme-challenge.api.dpi.example"] = [value]
    assert acme.post(dns["url"], {}).get_json()["status"] == "processing"
    assert acme.post(dns["url"]).get_json()["status"] == "valid"
    finalized = acme.post(order["finalize"], {"csr": b64(csr_der("api.dpi.example"))}).get_json()
    assert finalized["status"] == "valid"
    moved = {key: counted(*key) - value for key, value in before.items()}  # the metrics moved (issue 28)
    assert moved == {("http-01", "valid"): 1, ("http-01", "invalid"): 1, ("dns-01", "valid"): 1,
                     ("dns-01", "invalid"): 0}


def test_orders_list_account_update_and_deactivation(db, acme):
    order = acme.order("www.chu.example")
    listed = acme.post(acme.kid + "/orders").get_json()["orders"]
    assert listed == [order.headers["Location"]]
    updated = acme.post(acme.kid, {"contact": ["mailto:pki@chu.example"]}).get_json()
    assert updated["contact"] == ["mailto:pki@chu.example"]
    assert acme.post(acme.kid, {"status": "deactivated"}).get_json()["status"] == "deactivated"
    refused = acme.order("www.chu.example")
    assert refused.status_code == 403 and refused.get_json()["type"].endswith(":unauthorized")


def test_key_change(db, acme):
    import json

    import josepy as jose
    from acme import jws as acme_jws

    from tests.acme.client import new_key

    new = new_key()
    url = acme.directory["keyChange"]
    inner = acme_jws.JWS.sign(json.dumps({"account": acme.kid, "oldKey": acme.key.public_key().to_partial_json()})
                              .encode(), key=new, alg=jose.ES256, nonce=None, url=url)
    changed = acme.post(url, json.loads(inner.json_dumps()))
    assert changed.status_code == 200, changed.get_json()
    old_key, acme.key = acme.key, new
    assert acme.order("www.chu.example").status_code == 201
    acme.key = old_key
    refused = acme.order("www.chu.example")  # issue 29 (6): the old key no longer signs for the account
    assert refused.status_code == 403 and refused.get_json()["type"].endswith(":unauthorized")


def test_revocation_signed_by_the_certificates_own_key(db, acme, client):
    import josepy as jose

    key = ec.generate_private_key(ec.SECP256R1())
    order = acme.order("cle.chu.example").get_json()
    done = acme.post(order["finalize"], {"csr": b64(csr_der("cle.chu.example", key=key))}).get_json()
    leaf = x509.load_pem_x509_certificates(acme.post(done["certificate"]).data)[0]
    der = b64(leaf.public_bytes(serialization.Encoding.DER))
    stranger = Acme(client)  # signs with a key that is neither the account's nor the certificate's
    refused = stranger.post(stranger.directory["revokeCert"], {"certificate": der}, use_jwk=True)
    assert refused.status_code == 403 and refused.get_json()["type"].endswith(":unauthorized")
    holder = Acme(client, key=jose.JWKEC(key=key))  # the server's operator, who has only the key (compromised)
    assert holder.post(holder.directory["revokeCert"], {"certificate": der, "reason": 1}, use_jwk=True) \
        .status_code == 200
    row = db.exec(select(IssuedCertificate).where(IssuedCertificate.serial_hex == format(leaf.serial_number, "x"))
                  ).one()
    assert row.revocation_reason == "key_compromise" and row.revoked_at is not None


def test_an_authorization_deactivated_makes_its_order_invalid(db, acme, network):
    order = acme.order("desactive.dpi.example").get_json()
    authz = acme.post(order["authorizations"][0], {"status": "deactivated"}).get_json()
    assert authz["status"] == "deactivated"
    assert acme.post(order["finalize"].rsplit("/", 1)[0]).get_json()["status"] == "invalid"
    refused = acme.post(order["authorizations"][0], {"status": "valid"})
    assert refused.status_code == 400 and refused.get_json()["type"].endswith(":malformed")


def test_challenge_answers_count_against_the_structures_quota(db, acme, network, app, monkeypatch):
    """Issue 27 (2): the same quota as « Mes domaines », answered as an ACME problem with Retry-After."""
    monkeypatch.setattr(app.config["SETTINGS"], "domain_check_rate_limit", "1 per hour")
    first = _challenge(acme.post(acme.order("q1.dpi.example").get_json()["authorizations"][0]).get_json(), "dns-01")
    assert acme.post(first["url"], {}).get_json()["status"] == "processing"
    assert acme.post(first["url"]).get_json()["status"] == "invalid"  # no record: looked for, and counted
    second = _challenge(acme.post(acme.order("q2.dpi.example").get_json()["authorizations"][0]).get_json(), "dns-01")
    refused = acme.post(second["url"], {})
    assert refused.status_code == 429 and refused.content_type == "application/problem+json"
    assert refused.get_json()["type"] == "urn:ietf:params:acme:error:rateLimited"
    assert int(refused.headers["Retry-After"]) > 0
    assert acme.post(second["url"]).get_json()["status"] == "pending"  # nothing looked for, nothing recorded


def test_one_order_is_finalized_once(db, app, acme, pki_world):
    """Issue 27 (11): a second finalization that read the order as ready before the first one committed (another
    node) finds it no longer ready: orderNotReady, and no second certificate."""
    from app.domain.acme import Limits, Problem
    from app.models import AcmeAccount, AcmeOrder
    from app.operations.acme import orders

    body = acme.order("double.chu.example").get_json()
    order_id = int(body["finalize"].rstrip("/").split("/")[-2])
    other_node = app.extensions["db"].session()
    stale = other_node.get(AcmeOrder, order_id)
    account = other_node.get(AcmeAccount, stale.account_id)
    assert stale.status == "ready"
    other_node.commit()  # its read is over; the objects keep what it read
    assert acme.post(body["finalize"], {"csr": b64(csr_der("double.chu.example"))}).get_json()["status"] == "valid"
    with pytest.raises(Problem) as refused:
        orders.finalize(other_node, app.extensions["hsm"], account, stale,
                        {"csr": b64(csr_der("double.chu.example"))}, base_url="http://localhost", limits=Limits())
    assert refused.value.kind == "orderNotReady"
    other_node.rollback()
    other_node.close()
    issued = db.exec(select(IssuedCertificate).where(IssuedCertificate.common_name == "double.chu.example")).all()
    assert len(issued) == 1


def test_caa_records_are_checked_at_issuance(db, acme, pki_world, as_person, session_dns, app):
    """Issue 27 (6): « CAA 0 issue "letsencrypt.org" » on the domain refuses the pages' order and ACME's finalize
    (type caa), naming the record; once it names the portal too, both issue; the directory says who the portal is."""
    from tests.certificates.conftest import pem_csr

    assert acme.directory["meta"]["caaIdentities"] == [app.config["SETTINGS"].caa_issuer]
    session_dns.zone.caa["chu.example"] = [(0, "issue", "letsencrypt.org")]
    try:
        browser = as_person(pki_world["admin"])
        form = {"famille": "SERV", "structure": str(pki_world["hospital"].id), "usage": "AUTRE",
                "email": "theo@chu.example", "dns_names": "caa.chu.example", "csr_SERV_SSL": pem_csr()}
        refused = browser.post("/certificats/demande", form)
        assert refused.status_code == 422
        assert 'chu.example. CAA 0 issue "letsencrypt.org"' in refused.get_data(as_text=True).replace("&#34;", '"')
        body = acme.order("caa.chu.example").get_json()
        finalized = acme.post(body["finalize"], {"csr": b64(csr_der("caa.chu.example"))})
        assert finalized.status_code == 403 and finalized.get_json()["type"] == "urn:ietf:params:acme:error:caa"
        assert db.exec(select(IssuedCertificate).where(IssuedCertificate.common_name == "caa.chu.example")).all() == []

        session_dns.zone.caa["chu.example"].append((0, "issue", app.config["SETTINGS"].caa_issuer))
        assert acme.post(body["finalize"], {"csr": b64(csr_der("caa.chu.example"))}).get_json()["status"] == "valid"
    finally:
        session_dns.zone.caa.clear()


def test_404_and_405_carry_a_nonce_and_the_directory(client):
    """Issue 29 (6): RFC 8555 §6.5 — every answer of the server, errors included, gives a fresh nonce."""
    for answer in (client.post("/acme/inconnu"), client.get("/acme/new-account"), client.get("/acme/order/12/x")):
        assert answer.status_code in (404, 405) and answer.content_type == "application/problem+json"
        assert answer.headers["Replay-Nonce"] and 'rel="index"' in answer.headers["Link"]
    assert "Replay-Nonce" not in client.get("/healthz").headers


def test_the_terms_of_service_are_a_real_page(client, acme):
    """Issue 29 (6): the directory's termsOfService is the service's own terms, in French, naming its CAA identity."""
    terms = acme.directory["meta"]["termsOfService"]
    assert terms.endswith("/conditions-acme")
    page = client.get("/conditions-acme")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Conditions d’utilisation du service ACME" in text and "révoquer" in text


def test_the_orders_list_pages_with_a_link(app, acme, monkeypatch):
    """Issue 29 (6): RFC 8555 §7.1.2.1 — a long list of orders comes in pages linked by rel="next"."""
    monkeypatch.setitem(app.config, "ACME_ORDERS_PAGE", 2)
    made = [acme.order(f"page{n}.chu.example").headers["Location"] for n in range(3)]
    first = acme.post(acme.kid + "/orders")
    assert first.get_json()["orders"] == made[::-1][:2]
    following = [link.split(";")[0].strip("<>") for link in first.headers.getlist("Link") if 'rel="next"' in link]
    assert len(following) == 1
    second = acme.post(following[0])
    assert second.get_json()["orders"] == made[:1]
    assert not [link for link in second.headers.getlist("Link") if 'rel="next"' in link]


def test_an_authorization_valid_by_a_reused_proof_shows_it(db, acme, pki_world):
    """Issue 29 (6): valid by « chu.example » proven by dns-01 earlier, the authorization shows that challenge as
    valid, with its date, and expires when the proof does — not with the order."""
    from datetime import datetime

    from app.domain.domain_control import proof_valid_until
    from app.models.base import aware

    proof = db.exec(select(DomainControl).where(DomainControl.name == "chu.example")).one()
    body = acme.order("reutilise.chu.example").get_json()
    authz = acme.post(body["authorizations"][0]).get_json()
    assert authz["status"] == "valid" and [c["type"] for c in authz["challenges"]] == ["dns-01"]
    assert authz["challenges"][0]["status"] == "valid" and authz["challenges"][0]["validated"]
    expires = datetime.fromisoformat(authz["expires"].replace("Z", "+00:00"))
    assert abs((expires - proof_valid_until(aware(proof.validated_at))).total_seconds()) < 1
    assert expires != datetime.fromisoformat(body["expires"].replace("Z", "+00:00"))


def test_the_accounts_page_says_why_a_new_structure_needs_new_credentials(pki_world, as_person):
    """Issue 29 (6): an account does not reach a structure its creator administers later; the page says why."""
    page = as_person(pki_world["admin"]).get("/certificats/acme").get_data(as_text=True)
    assert "créez-lui de nouveaux identifiants" in page


def test_a_check_whose_worker_died_is_taken_by_the_periodic_pass(db, app, acme, network):
    """Issue 29 (1): a challenge marked « processing » whose task was lost with its worker is looked at by the
    periodic pass two minutes on, and settled."""
    from datetime import timedelta

    from app.models import AcmeAuthorization
    from app.models.base import utcnow
    from app.operations.acme import orders

    dns_server, _web = network
    dns_server.zone.a["perdu.dpi.example"] = "127.0.0.1"
    url = acme.order("perdu.dpi.example").get_json()["authorizations"][0]
    authz = db.get(AcmeAuthorization, int(url.rstrip("/").rsplit("/", 1)[1]))
    assert orders.start_check(db, authz, "http-01", utcnow() - timedelta(minutes=3))  # its task never ran
    db.commit()
    assert acme.post(url).get_json()["status"] == "pending"
    assert "1" in app.extensions["jobs"].run_periodic("domain-checks", force=True)
    body = acme.post(url).get_json()
    assert body["status"] == "invalid" and body["challenges"][0]["status"] == "invalid"
