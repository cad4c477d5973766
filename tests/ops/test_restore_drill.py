"""Issue 28 (5): the restore drill. A live portal with a deposited filing and its sealed PDF, an ACME account and
its certificate is backed up (``flask backup``: database and token in one archive), stopped, and restored on a new
instance — a new database, a new token directory — which takes its place: the restored CA signs (certbot renews
with its old account), OCSP answers for the certificate issued before the backup, the old seal still validates
(pyHanko and pdfsig), the audit chain verifies and the invariants hold."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from io import BytesIO

import pytest
from asn1crypto import x509 as a_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlmodel import select

from app.models import Filing, FilingDocument, Habilitation, Person, ServDomain, Structure
from tests.acme.test_clients import _certbot, _ocsp, _run, _serial, _verified_through_aia
from tests.conftest import free_port
from tests.domains.servers import DnsServer
from tests.faults.test_half_done import DIRECTOR, HOLDERS
from tests.live import ROOT, invariants, pki_portal, portal_env, start_portal, start_worker, stop

DOMAIN = "sauvegarde.example"
pytestmark = pytest.mark.skipif(not shutil.which("certbot"), reason="certbot missing: `make test` installs it")


def _flask(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False, env=dict(os.environ, **env))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def _prepare(db, hsm, base, work) -> dict:
    from app.operations import casefiles, eab
    from app.operations.forms import workflow

    serv = db.exec(select(Habilitation).where(Habilitation.certificate_family == "SERV",
                                              Habilitation.role == "technical_admin")).first()
    db.add(ServDomain(structure_id=serv.structure_id, name=DOMAIN, source="test"))
    credential, secret = eab.create(db, hsm, db.get(Person, serv.person_id), name="serveur web",
                                    structure_ids=[serv.structure_id], days=30)
    director = db.exec(select(Person).where(Person.national_id == DIRECTOR)).one()
    chu = db.exec(select(Structure).where(Structure.finess == "440000016")).one()
    filing = casefiles.open_draft(db, form="F301", structure_id=chu.id, filer_id=director.id, actor=DIRECTOR)
    for part, data in {"titulaires": HOLDERS, "contact": {"courriel": "direction@chu.example"},
                       "livraison": {"destinataire": "Accueil", "adresse": "1 rue de la Santé", "code_postal": "44000",
                                     "ville": "Nantes"}}.items():
        casefiles.save_part(db, filing, part, data)
    casefiles.deposit(db, filing, workflow(hsm), actor=DIRECTOR, auth_method="cps-tls",
                      idempotency_key=filing.idempotency_key)
    return {"eab": (credential.key_id, secret), "filing_id": filing.id}


def test_a_backup_restores_on_a_new_instance_that_signs_answers_and_renews(tmp_path_factory, fresh_database,
                                                                           app_config, tmp_path):
    dns = DnsServer(tmp_path / "hooks.txt")
    http_port = free_port()
    name = f"www.{DOMAIN}"
    dns.zone.a[name] = "127.0.0.1"
    network = {"DNS_RESOLVER": "127.0.0.1", "DNS_PORT": str(dns.port), "HTTP01_PORT": str(http_port),
               "DOMAIN_CHECK_NETWORKS": "127.0.0.0/8"}
    archive = tmp_path / "portail.tar"
    try:
        with pki_portal(tmp_path_factory, fresh_database, app_config, "drill", _prepare, **network) as old:
            key_id, secret = old["eab"]
            certbot = _certbot(old, tmp_path)
            _run([*certbot[:1], "certonly", *certbot[1:], "--agree-tos", "--email", "dsi@chu.example",
                  f"--eab-kid={key_id}", f"--eab-hmac-key={secret}", "--key-type", "ecdsa", "--cert-name", "portail",
                  "-d", name, "--standalone", "--http-01-port", str(http_port), "--http-01-address", "127.0.0.1"])
            first = (tmp_path / "config" / "live" / "portail" / "cert.pem").read_bytes()
            env = portal_env(app_config, database_url=str(old["database"].engine.url.render_as_string(False)),
                             instance=old["work"] / "instance", base_url=old["base"], **network)
            said = _flask(env, "backup", str(archive))
            assert "1 dossier," in said and "copiées avec le jeton SoftHSM" in said  # the F301 (ACME makes none)
            base, filing_id = old["base"], old["filing_id"]
        assert archive.stat().st_mode & 0o077 == 0  # it holds the token: readable by its owner only

        # a new machine: an empty database, no token; the same PIN and token label
        instance = tmp_path / "restored"
        url = fresh_database("drill_restored")
        conf = instance / "hsm" / "softhsm2.conf"
        env = portal_env(app_config, database_url=url, instance=instance, base_url=base, SOFTHSM2_CONF=str(conf),
                         **network)
        said = _flask(env, "restore", str(archive))
        assert "chaîne d'audit intacte, 0 incohérence(s)" in said, said
        assert conf.exists() and any((instance / "hsm" / "tokens").iterdir())
        port = int(base.rsplit(":", 1)[1])
        portal = start_portal(env, port)  # in the old one's place: certbot's account names this address
        worker = start_worker(env)
        try:
            _run([*certbot[:1], "renew", *certbot[1:], "--force-renewal", "--no-random-sleep-on-renew"])
            renewed = (tmp_path / "config" / "live" / "portail" / "cert.pem").read_bytes()
            assert _serial(renewed) != _serial(first)
            _verified_through_aia(renewed, tmp_path, base)  # the restored CA's key signed it
            _verified_through_aia(first, tmp_path, base)
            assert "leaf.pem: good" in _ocsp(first, tmp_path)  # the restored responder answers for the old one
        finally:
            stop(portal, worker)
    finally:
        dns.stop()

    from app.db import Database
    from app.operations.audit import verify_chain
    from app.operations.pki import authority

    restored = Database(url)
    with restored.session() as db:
        assert verify_chain(db) is None
        document = db.exec(select(FilingDocument).where(FilingDocument.filing_id == filing_id)).one()
        assert db.get(Filing, filing_id).reference
        root = a_x509.Certificate.load(authority(db, "root").certificate_der)
    restored.engine.dispose()
    seal = validate_pdf_signature(PdfFileReader(BytesIO(document.pdf)).embedded_signatures[0],
                                  ValidationContext(trust_roots=[root], allow_fetching=False))
    assert seal.intact and seal.valid and seal.trusted, seal.pretty_print_details()
    (tmp_path / "depot.pdf").write_bytes(document.pdf)
    checked = subprocess.run(["pdfsig", str(tmp_path / "depot.pdf")], capture_output=True, text=True, check=False)
    assert "Signature is Valid." in checked.stdout, checked.stdout
    assert invariants(url) == []
