import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.operations.pki import authority, init_pki
from seeds.loader import load

BASE_URL = "http://localhost"


@pytest.fixture()
def pki(db, hsm):
    load(db)
    init_pki(db, hsm, BASE_URL)
    return db


def make_csr(key=None, *, cn="pirate", org="Hacker Inc", dns=()):
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)]))
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in dns]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM), key


def write_chain(db, directory: Path) -> dict:
    paths = {}
    for name in ("root", "organisations", "personnes"):
        row = authority(db, name)
        cert = x509.load_der_x509_certificate(row.certificate_der)
        paths[name] = directory / f"{name}.pem"
        paths[name].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        paths[name + "_crl"] = directory / f"{name}.crl.pem"
        paths[name + "_crl"].write_bytes(
            x509.load_der_x509_crl(row.crl_der).public_bytes(serialization.Encoding.PEM))
    return paths


def write_cert(der: bytes, path: Path) -> Path:
    path.write_bytes(x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM))
    return path


def openssl(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, check=False)
