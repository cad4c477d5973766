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
    print(f"certificates issued/s (CSR -> stored) : {issuance:8.1f}   ratio to raw: {issuance / raw:.2f} "
          f"(target >= 0.5); work besides the signature: {(1 / issuance - 1 / raw) * 1000:.1f} ms")
    print(f"OCSP responses/s, each signed (nonce) : {ocsp_signed:8.1f}   (delegated responder, EC P-256)")
    print(f"OCSP responses/s, pre-signed reused   : {ocsp_reused:8.1f}   (status read from the database each time)")
    print(f"sealed PDFs/s (render + PAdES B-LTA)  : {1 / statistics.mean(portal_times):8.1f}   "
          f"median {portal_median * 1000:.1f} ms")
    print(f"bare reportlab + pyHanko B-LTA median: {bare_median * 1000:8.1f} ms   "
          f"ratio: {portal_median / bare_median:.2f} (target <= 1.5)")
    db.close()
    database.engine.dispose()


if __name__ == "__main__":
    main()
