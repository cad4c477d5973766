"""Issue 20: hostile ACME requests are refused with the right problem type, and store nothing (the nonce's use
aside, which is the replay protection itself)."""

from __future__ import annotations

import json
import os
import time

import josepy as jose
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlmodel import func, select

from app.domain.acme import Limits
from app.models import AcmeAccount, AcmeAuthorization, AcmeOrder, EabCredential, IssuedCertificate, ServDomain
from app.operations import eab
from tests.acme.client import Acme, b64
from tests.acme.test_protocol import csr_der


def _type(response) -> str:
    assert response.content_type == "application/problem+json", response.data[:300]
    return response.get_json()["type"].removeprefix("urn:ietf:params:acme:error:")


def _count(db, model) -> int:
    query = select(func.count()).select_from(model)
    if model is IssuedCertificate:
        query = query.where(IssuedCertificate.profile == "SERV_SSL")
    return db.exec(query).one()


def test_replayed_nonce_wrong_url_and_forged_headers(db, acme):
    url = acme.directory["newOrder"]
    payload = {"identifiers": [{"type": "dns", "value": "www.chu.example"}]}
    body = acme.signed(url, payload)
    assert acme.post(url, raw=body).status_code == 201
    replayed = acme.post(url, raw=body)
    assert replayed.status_code == 400 and _type(replayed) == "badNonce" and replayed.headers["Replay-Nonce"]
    assert _type(acme.post(url, payload, nonce="AAAA")) == "badNonce"  # never issued
    elsewhere = acme.post(url, payload, signed_url=acme.directory["revokeCert"])
    assert elsewhere.status_code == 403 and _type(elsewhere) == "unauthorized"
    assert _count(db, AcmeOrder) == 1

    def forged(alg: str, signature: bytes = b"", **header) -> str:
        protected = {"alg": alg, "nonce": acme.nonce(), "url": url, "kid": acme.kid} | header
        return json.dumps({"protected": b64(json.dumps(protected).encode()), "payload": b64(json.dumps(payload)
                                                                                             .encode()),
                           "signature": b64(signature)})

    none = acme.post(url, raw=forged("none"))
    assert _type(none) == "badSignatureAlgorithm" and "ES256" in none.get_json()["algorithms"]
    assert _type(acme.post(url, raw=forged("HS256", b"x" * 32))) == "badSignatureAlgorithm"
    assert _type(acme.post(url, raw=forged("ES256", b"x" * 64))) == "unauthorized"  # not the account's signature
    both = forged("ES256", jwk=acme.key.public_key().to_partial_json())
    assert _type(acme.post(url, raw=both)) == "malformed"
    general = json.loads(acme.signed(url, payload))
    general = {"payload": general["payload"], "signatures": [{"protected": general["protected"],
                                                              "signature": general["signature"]}]}
    assert _type(acme.post(url, raw=json.dumps(general))) == "malformed"
    unprotected = json.loads(acme.signed(url, payload)) | {"header": {"kid": acme.kid}}
    assert _type(acme.post(url, raw=json.dumps(unprotected))) == "malformed"
    wrong_type = acme.client.post("/acme/new-order", data=acme.signed(url, payload), content_type="application/json")
    assert wrong_type.status_code == 415 and _type(wrong_type) == "malformed"
    jwk_for_kid = acme.post(url, payload, use_jwk=True)
    assert _type(jwk_for_kid) == "malformed"
    stranger = Acme(acme.client)
    assert _type(stranger.post(url, payload, kid=acme.kid.rsplit("/", 1)[0] + "/999999")) == "accountDoesNotExist"
    assert _type(stranger.post(url, payload, kid=acme.kid)) == "unauthorized"  # not signed by the account's key
    assert _count(db, AcmeOrder) == 1


def test_weak_keys_and_keys_reused_across_eab(db, client, credentials, acme):
    weak = Acme(client, key=jose.JWKRSA(key=rsa.generate_private_key(65537, 1024)))
    first_id, first_secret = credentials("autre")
    # RS256 with a 1024-bit key: refused before any binding
    url = weak.directory["newAccount"]
    body = acme_jws_rs256(weak, url, {"termsOfServiceAgreed": True})
    assert _type(weak.post(url, raw=body)) == "badPublicKey"
    reused = Acme(client, key=acme.key)  # the first account's key, presented with other credentials
    refused = reused.register(first_id, first_secret)
    assert refused.status_code == 403 and _type(refused) == "unauthorized"
    assert _count(db, AcmeAccount) == 1
    assert db.exec(select(EabCredential).where(EabCredential.key_id == first_id)).one().used_at is None


def acme_jws_rs256(account: Acme, url: str, payload: dict) -> str:
    from acme import jws as acme_jws

    return acme_jws.JWS.sign(json.dumps(payload).encode(), key=account.key, alg=jose.RS256,
                             nonce=jose.b64.b64decode(account.nonce()), url=url).json_dumps()


def test_names_outside_the_scope_and_csrs_that_ask_more(db, acme, pki_world):
    other = pki_world["other"]
    db.add(ServDomain(structure_id=other.id, name="voisin.example", source="test"))
    db.flush()
    for names in (["www.voisin.example"], ["www.chu.example", "www.voisin.example"], ["intranet.local.example"]):
        refused = acme.order(*names)
        assert refused.status_code == 400 and _type(refused) == "rejectedIdentifier", names
        assert any(s["identifier"]["value"] == names[-1] for s in refused.get_json()["subproblems"])
    assert _type(acme.order("*.chu.example")) == "rejectedIdentifier"
    assert _type(acme.post(acme.directory["newOrder"], {"identifiers": [{"type": "ip", "value": "10.0.0.1"}]})) \
        == "unsupportedIdentifier"
    assert _count(db, AcmeOrder) == 0 and _count(db, AcmeAuthorization) == 0

    order = acme.order("www.chu.example").get_json()
    for der in (csr_der("www.chu.example", "www.voisin.example"), csr_der("www.chu.example", "mail.chu.example"),
                csr_der("autre.chu.example"), b"not a csr"):
        refused = acme.post(order["finalize"], {"csr": b64(der)})
        assert _type(refused) == "badCSR"
    account_key = ec.derive_private_key(acme.key.key.private_numbers().private_value, ec.SECP256R1())
    assert _type(acme.post(order["finalize"], {"csr": b64(csr_der("www.chu.example", key=account_key))})) == "badCSR"
    assert _count(db, IssuedCertificate) == 0
    assert acme.post(order["finalize"].rsplit("/", 1)[0]).get_json()["status"] == "ready"  # still to finalize


def test_other_accounts_resources_and_certificates(db, client, credentials, acme, pki_world, make_certificate):
    order = acme.order("www.chu.example")
    other = Acme(client)
    assert other.register(*credentials("second")).status_code == 201
    assert other.post(order.headers["Location"]).status_code == 404
    assert other.post(order.get_json()["authorizations"][0]).status_code == 404
    org = make_certificate(pki_world["admin"], pki_world["hospital"])  # an ORG certificate, not ACME's to revoke
    refused = acme.post(acme.directory["revokeCert"], {"certificate": b64(org.der)})
    assert refused.status_code == 404 and _type(refused) == "unauthorized"
    assert _type(acme.post(acme.directory["revokeCert"], {"certificate": b64(org.der), "reason": 2})) \
        == "badRevocationReason"
    db.refresh(org)
    assert org.revoked_at is None


def test_finalize_too_early_and_the_end_of_the_credentials(db, hsm, acme, network):
    pending = acme.order("www.dpi.example").get_json()
    assert _type(acme.post(pending["finalize"], {"csr": b64(csr_der("www.dpi.example"))})) == "orderNotReady"
    credential = db.exec(select(EabCredential)).one()
    eab.revoke(db, hsm, credential, actor="admin")
    refused = acme.order("www.chu.example")
    assert refused.status_code == 403 and _type(refused) == "unauthorized"


def test_per_domain_limit(app, db, acme):
    app.config["ACME_LIMITS"] = Limits(certificates_per_domain_week=1)
    try:
        first = acme.order("a.chu.example").get_json()
        assert acme.post(first["finalize"], {"csr": b64(csr_der("a.chu.example"))}).get_json()["status"] == "valid"
        second = acme.order("b.chu.example").get_json()
        limited = acme.post(second["finalize"], {"csr": b64(csr_der("b.chu.example"))})
        assert limited.status_code == 429 and _type(limited) == "rateLimited" and limited.headers["Retry-After"]
        assert _count(db, IssuedCertificate) == 1
    finally:
        app.config.pop("ACME_LIMITS")


def test_ten_thousand_orders_in_a_loop(db, acme):
    # On PostgreSQL every request of this test is a savepoint of the test's one transaction, and past a few
    # thousand subtransactions PostgreSQL slows down (35 requests/s): 2,000 there by default, 10,000 on SQLite.
    default = "2000" if db.get_bind().dialect.name == "postgresql" else "10000"
    loops = int(os.environ.get("ACME_ORDER_LOOP", default))
    limits = Limits()
    started = time.perf_counter()
    statuses = {}
    for _ in range(loops):
        answer = acme.order("www.chu.example")
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
    elapsed = time.perf_counter() - started
    assert statuses == {201: limits.pending_orders, 429: loops - limits.pending_orders}, statuses
    assert _count(db, AcmeOrder) == limits.pending_orders == _count(db, AcmeAuthorization)
    assert _type(acme.order("www.chu.example")) == "rateLimited"
    print(f"{loops} newOrder in {elapsed:.1f} s ({loops / elapsed:.0f}/s)")


def test_account_creation_is_limited_per_address(app, client, credentials, monkeypatch):
    monkeypatch.setitem(app.config, "ACME_ACCOUNT_RATE_LIMIT", "20 per minute")
    key_id, secret = credentials()
    if time.localtime().tm_sec >= 50:  # the window is fixed, by the minute: start well inside one
        time.sleep(61 - time.localtime().tm_sec)
    answers = [Acme(client).register(key_id, b64(b"x" * 32)).status_code for _ in range(21)]
    assert answers[:20] == [403] * 20 and answers[20] == 429
    limited = Acme(client).register(key_id, secret)
    assert _type(limited) == "rateLimited" and limited.headers["Retry-After"]


def test_the_end_of_the_habilitation_stops_the_account(db, acme, pki_world):
    from app.models import Habilitation
    from app.models.base import utcnow

    serv = db.exec(select(Habilitation).where(Habilitation.person_id == pki_world["admin"].id,
                                              Habilitation.certificate_family == "SERV")).one()
    serv.ended_at = utcnow()
    db.add(serv)
    db.flush()
    refused = acme.order("www.chu.example")
    assert refused.status_code == 403 and _type(refused) == "unauthorized" and _count(db, AcmeOrder) == 0
    huge = acme.post(acme.kid.replace("/acct/", "/cert/").rsplit("/", 1)[0] + f"/{2**40}")
    assert huge.status_code == 404 and _type(huge) == "malformed"
