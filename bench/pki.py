"""PKI benchmark on one throwaway SoftHSM token: raw signatures, issuance, OCSP, sealed PDFs.

Run: .venv/bin/python bench/pki.py [--certificates N] [--pdfs N]
Absolute times drift on shared machines; the ratios measured in the same run are what count.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
logging.disable(logging.WARNING)


def main() -> None:
    from bench.databases import throwaway_database

    work = Path(tempfile.mkdtemp(prefix="bench-pki-"))
    with throwaway_database(work) as url:
        run(work, url)


def run(work: Path, url: str) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--signatures", type=int, default=300)
    parser.add_argument("--certificates", type=int, default=150)
    parser.add_argument("--ocsp", type=int, default=300)
    parser.add_argument("--pdfs", type=int, default=30)
    parser.add_argument("--revocations", default="0,20000,100000",
                        help="ORGANISATIONS CRL sizes at which a seal's time and size are measured")
    parser.add_argument("--seals-only", action="store_true", help="measure only the seals (issue 30.10)")
    args = parser.parse_args()

    from app.signing import softhsm

    softhsm.init_token(work / "softhsm2.conf", work / "tokens", "bench", work / "pins.json")
    os.environ["SOFTHSM2_CONF"] = str(work / "softhsm2.conf")
    pin = json.loads((work / "pins.json").read_text())["user_pin"]

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509 import ocsp
    from cryptography.x509.oid import NameOID
    from sqlmodel import select

    from app.config import default_pkcs11_module
    from app.db import Database
    from app.documents.notice import render_notice
    from app.migrate import upgrade
    from app.models import Structure
    from app.operations.pki import authority, init_pki, issue_certificate, ocsp_answer, seal_material, seal_pdf
    from app.signing.hsm import Hsm
    from app.signing.tsa import HsmTimeStamper
    from bench.bare_pades import bare_sign
    from seeds.loader import load

    upgrade(url)
    database = Database(url)
    hsm = Hsm(default_pkcs11_module(), "bench", pin)
    db = database.session()
    load(db)
    init_pki(db, hsm, "http://127.0.0.1:8000")
    db.commit()
    structure = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
    ca_label = authority(db, "organisations").key_label
    tbs = os.urandom(1200)  # about the size of a certificate's to-be-signed part

    def rate(n, fn):
        start = time.perf_counter()
        for i in range(n):
            fn(i)
        return n / (time.perf_counter() - start)

    raw = rate(args.signatures, lambda i: hsm.sign(ca_label, tbs))
    if args.seals_only:
        print_seals(db, hsm, args.pdfs, [int(n) for n in args.revocations.split(",")])
        return

    csrs = []
    for i in range(args.certificates):
        key = ec.generate_private_key(ec.SECP256R1())
        csrs.append(x509.CertificateSigningRequestBuilder().subject_name(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"bench {i}")])).sign(key, hashes.SHA256())
            .public_bytes(serialization.Encoding.PEM))
    issued = []
    def issue_one(i):
        issued.append(issue_certificate(db, hsm, requested_by="bench", structure=structure,
                                        profile_code="ORG_AUTH_CLI", csr=csrs[i], service_name=f"Service de test {i}",
                                        base_url="http://127.0.0.1:8000"))
        db.commit()

    issuance = rate(args.certificates, issue_one)

    issuer = x509.load_der_x509_certificate(authority(db, "organisations").certificate_der)
    def ocsp_request(cert, nonce=None):
        builder = ocsp.OCSPRequestBuilder().add_certificate(x509.load_der_x509_certificate(cert.der), issuer,
                                                            hashes.SHA1())
        if nonce:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        return builder.build().public_bytes(serialization.Encoding.DER)

    # With a nonce every answer is signed (by the delegated responder's P-256 key); without one, an answer
    # for an unchanged status is signed once and handed out again until shortly before its nextUpdate.
    with_nonce = [ocsp_request(issued[i % len(issued)], os.urandom(16)) for i in range(args.ocsp)]
    ocsp_signed = rate(args.ocsp, lambda i: ocsp_answer(db, hsm, with_nonce[i]))
    plain = [ocsp_request(c) for c in issued]
    for der in plain:
        ocsp_answer(db, hsm, der)
    ocsp_reused = rate(args.ocsp, lambda i: ocsp_answer(db, hsm, plain[i % len(plain)]))

    portal_times, bare_times = [], []
    material = seal_material(db)
    for i in range(args.pdfs):
        start = time.perf_counter()
        seal_pdf(db, hsm, render_notice("Décision", f"BENCH-{i:04d}", ["Autorisation accordée pour six mois."]),
                 reason="Décision")
        portal_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        with hsm.session() as session:
            stamper = HsmTimeStamper(hsm, material.tsa)  # pyHanko's TimeStamper interface over the token's TSA key
            bare_sign(session, material.key_label, material.certificate_der, material.chain_der, material.root_der,
                      material.crls_der, timestamper=stamper, other_certs=[stamper.certificate, *stamper.chain])
        bare_times.append(time.perf_counter() - start)
    portal_median, bare_median = statistics.median(portal_times), statistics.median(bare_times)

    ca_key = serialization.load_der_public_key(hsm.public_key(ca_label))
    print(f"backend: {database.engine.dialect.name}; CA key {type(ca_key).__name__.replace('PublicKey', '')}-"
          f"{ca_key.key_size} ({ca_label}); seal key EC P-256; runs: {args.signatures} signatures, "
          f"{args.certificates} certificates, {args.ocsp} OCSP, {args.pdfs} PDFs")
    print(f"raw HSM signatures/s (CA key)         : {raw:8.1f}")
    print(f"certificates issued/s (CSR -> stored) : {issuance:8.1f}   ratio to raw: {issuance / raw:.2f} "
          f"(target >= 0.5); work besides the signature: {(1 / issuance - 1 / raw) * 1000:.1f} ms")
    print(f"OCSP responses/s, each signed (nonce) : {ocsp_signed:8.1f}   (delegated responder, EC P-256)")
    print(f"OCSP responses/s, pre-signed reused   : {ocsp_reused:8.1f}   (status read from the database each time)")
    print(f"sealed PDFs/s (render + PAdES B-LTA)  : {1 / statistics.mean(portal_times):8.1f}   "
          f"{distribution(portal_times)}")
    print(f"bare reportlab + pyHanko B-LTA median: {bare_median * 1000:8.1f} ms   "
          f"ratio: {portal_median / bare_median:.2f} (target <= 1.5)")
    print_seals(db, hsm, 7, [int(n) for n in args.revocations.split(",")])
    db.close()
    http = http_issuance(work, url, pin, args.certificates // 3)
    print(f"certificates issued/s over HTTP       : {http:8.1f}   ratio to raw: {http / raw:.2f} "
          f"(request page form post -> stored certificate, 1 gunicorn worker, one request at a time)")
    from bench.acme_issuance import acme_issuance

    acme = acme_issuance(work, url, pin, args.certificates // 3)
    for clients in ("1", "4"):
        print(f"ACME issuances/s, {clients} client(s)         : {acme[clients]:8.1f}   raw signatures per issuance: "
              f"{raw / acme[clients]:.1f} (certbot's acme library: newOrder -> finalize -> chain, 2 gunicorn "
              "workers, names already proven)")
    wait = acme["wait"]
    print(f"10 challenges on a silent server      : answered in {wait['answers']:.2f} s; meanwhile a page, /healthz "
          f"and the directory: median {wait['median'] * 1000:.1f} ms, max {wait['max'] * 1000:.1f} ms")
    database.engine.dispose()


def distribution(seconds: list[float]) -> str:
    """Median, 90th percentile and maximum: a slow tail cannot hide behind the median (issue 30.10)."""
    ms = sorted(t * 1000 for t in seconds)
    p90 = statistics.quantiles(ms, n=10)[-1] if len(ms) > 1 else ms[0]
    return f"median {statistics.median(ms):6.1f} ms, p90 {p90:6.1f} ms, max {ms[-1]:6.1f} ms ({len(ms)} seals)"


def print_seals(db, hsm, pdfs: int, sizes: list[int]) -> None:
    for revoked, times, size, crl_size in seal_against_crl(db, hsm, sizes, pdfs):
        print(f"seal with {revoked:>7,} ORGANISATIONS revocations: {distribution(times)}, PDF {size / 1024:6.1f} KiB"
              f" (ORGANISATIONS CRL {crl_size / 1024:8.1f} KiB, not embedded)")


def seal_against_crl(db, hsm, sizes: list[int], pdfs: int = 7):
    """Issue 19 (6): a seal's time and size while the ORGANISATIONS CRL grows (revocations inserted directly,
    then the CRL signed once): the seal's chain is the SERVICES CA's, so neither should move."""
    from app.documents.notice import render_notice
    from app.operations.pki import authority, seal_pdf
    from bench.mix import revoked_in_bulk

    done = 0
    for target in sizes:
        revoked_in_bulk(db, hsm, target, start=done)
        done = max(done, target)
        db.commit()
        times, size = [], 0
        for i in range(pdfs):
            pdf = render_notice("Décision", f"CRL-{target}-{i}", ["Autorisation accordée pour six mois."])
            started = time.perf_counter()
            size = len(seal_pdf(db, hsm, pdf, reason="Décision"))
            times.append(time.perf_counter() - started)
        yield target, times, size, len(authority(db, "organisations").crl_der)


def http_issuance(work: Path, url: str, pin: str, count: int) -> float:
    """The administrator's upload form through a real gunicorn: POST /certificats/demande until stored."""
    import re
    import subprocess
    import sys

    import requests
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from sqlmodel import select

    from app import create_app
    from app.db import Database
    from app.models import Structure
    from app.operations.login import open_session
    from app.psc.claims import identity_from_userinfo
    from bench.servers import free_port, wait_for
    from psc_sandbox.identities import find, psc_claims

    env = {"DATABASE_URL": url, "INSTANCE_PATH": str(work / "instance"), "SECRET_KEY": "bench-pki-secret",
           "HSM_TOKEN_LABEL": "bench", "HSM_PIN": pin, "SOFTHSM2_CONF": str(work / "softhsm2.conf"),
           "PSC_CLIENT_SECRET": "bench", "WEB_CONCURRENCY": "1", "ACCESS_LOG": ""}
    os.environ.update(env)
    database = Database(url)
    with database.session() as db:
        login = open_session(db, identity_from_userinfo(psc_claims(find("581234567600017/TECH0009"), "CARD")))
        structure_id = db.exec(select(Structure.id).where(Structure.finess == "440000016")).one()
        db.commit()
        login_id = login.id
    database.engine.dispose()
    app = create_app()
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = serializer.dumps({"sid": login_id, "csrf_token": os.urandom(20).hex()})
    port = free_port()
    log = (work / "http-issuance.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                            cwd=Path(__file__).resolve().parents[1], env=dict(os.environ, BIND=f"127.0.0.1:{port}"),
                            stdout=subprocess.DEVNULL, stderr=log)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/healthz", proc)
        session = requests.Session()
        session.cookies.set("portail_session", cookie)
        page = session.get(f"{base}/certificats/demande?famille=ORG&structure={structure_id}&usage=PSC", timeout=10)
        token = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
        csrs = []
        for i in range(count):
            key = ec.generate_private_key(ec.SECP256R1())
            csrs.append(x509.CertificateSigningRequestBuilder().subject_name(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"http {i}")])).sign(key, hashes.SHA256())
                .public_bytes(serialization.Encoding.PEM).decode())
        start = time.perf_counter()
        for i in range(count):
            answer = session.post(f"{base}/certificats/demande", allow_redirects=False, timeout=30, data={
                "csrf_token": token, "famille": "ORG", "structure": str(structure_id), "usage": "PSC",
                "service_name": f"Serveur PSC {i}", "email": "admin@chu.example", "csr_ORG_AUTH_CLI": csrs[i]})
            if answer.status_code != 303:
                raise SystemExit(f"HTTP issuance answered {answer.status_code}: {answer.text[:300]}")
        return count / (time.perf_counter() - start)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
