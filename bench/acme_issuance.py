"""ACME issuances per second end to end, through a real gunicorn (2 workers) and certbot's own ``acme`` client
library, with 1 and with 4 concurrent clients (one account each): new order (names the structure proved within the
reuse period, so its authorizations are valid at once) → finalize with a CSR → certificate chain downloaded. Then
the wait of a page, ``/healthz`` and an OCSP-sized GET while 10 challenges point at a web server that accepts and
never answers (the checks run on the job worker: the goal is no wait). Called by bench/pki.py, next to the raw HSM
figure."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.acme.live import csr_pem  # bench/pki.py puts the project root on the path first


def _accounts(url: str, pin: str, count: int) -> tuple[list[tuple[str, str]], str, int]:
    from sqlmodel import select

    from app.config import default_pkcs11_module
    from app.db import Database
    from app.models import DomainControl, Habilitation, Person, ServDomain
    from app.operations import eab
    from app.signing.hsm import Hsm

    database = Database(url)
    with database.session() as db:
        serv = db.exec(select(Habilitation).where(Habilitation.certificate_family == "SERV")).first()
        domain = db.exec(select(DomainControl.name).where(DomainControl.structure_id == serv.structure_id,
                                                          DomainControl.validated_at.is_not(None))).first()
        db.add(ServDomain(structure_id=serv.structure_id, name="silencieux.example", source="bench"))
        hsm = Hsm(default_pkcs11_module(), "bench", pin)
        credentials = []
        for n in range(count):
            credential, secret = eab.create(db, hsm, db.get(Person, serv.person_id), name=f"bench {n}",
                                            structure_ids=[serv.structure_id], days=7)
            credentials.append((credential.key_id, secret))
        db.commit()
    database.engine.dispose()
    return credentials, domain, serv.structure_id


def _client(base: str, key_id: str, secret: str):
    import josepy as jose
    from acme import client, messages
    from cryptography.hazmat.primitives.asymmetric import ec

    key = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    net = client.ClientNetwork(key, alg=jose.ES256, user_agent="bench-acme")
    directory = client.ClientV2.get_directory(f"{base}/acme/directory", net)
    acme = client.ClientV2(directory, net)
    binding = messages.ExternalAccountBinding.from_data(account_public_key=key.public_key(), kid=key_id,
                                                        hmac_key=secret, directory=directory)
    net.account = acme.new_account(messages.NewRegistration.from_data(
        email="bench@example.org", terms_of_service_agreed=True, external_account_binding=binding))
    return acme, key


def _issue(acme, csrs: list[bytes]) -> None:
    from acme import messages

    for csr in csrs:
        # poll_and_finalize() would sleep a second before its first look at the order, by design: the steps
        # by hand measure the server (the portal answers finalize with the certificate already issued)
        order = acme.begin_finalization(acme.new_order(csr))
        if order.body.status != messages.STATUS_VALID:
            raise SystemExit(f"ACME: order {order.body.status}")
        if acme._post_as_get(order.body.certificate).text.count("BEGIN CERTIFICATE") != 2:  # noqa: SLF001
            raise SystemExit("ACME: no certificate chain")


def acme_issuance(work: Path, url: str, pin: str, count: int) -> dict:
    """{"1": issuances/s with one client, "4": with four, "wait": page waits in s while 10 checks hang}."""
    from bench.servers import free_port, wait_for
    from tests.domains.servers import DnsServer  # dnslib: the names of the silent server resolve to loopback

    credentials, domain, _structure = _accounts(url, pin, 6)
    dns = DnsServer()
    for n in range(10):
        dns.zone.a[f"n{n}.silencieux.example"] = "127.0.0.1"
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, BIND=f"127.0.0.1:{port}", PORTAL_BASE_URL=base, WEB_CONCURRENCY="2",
               ACME_ORDERS_PER_HOUR=str(count * 4), ACME_CERTIFICATES_PER_DOMAIN_WEEK=str(count * 4),
               DNS_RESOLVER="127.0.0.1", DNS_PORT=str(dns.port),
               HTTP01_PORT=str(silent.getsockname()[1]), DOMAIN_CHECK_NETWORKS="127.0.0.0/8")
    log = (work / "acme-issuance.log").open("w")
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"], cwd=root,
                            env=env, stdout=subprocess.DEVNULL, stderr=log)
    worker = subprocess.Popen([sys.executable, "-m", "app.jobs"], cwd=root, env=env, stdout=subprocess.DEVNULL,
                              stderr=log)
    figures = {}
    try:
        wait_for(f"{base}/healthz", proc)
        for clients in (1, 4):
            first = 0 if clients == 1 else 1  # an EAB binding serves one account only
            accounts = [_client(base, *credentials[first + n]) for n in range(clients)]
            per = max(1, count // clients)
            batches = [[csr_pem(f"srv{clients}-{c}-{i}.{domain}") for i in range(per)] for c in range(clients)]
            threads = [threading.Thread(target=_issue, args=(account[0], batch))
                       for account, batch in zip(accounts, batches, strict=True)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            figures[str(clients)] = per * clients / (time.perf_counter() - start)
        figures["wait"] = _waits_while_checks_hang(base, credentials[5], silent)
    finally:
        proc.terminate()
        worker.terminate()
        proc.wait(timeout=20)
        worker.wait(timeout=40)
        silent.close()
        dns.stop()
    return figures


def _waits_while_checks_hang(base: str, credential: tuple[str, str], silent: socket.socket) -> dict:
    """Ten challenges answered at once against the silent server, then a page, /healthz and the directory timed
    while the worker's checks wait on it."""
    import urllib.request

    acme, key = _client(base, *credential)
    challenges = []
    for n in range(10):
        authz = acme.new_order(csr_pem(f"n{n}.silencieux.example")).authorizations[0]
        challenges.append(next(c for c in authz.body.challenges if c.chall.typ == "http-01"))
    started = time.perf_counter()
    for challb in challenges:
        acme.answer_challenge(challb, challb.response(key))
    answered = time.perf_counter() - started
    waits = []
    for _ in range(20):
        for path in ("/", "/healthz", "/acme/directory"):
            begin = time.perf_counter()
            urllib.request.urlopen(base + path, timeout=30).read()  # noqa: S310 - our own loopback URL
            waits.append(time.perf_counter() - begin)
    return {"answers": answered, "median": statistics.median(waits), "max": max(waits)}
