"""The certificate portal in a real browser: a mandataire's F413 is accepted, the new administrator logs in with
e-CPS on a 375 px phone, uploads a CSR, downloads the certificate; openssl verifies it against the downloaded
chain and the live OCSP responder says "good", then "revoked" once it is revoked in the portal."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from playwright.sync_api import expect

from tests.e2e.test_forms import SEALING, browser_page, decide, file_f413, logout, shot
from tests.e2e.test_login import card_login, no_horizontal_scroll, open_login, pick
from tests.pki.conftest import make_csr

pytestmark = pytest.mark.e2e


def ecps_login(page, live_portal, name: str) -> None:
    open_login(page, live_portal)
    pick(page, name)
    page.locator("label[for=moyen-mobile]").click()
    page.get_by_role("button", name="Continuer").click()
    phone_url = page.locator("#lien-telephone").get_attribute("href")
    phone = page.context.new_page()
    phone.goto(page.url.split("/auth/")[0] + phone_url)
    phone.get_by_role("button", name="Valider la connexion").click()
    expect(phone.get_by_text("Connexion validée")).to_be_visible()
    phone.close()
    expect(page.locator("h1")).to_have_text(f"Bonjour {name}", timeout=15000)


def declare_administrator(chromium, live_portal) -> None:
    page = browser_page(chromium, "desktop")
    card_login(page, live_portal, "KIT SECRETAIRE0007")
    reference = file_f413(page, live_portal, family="ORG", admin={
        "civilite": "M", "nom": "DOC0002", "prenom": "KIT", "identifiant": "899700000021",
        "courriel": "doc0002@chu.example", "usage": "Serveur Pro Santé Connect du portail patient",
        "editeur": "Éditeur Santé SA", "solution": "Portail patient"})
    logout(page)
    card_login(page, live_portal, "KIT OPERATEUR0011")
    decide(page, live_portal, reference, "Accepter")
    page.context.close()


def ocsp(paths: dict, leaf: Path, live_portal: str) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "ocsp", "-issuer", paths["intermediate"], "-cert", leaf, "-url",
                           f"{live_portal}/pki/ocsp", "-CAfile", paths["root"], "-verify_other",
                           paths["intermediate"]], capture_output=True, text=True, check=False)


def test_new_administrator_gets_checks_and_revokes_a_certificate_from_a_phone(chromium, live_portal, tmp_path):
    declare_administrator(chromium, live_portal)
    page = browser_page(chromium, "phone")
    ecps_login(page, live_portal, "Dr KIT DOC0002")
    page.get_by_role("button", name="Menu").click()
    page.locator("#menu-modal").get_by_role("link", name="Mes certificats").click()
    expect(page.locator("h1")).to_have_text("Mes certificats")
    page.get_by_role("link", name="Demander un certificat").click()
    page.locator("#groupe-famille label", has_text="ORG").click()
    page.get_by_role("button", name="Continuer").click()
    page.locator("label", has_text="Centre hospitalier universitaire de Loire-Atlantique").click()
    page.get_by_role("button", name="Continuer").click()
    page.locator("#groupe-usage label", has_text="Pro Santé Connect").click()
    page.get_by_role("button", name="Continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text("Détails et CSR")
    no_horizontal_scroll(page)
    page.fill("#champ-service_name", "Portail patient PSC")
    page.fill("#champ-email", "doc0002@chu.example")
    csr, key = make_csr()
    (tmp_path / "service.csr").write_bytes(csr)
    page.set_input_files("#csr_ORG_AUTH_CLI_fichier", str(tmp_path / "service.csr"))
    expect(page.locator("#verification-csr_ORG_AUTH_CLI")).to_contain_text("ECDSA P-256")
    shot(page, "cert-01-request")
    page.get_by_role("button", name="Délivrer le certificat").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("1 certificat délivré", timeout=SEALING)
    no_horizontal_scroll(page)
    page.get_by_role("link", name=re.compile("Portail patient PSC")).click()
    expect(page.locator("h1")).to_have_text("Portail patient PSC")
    shot(page, "cert-02-certificate")
    downloads = {}
    for label, name in (("Certificat seul (PEM)", "leaf.pem"), ("Chaîne complète (PEM)", "chain.pem")):
        with page.expect_download() as info:
            page.get_by_role("link", name=label).click()
        info.value.save_as(tmp_path / name)
        downloads[name] = tmp_path / name
    chain = x509.load_pem_x509_certificates(downloads["chain.pem"].read_bytes())
    paths = {"root": tmp_path / "root.pem", "intermediate": tmp_path / "intermediate.pem"}
    paths["root"].write_bytes(chain[-1].public_bytes(serialization.Encoding.PEM))
    paths["intermediate"].write_bytes(chain[1].public_bytes(serialization.Encoding.PEM))
    verified = subprocess.run(["openssl", "verify", "-CAfile", paths["root"], "-untrusted", paths["intermediate"],
                               downloads["leaf.pem"]], capture_output=True, text=True, check=False)
    assert verified.returncode == 0 and ": OK" in verified.stdout, verified.stdout + verified.stderr
    good = ocsp(paths, downloads["leaf.pem"], live_portal)
    assert "Response verify OK" in good.stderr and ": good" in good.stdout, good.stdout + good.stderr

    page.select_option("#motif", "cessation_of_operation")
    page.locator("label[for='confirmation']").click()
    page.get_by_role("button", name="Révoquer le certificat").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Révoqué")
    no_horizontal_scroll(page)
    shot(page, "cert-03-revoked")
    revoked = ocsp(paths, downloads["leaf.pem"], live_portal)
    assert ": revoked" in revoked.stdout and "cessationOfOperation" in revoked.stdout, revoked.stdout
    page.context.close()

    desk = browser_page(chromium, "desktop")
    ecps_login(desk, live_portal, "Dr KIT DOC0002")
    desk.get_by_role("link", name="Mes certificats").first.click()
    row = desk.locator("tr", has_text="Portail patient PSC")
    expect(row).to_contain_text("Révoqué")
    desk.select_option("#statut", "valide")  # htmx filters on change; the revoked one leaves the list
    expect(desk.locator("tr", has_text="Portail patient PSC")).to_have_count(0)
    shot(desk, "cert-04-list")
    desk.context.close()
