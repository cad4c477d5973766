"""An ACME account bound to EAB credentials of the hospital's SERV administrator, the DNS and web servers its
challenges are checked on, and a second declared domain the hospital has not proven yet."""

from __future__ import annotations

import pytest

from app.models import ServDomain
from app.operations import eab
from tests.acme.client import Acme
from tests.certificates.conftest import make_certificate, pki_world  # noqa: F401
from tests.domains.servers import DnsServer, WebServer


@pytest.fixture()
def network(app, monkeypatch):
    dns_server, web = DnsServer(), WebServer()
    settings = app.config["SETTINGS"]
    monkeypatch.setattr(settings, "dns_resolver", "127.0.0.1")
    monkeypatch.setattr(settings, "dns_port", dns_server.port)
    monkeypatch.setattr(settings, "http01_port", web.port)
    monkeypatch.setattr(settings, "domain_check_networks", "127.0.0.0/8")
    yield dns_server, web
    dns_server.stop()
    web.stop()


@pytest.fixture()
def credentials(db, hsm, pki_world):  # noqa: F811
    db.add(ServDomain(structure_id=pki_world["hospital"].id, name="dpi.example", source="test"))
    db.flush()

    def make(name: str = "certbot"):
        credential, secret = eab.create(db, hsm, pki_world["admin"], name=name,
                                        structure_ids=[pki_world["hospital"].id], days=30)
        return credential.key_id, secret

    return make


@pytest.fixture()
def acme(client, credentials):
    account = Acme(client)
    assert account.register(*credentials()).status_code == 201
    return account
