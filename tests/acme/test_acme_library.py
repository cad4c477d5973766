"""Issue 29, the last judge: certbot's ``acme`` library with a P-384 account key (ES384) obtains by dns-01 from a
real DNS server, polls the challenge it answered (« processing », then valid), renews with a new key and with the
same key, and revokes by its account; OCSP says good, then revoked."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from acme import challenges, messages
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from tests.acme.live import csr_pem, registered_client, serv_domain_with_eab
from tests.acme.test_clients import _ocsp, _serial, _spki, _verified_through_aia
from tests.domains.servers import DnsServer
from tests.live import pki_portal

DOMAIN = "bibliotheque.example"


def _obtain(acme, key, dns: DnsServer, csr: bytes) -> bytes:
    order = acme.new_order(csr)
    for authz in order.authorizations:
        if authz.body.status == messages.STATUS_VALID:
            continue  # proven within the reuse period
        challb = next(c for c in authz.body.challenges if isinstance(c.chall, challenges.DNS01))
        validation = challb.chall.validation(key)
        dns.zone.txt[f"_acme-challenge.{authz.body.identifier.value}"] = [validation]
        answered = acme.answer_challenge(challb, challb.response(key))
        assert answered.body.status.name in ("processing", "valid")
    order = acme.poll_authorizations(order, deadline=datetime.now() + timedelta(seconds=60))
    order = acme.finalize_order(order, deadline=datetime.now() + timedelta(seconds=60))
    return order.fullchain_pem.encode()


def test_the_acme_library_with_a_p384_key_obtains_renews_and_revokes(tmp_path_factory, fresh_database, app_config,
                                                                      tmp_path):
    dns = DnsServer()
    try:
        with pki_portal(tmp_path_factory, fresh_database, app_config, "acme_p384", serv_domain_with_eab(DOMAIN),
                        DNS_RESOLVER="127.0.0.1", DNS_PORT=str(dns.port), DOMAIN_CHECK_NETWORKS="127.0.0.0/8") as live:
            acme, net, key = registered_client(live["base"], live["eab"], curve=ec.SECP384R1,
                                               user_agent="tests-acme-p384")
            name = f"www.{DOMAIN}"
            server_key = ec.generate_private_key(ec.SECP384R1())
            first = _obtain(acme, key, dns, csr_pem(name, server_key))
            leaf = first.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
            _verified_through_aia(leaf, tmp_path, live["base"])
            assert "leaf.pem: good" in _ocsp(leaf, tmp_path)
            fresh = _obtain(acme, key, dns, csr_pem(name))  # a new key
            fresh_leaf = fresh.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
            assert _spki(fresh_leaf) != _spki(leaf)
            kept = _obtain(acme, key, dns, csr_pem(name, server_key))  # the same key again
            kept_leaf = kept.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
            assert _spki(kept_leaf) == _spki(leaf) and _serial(kept_leaf) != _serial(leaf)
            acme.revoke(x509.load_pem_x509_certificate(kept_leaf), 4)  # superseded
            _verified_through_aia(kept_leaf, tmp_path, live["base"])
            assert "leaf.pem: revoked" in _ocsp(kept_leaf, tmp_path)
    finally:
        dns.stop()
    assert hashlib.sha256(first).hexdigest() != hashlib.sha256(kept).hexdigest()

