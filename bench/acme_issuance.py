"""ACME issuances per second end to end, through a real gunicorn and certbot's own ``acme`` client library: new order
(names the structure proved within the reuse period, so its authorizations are valid at once) → finalize with a
CSR → certificate chain downloaded. Called by bench/pki.py, next to the raw HSM figure."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def acme_issuance(work: Path, url: str, pin: str, count: int) -> float:
    import josepy as jose
    from acme import client, messages
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from sqlmodel import select

    from app.config import default_pkcs11_module
    from app.db import Database
    from app.models import DomainControl, Habilitation, Person
    from app.operations import eab
    from app.signing.hsm import Hsm
    from bench.pages import free_port, wait_for

    database = Database(url)
    with database.session() as db:
        serv = db.exec(select(Habilitation).where(Habilitation.certificate_family == "SERV")).first()
        domain = db.exec(select(DomainControl.name).where(DomainControl.structure_id == serv.structure_id,
                                                          DomainControl.validated_at.is_not(None))).first()
        credential, secret = eab.create(db, Hsm(default_pkcs11_module(), "bench", pin), db.get(Person, serv.person_id),
                                        name="bench", structure_ids=[serv.structure_id], days=7)
        key_id = credential.key_id
        db.commit()
    database.engine.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, BIND=f"127.0.0.1:{port}", PORTAL_BASE_URL=base, WEB_CONCURRENCY="1",
               ACME_ORDERS_PER_HOUR=str(count * 2), ACME_CERTIFICATES_PER_DOMAIN_WEEK=str(count * 2))
    log = (work / "acme-issuance.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                            cwd=Path(__file__).resolve().parents[1], env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        wait_for(f"{base}/healthz", proc)
        key = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
        net = client.ClientNetwork(key, alg=jose.ES256, user_agent="bench-acme")
        directory = client.ClientV2.get_directory(f"{base}/acme/directory", net)
        acme = client.ClientV2(directory, net)
        binding = messages.ExternalAccountBinding.from_data(account_public_key=key.public_key(), kid=key_id,
                                                            hmac_key=secret, directory=directory)
        net.account = acme.new_account(messages.NewRegistration.from_data(
            email="bench@example.org", terms_of_service_agreed=True, external_account_binding=binding))
        csrs = []
        for i in range(count):
            name = f"srv{i}.{domain}"
            request = x509.CertificateSigningRequestBuilder().subject_name(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])).add_extension(
                x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            csrs.append(request.sign(ec.generate_private_key(ec.SECP256R1()), hashes.SHA256())
                        .public_bytes(serialization.Encoding.PEM))
        start = time.perf_counter()
        for csr in csrs:
            # poll_and_finalize() would sleep a second before its first look at the order, by design: the steps
            # by hand measure the server (the portal answers finalize with the certificate already issued)
            order = acme.begin_finalization(acme.new_order(csr))
            if order.body.status != messages.STATUS_VALID:
                raise SystemExit(f"ACME: order {order.body.status}")
            chain = acme._post_as_get(order.body.certificate).text  # noqa: SLF001 - the public path sleeps
            if chain.count("BEGIN CERTIFICATE") != 2:
                raise SystemExit("ACME: no certificate chain")
        return count / (time.perf_counter() - start)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
