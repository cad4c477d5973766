"""Issue 29 (1): challenges are checked on the job engine, not in the web request. Against a web server that accepts
and never answers, four challenge answers each come back at once « processing » with Retry-After, the node's
liveness and pages answer at once meanwhile, and the client polling the authorization finds it « invalid » once
the worker's check reached its deadline."""

from __future__ import annotations

import threading
import time

import requests

from tests.acme.live import csr_pem, registered_client, serv_domain_with_eab
from tests.domains.servers import DnsServer
from tests.domains.test_bounds import HostileServer
from tests.live import pki_portal

DOMAIN = "lent.example"


def test_challenge_answers_come_back_at_once_and_the_worker_settles_them(tmp_path_factory, fresh_database,
                                                                        app_config):

    dns_server, silent = DnsServer(), HostileServer("silent")
    names = [f"srv{i}.{DOMAIN}" for i in range(4)]
    for name in names:
        dns_server.zone.a[name] = "127.0.0.1"
    try:
        with pki_portal(tmp_path_factory, fresh_database, app_config, "acme_async", serv_domain_with_eab(DOMAIN),
                        DNS_RESOLVER="127.0.0.1", DNS_PORT=str(dns_server.port), HTTP01_PORT=str(silent.port),
                        DOMAIN_CHECK_NETWORKS="127.0.0.0/8") as live:
            acme, net, key = registered_client(live["base"], live["eab"], user_agent="tests-acme")
            challenges = []
            for name in names:
                authz = acme.new_order(csr_pem(name)).authorizations[0]
                challenges.append((authz, next(c for c in authz.body.challenges if c.chall.typ == "http-01")))
            answers = []

            def answer(challb):
                started = time.monotonic()
                done = acme.answer_challenge(challb, challb.response(key))
                answers.append((time.monotonic() - started, done.body.status.name))

            threads = [threading.Thread(target=answer, args=(challb,)) for _, challb in challenges]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            started = time.monotonic()
            assert requests.get(f"{live['base']}/healthz", timeout=30).status_code == 200
            assert requests.get(f"{live['base']}/referentiel/", timeout=30).status_code == 200
            meanwhile = time.monotonic() - started
            assert sorted(status for _, status in answers) == ["processing"] * 4
            assert max(seconds for seconds, _ in answers) < 2.0 and meanwhile < 1.0, (answers, meanwhile)
            deadline = time.monotonic() + 60
            settled = {}
            while len(settled) < 4 and time.monotonic() < deadline:
                for authz, _ in challenges:
                    body = acme._post_as_get(authz.uri).json()  # noqa: SLF001 - the poll, no sleep
                    if body["status"] != "pending":
                        settled[authz.uri] = body
                time.sleep(0.5)
    finally:
        silent.stop()
        dns_server.stop()
    assert {body["status"] for body in settled.values()} == {"invalid"} and len(settled) == 4
    errors = [c["error"]["detail"] for body in settled.values() for c in body["challenges"] if "error" in c]
    assert len(errors) == 4 and all("srv" in detail for detail in errors), errors
