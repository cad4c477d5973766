"""Issue 20, done when: certbot and lego (Debian's packages) obtain, renew and revoke SERV SSL certificates from a
live portal with EAB — http-01 on their own standalone server, dns-01 through a hook writing to a real DNS server —
and each certificate passes ``openssl verify`` through its AIA and ``openssl ocsp`` says good, then revoked."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import AuthorityInformationAccessOID
from sqlmodel import select

from app.models import AcmeOrder, Habilitation, IssuedCertificate, Person, ServDomain
from app.operations import eab
from tests.conftest import free_port
from tests.domains.servers import DnsServer
from tests.live import pki_portal
from tests.pki.conftest import openssl

DOMAIN = "acme-test.example"
pytestmark = pytest.mark.skipif(not (shutil.which("certbot") and shutil.which("lego")),
                                reason="certbot or lego missing: `make test` installs them (apt-get install certbot "
                                       "lego)")


@pytest.fixture(scope="module")
def portal(tmp_path_factory, fresh_database, app_config):
    hooks = tmp_path_factory.mktemp("dns") / "hooks.txt"
    dns_server = DnsServer(hooks)
    http_port = free_port()

    def prepare(db, hsm, base, work):
        serv = db.exec(select(Habilitation).where(Habilitation.certificate_family == "SERV",
                                                  Habilitation.role == "technical_admin")).first()
        db.add(ServDomain(structure_id=serv.structure_id, name=DOMAIN, source="test"))
        admin = db.get(Person, serv.person_id)
        keys = [eab.create(db, hsm, admin, name=f"client {n}", structure_ids=[serv.structure_id], days=30)
                for n in range(4)]
        return {"eab": [(c.key_id, secret) for c, secret in keys], "structure_id": serv.structure_id}

    with pki_portal(tmp_path_factory, fresh_database, app_config, "acme", prepare, DNS_RESOLVER="127.0.0.1",
                    DOMAIN_CHECK_NETWORKS="127.0.0.0/8", DNS_PORT=str(dns_server.port),
                    HTTP01_PORT=str(http_port)) as live:
        live["hooks"], live["dns"], live["http_port"] = hooks, dns_server, http_port
        yield live
    dns_server.stop()


def _run(command: list[str], **env) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False,
                          env=dict(os.environ, **env))
    assert done.returncode == 0, f"{' '.join(command[:3])}…\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def _hook(work: Path, body: str) -> Path:
    script = work / "hook.sh"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def _verified_through_aia(leaf_pem: bytes, work: Path, base: str) -> None:
    """``openssl verify`` with nothing but the root: the intermediate comes from the leaf's AIA."""
    leaf = x509.load_pem_x509_certificate(leaf_pem)
    access = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    issuer_url = next(a.access_location.value for a in access
                      if a.access_method == AuthorityInformationAccessOID.CA_ISSUERS)
    issuer = x509.load_der_x509_certificate(requests.get(issuer_url, timeout=10).content)
    root = x509.load_der_x509_certificate(requests.get(f"{base}/pki/ca/root.cer", timeout=10).content)
    paths = {}
    for name, cert in (("leaf", leaf), ("issuer", issuer), ("root", root)):
        paths[name] = work / f"{name}.pem"
        paths[name].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    done = openssl("verify", "-purpose", "sslserver", "-CAfile", paths["root"], "-untrusted", paths["issuer"],
                   paths["leaf"])
    assert done.returncode == 0 and "leaf.pem: OK" in done.stdout, done.stdout + done.stderr


def _ocsp(leaf_pem: bytes, work: Path) -> str:
    leaf = x509.load_pem_x509_certificate(leaf_pem)
    access = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    urls = {a.access_method: a.access_location.value for a in access}
    done = openssl("ocsp", "-issuer", work / "issuer.pem", "-cert", work / "leaf.pem", "-CAfile", work / "root.pem",
                   "-url", urls[AuthorityInformationAccessOID.OCSP])
    assert "Response verify OK" in done.stderr, done.stderr
    return done.stdout


def _recorded(portal, serial: int) -> IssuedCertificate:
    with portal["database"].session() as db:
        row = db.exec(select(IssuedCertificate).where(IssuedCertificate.serial_hex == format(serial, "x"))).one()
        assert row.structure_id == portal["structure_id"] and row.filing_id is None  # « Mes certificats »
        assert db.exec(select(AcmeOrder).where(AcmeOrder.certificate_id == row.id)).one()
        return row


def _serial(pem: bytes) -> int:
    return x509.load_pem_x509_certificate(pem).serial_number


def _spki(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _certbot(portal, work: Path) -> list[str]:
    return ["certbot", "--non-interactive", "--server", f"{portal['base']}/acme/directory",
            "--config-dir", str(work / "config"), "--work-dir", str(work / "work"), "--logs-dir", str(work / "logs")]


@pytest.mark.parametrize("challenge", ["http-01", "dns-01"])
def test_certbot_obtains_renews_and_revokes(portal, tmp_path, challenge):
    name = f"{'web' if challenge == 'http-01' else 'api'}.certbot.{DOMAIN}"
    key_id, secret = portal["eab"][0 if challenge == "http-01" else 1]
    if challenge == "http-01":
        portal["dns"].zone.a[name] = "127.0.0.1"
        how = ["--standalone", "--http-01-port", str(portal["http_port"]), "--http-01-address", "127.0.0.1"]
    else:
        hook = _hook(tmp_path, f'echo "_acme-challenge.$CERTBOT_DOMAIN $CERTBOT_VALIDATION" >> {portal["hooks"]}')
        how = ["--manual", "--preferred-challenges", "dns", "--manual-auth-hook", str(hook)]
    base = _certbot(portal, tmp_path)
    _run([*base[:1], "certonly", *base[1:], "--agree-tos", "--email", "dsi@editeur.example", f"--eab-kid={key_id}",
          f"--eab-hmac-key={secret}", "--key-type", "ecdsa", "--cert-name", "portail", "-d", name, *how])
    live = tmp_path / "config" / "live" / "portail"
    first = (live / "cert.pem").read_bytes()
    row = _recorded(portal, _serial(first))
    assert row.dns_names == [name] and row.profile == "SERV_SSL"
    _verified_through_aia(first, tmp_path, portal["base"])
    assert "leaf.pem: good" in _ocsp(first, tmp_path)

    _run([*base[:1], "renew", *base[1:], "--force-renewal", "--no-random-sleep-on-renew"])
    renewed = (live / "cert.pem").read_bytes()
    assert _serial(renewed) != _serial(first)
    _recorded(portal, _serial(renewed))
    _verified_through_aia(renewed, tmp_path, portal["base"])
    # issue 29 (2): a renewal that keeps its key (key pinning, DANE/TLSA) is certified again
    _run([*base[:1], "renew", *base[1:], "--force-renewal", "--reuse-key", "--no-random-sleep-on-renew"])
    kept = (live / "cert.pem").read_bytes()
    assert _serial(kept) != _serial(renewed) and _spki(kept) == _spki(renewed)
    _recorded(portal, _serial(kept))
    _verified_through_aia(kept, tmp_path, portal["base"])  # writes leaf.pem for the OCSP question
    renewed = kept

    _run([*base[:1], "revoke", *base[1:], "--cert-name", "portail", "--reason", "superseded",
          "--no-delete-after-revoke"])
    assert "leaf.pem: revoked" in _ocsp(renewed, tmp_path)


@pytest.mark.parametrize("challenge", ["http-01", "dns-01"])
def test_lego_obtains_renews_and_revokes(portal, tmp_path, challenge):
    name = f"{'web' if challenge == 'http-01' else 'api'}.lego.{DOMAIN}"
    key_id, secret = portal["eab"][2 if challenge == "http-01" else 3]
    env = {}
    if challenge == "http-01":
        portal["dns"].zone.a[name] = "127.0.0.1"
        how = ["--http", "--http.port", f"127.0.0.1:{portal['http_port']}"]
    else:
        # lego's exec provider: `hook present <fqdn> <value>`; the propagation check is the portal's to make
        hook = _hook(tmp_path, f'[ "$1" = present ] && echo "$2 $3" >> {portal["hooks"]}; exit 0')
        how = ["--dns", "exec", "--dns.disable-cp"]
        env = {"EXEC_PATH": str(hook), "EXEC_POLLING_INTERVAL": "1", "EXEC_PROPAGATION_TIMEOUT": "10"}
    base = ["lego", "--server", f"{portal['base']}/acme/directory", "--email", "dsi@editeur.example",
            "--accept-tos", "--eab", f"--kid={key_id}", f"--hmac={secret}", "--key-type", "ec256",
            "--path", str(tmp_path / "lego"), "--domains", name, *how]
    _run([*base, "run"], **env)
    first = (tmp_path / "lego" / "certificates" / f"{name}.crt").read_bytes()
    _recorded(portal, _serial(first))
    _verified_through_aia(first, tmp_path, portal["base"])
    assert "leaf.pem: good" in _ocsp(first, tmp_path)

    _run([*base, "renew", "--days", "400", "--no-random-sleep"], **env)  # 400: a 200-day certificate always renews
    renewed = (tmp_path / "lego" / "certificates" / f"{name}.crt").read_bytes()
    assert _serial(renewed) != _serial(first) and _spki(renewed) != _spki(first)
    _recorded(portal, _serial(renewed))
    _run([*base, "renew", "--days", "400", "--no-random-sleep", "--reuse-key"], **env)  # issue 29 (2)
    kept = (tmp_path / "lego" / "certificates" / f"{name}.crt").read_bytes()
    assert _serial(kept) != _serial(renewed) and _spki(kept) == _spki(renewed)
    _recorded(portal, _serial(kept))
    renewed = kept

    _run([*base, "revoke"], **env)
    _verified_through_aia(renewed, tmp_path, portal["base"])  # writes leaf.pem for the OCSP question
    assert "leaf.pem: revoked" in _ocsp(renewed, tmp_path)
