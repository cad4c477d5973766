"""Issue 20: a structure proves it controls a domain by dns-01 or http-01, checked over the network against a real
DNS server and a real web server; refusals in French say what was found; the proof lasts the reuse period of the
SC-081 schedule in force on the day it was made."""

from __future__ import annotations

import ipaddress
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.domain.domain_control import DomainError, expected_value, parse_domain, policy_on
from app.models import AuditEvent
from app.operations import domain_control
from tests.certificates.conftest import as_admin, pki_world  # noqa: F401 - a hospital, its SERV administrator
from tests.domains.servers import DnsServer, WebServer


@pytest.fixture()
def network():
    dns_server, web = DnsServer(), WebServer()
    yield dns_server, web, domain_control.Checker(resolver="127.0.0.1", dns_port=dns_server.port,
                                                  http_port=web.port, timeout=2,
                                                  networks=(ipaddress.ip_network("127.0.0.0/8"),))
    dns_server.stop()
    web.stop()


@pytest.fixture()
def chu(db, make_structure):
    from app.operations import domains

    structure = make_structure(kind="EJ", name="CHU d’essai", public=True)
    domains.declare(db, structure_id=structure.id, text="chu-essai.example", source="F413", actor="agence")
    return structure


def test_dns_01_refuses_a_missing_or_wrong_record_then_records_the_proof(db, chu, network):
    dns_server, _, checker = network
    control = domain_control.ask(db, chu, text="CHU-Essai.example.", method="dns-01", actor="admin")
    assert control.name == "chu-essai.example" and control.validated_at is None
    with pytest.raises(DomainError, match="Aucun enregistrement TXT à _acme-challenge.chu-essai.example"):
        domain_control.check(db, control, checker, actor="admin")
    dns_server.zone.txt["_acme-challenge.chu-essai.example"] = ["autre-valeur"]
    with pytest.raises(DomainError, match="ne contient pas la valeur attendue .trouvé : « autre-valeur »"):
        domain_control.check(db, control, checker, actor="admin")
    assert domain_control.proven(db, chu) == []
    dns_server.zone.txt["_acme-challenge.chu-essai.example"] = ["autre-valeur", expected_value(control.token)]
    domain_control.check(db, control, checker, actor="admin")
    assert control.validated_at is not None and control.validated_by == "admin"
    assert domain_control.proven(db, chu) == ["chu-essai.example"]
    assert domain_control.covers(db, chu, "dpi.chu-essai.example")
    assert not domain_control.covers(db, chu, "chu-essai.example.attaquant.example")
    db.commit()
    actions = [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.object_type == "structure",
                                                                   AuditEvent.object_id == str(chu.id))
                                          .order_by(AuditEvent.id))]
    assert actions == ["structure.serv_domains_declared", "domain.challenge_asked", "domain.proven"]


def test_http_01_reads_the_file_on_the_domains_web_server(db, chu, network):
    dns_server, web, checker = network
    dns_server.zone.a["www.chu-essai.example"] = "127.0.0.1"  # the domain's web server, found through the DNS
    control = domain_control.ask(db, chu, text="www.chu-essai.example", method="http-01", actor="admin")
    with pytest.raises(DomainError, match="Aucun fichier à http://www.chu-essai.example/.well-known/acme-challenge/"):
        domain_control.check(db, control, checker, actor="admin")
    web.files[f"/.well-known/acme-challenge/{control.token}"] = "faux"
    with pytest.raises(DomainError, match="ne contient pas la valeur attendue"):
        domain_control.check(db, control, checker, actor="admin")
    web.files[f"/.well-known/acme-challenge/{control.token}"] = expected_value(control.token) + "\n"
    domain_control.check(db, control, checker, actor="admin")
    assert domain_control.proven(db, chu) == ["www.chu-essai.example"]
    # issue 27 (5): a web server answering for one name proves that name only, not the names under it
    assert domain_control.covers(db, chu, "www.chu-essai.example")
    assert not domain_control.covers(db, chu, "dpi.intranet.www.chu-essai.example")


def test_a_proof_lasts_the_reuse_period_of_the_schedule_in_force(db, chu, network):
    dns_server, _, checker = network
    control = domain_control.ask(db, chu, text="chu-essai.example", method="dns-01", actor="admin")
    dns_server.zone.txt["_acme-challenge.chu-essai.example"] = [expected_value(control.token)]
    made = datetime(2027, 4, 1, 10, tzinfo=UTC)  # 100 days from 15 March 2027
    domain_control.check(db, control, checker, actor="admin", now=made)
    assert domain_control.proven(db, chu, now=made + timedelta(days=99)) == ["chu-essai.example"]
    assert domain_control.proven(db, chu, now=made + timedelta(days=101)) == []


def test_the_sc081_schedule_and_the_names_that_can_be_proven():
    assert [policy_on(date(y, m, d)).max_validity_days for y, m, d in
            ((2026, 3, 14), (2026, 3, 15), (2027, 3, 15), (2029, 3, 15))] == [398, 200, 100, 47]
    assert policy_on(date(2030, 1, 1)).proof_reuse_days == 10
    for bad, message in (("*.chu.example", "sans « \\*. »"), ("a.example b.example", "un seul nom"),
                         ("pas un nom!", "Nom DNS invalide")):
        with pytest.raises(DomainError, match=message):
            parse_domain(bad)


def test_serv_ssl_names_need_a_proof_in_force_and_live_the_policys_validity(db, pki_world, as_admin):  # noqa: F811
    """The agency's acceptance of a declared domain is not a proof of control: the name must also lie in a domain
    proven within the reuse period; an expired proof is named; the certificate lives what the schedule allows."""
    from datetime import timedelta

    from cryptography import x509

    from app.models import DomainControl
    from app.models.base import utcnow
    from tests.certificates.conftest import pem_csr

    browser = as_admin(pki_world["admin"])
    proof = db.exec(select(DomainControl).where(DomainControl.name == "chu.example")).one()
    proof.validated_at = utcnow() - timedelta(days=400)  # made under an earlier step, long expired
    db.add(proof)
    db.flush()
    form = {"famille": "SERV", "structure": str(pki_world["hospital"].id), "usage": "AUTRE",
            "email": "theo@chu.example", "dns_names": "portail.chu.example", "csr_SERV_SSL": pem_csr()}
    refused = browser.post("/certificats/demande", form)
    assert refused.status_code == 422
    assert "La preuve de contrôle du domaine chu.example a expiré le" in refused.get_data(as_text=True)
    proof.validated_at = utcnow()
    db.add(proof)
    db.flush()
    assert browser.post("/certificats/demande", form | {"csr_SERV_SSL": pem_csr()}).status_code == 303
    from app.models import IssuedCertificate

    cert = x509.load_der_x509_certificate(db.exec(select(IssuedCertificate.der).where(
        IssuedCertificate.profile == "SERV_SSL")).one())
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == policy_on(utcnow().date()).max_validity_days


def test_only_names_in_the_structures_declared_domains_are_checked(db, chu):
    """Issue 27 (4, 7): « Mes domaines » prepares no proof for a name the structure never declared (an intranet
    name of somebody else's), nor for a public suffix."""
    with pytest.raises(DomainError, match="suffixe public"):
        domain_control.ask(db, chu, text="gouv.fr", method="dns-01", actor="admin")
    for text in ("intranet.autre-chu.example", "chu-essai.example.attaquant.example"):
        with pytest.raises(DomainError, match="n’est dans aucun domaine déclaré par la structure"):
            domain_control.ask(db, chu, text=text, method="http-01", actor="admin")
    assert domain_control.ask(db, chu, text="dpi.chu-essai.example", method="http-01", actor="admin").id


def test_a_proof_ends_when_a_shorter_reuse_period_starts_that_excludes_it():
    """Issue 31: the reuse period is the one in force at issuance (SC-081), so « Mes domaines » and the issuance
    check no longer promise 200 days to a proof that the 100-day period of 15 March 2027 cuts short."""
    from datetime import UTC, datetime

    from app.domain.domain_control import proof_valid_until

    def at(day: str) -> datetime:
        return datetime.fromisoformat(f"{day}T10:00:00").replace(tzinfo=UTC)

    assert proof_valid_until(at("2026-06-01")) == at("2026-12-18")  # 200 days, all before the change
    assert proof_valid_until(at("2026-10-01")) == datetime(2027, 3, 15, tzinfo=UTC)  # cut by the change
    assert proof_valid_until(at("2026-12-07")) == at("2027-03-17")  # still within 100 days after it
    assert proof_valid_until(at("2027-03-20")) == at("2027-06-28")  # made under 100 days
