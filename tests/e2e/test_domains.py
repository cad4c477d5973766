"""Issue 20: a technical administrator proves a domain from a phone — asks, reads the TXT record to publish, is
told in French that it is missing, publishes it, checks again."""

from __future__ import annotations

import shlex
import shutil
import subprocess

import pytest
from playwright.sync_api import expect

from tests.conftest import free_port
from tests.e2e.test_forms import browser_page, shot
from tests.e2e.test_login import card_login, no_horizontal_scroll

pytestmark = pytest.mark.e2e


def test_an_administrator_proves_a_domain_from_a_phone(chromium, live_portal, e2e_dns):
    phone = browser_page(chromium, "phone")
    card_login(phone, live_portal, "KIT ADMINTECH0009")
    phone.goto(f"{live_portal}/certificats/")
    phone.get_by_role("link", name="Mes domaines").click()
    expect(phone.locator("h1")).to_have_text("Mes domaines")
    phone.get_by_role("textbox", name="Domaine").fill("essai.esl-sante.example")
    phone.locator("label", has_text="Enregistrement DNS TXT").click()
    phone.get_by_role("button", name="Obtenir la valeur à publier").click()
    card = phone.locator("section", has_text="essai.esl-sante.example")
    expect(card).to_contain_text("_acme-challenge.essai.esl-sante.example")
    value = card.locator("[id^=valeur-]").inner_text().strip()
    no_horizontal_scroll(phone)
    shot(phone, "domaines-01-valeur")
    card.get_by_role("button", name="Vérifier").click()
    card = phone.locator("section", has_text="essai.esl-sante.example")
    expect(card).to_contain_text("Vérification en cours")  # issue 29 (1): the worker looks, the card polls
    shot(phone, "domaines-02-en-cours")
    expect(card.locator(".fr-message--error")).to_contain_text("Aucun enregistrement TXT", timeout=20000)
    shot(phone, "domaines-03-absent")
    e2e_dns.zone.txt["_acme-challenge.essai.esl-sante.example"] = [value]
    card.get_by_role("button", name="Vérifier à nouveau").click()
    expect(phone.locator("section", has_text="essai.esl-sante.example")).to_contain_text("Vérifié jusqu’au",
                                                                                        timeout=20000)
    no_horizontal_scroll(phone)
    shot(phone, "domaines-04-verifie")
    phone.context.close()


def test_an_administrator_makes_and_revokes_acme_credentials(chromium, live_portal):
    desk = browser_page(chromium, "desktop")
    card_login(desk, live_portal, "KIT ADMINTECH0009")
    desk.goto(f"{live_portal}/certificats/")
    desk.get_by_role("link", name="Comptes ACME").click()
    expect(desk.locator("h1")).to_have_text("Comptes ACME")
    desk.get_by_label("Nom (le serveur ou le client qui l’utilisera)").fill("certbot du portail patient")
    desk.get_by_role("button", name="Créer le compte").click()
    expect(desk.locator(".fr-alert--success")).to_contain_text("ne sera plus jamais affichée")
    key = desk.locator("#eab-cle").inner_text().strip()
    assert len(key) == 43
    shot(desk, "acme-01-cree")
    desk.goto(f"{live_portal}/certificats/acme")
    expect(desk.locator("body")).not_to_contain_text(key)  # shown once
    desk.get_by_role("button", name="Révoquer « certbot du portail patient »").click()
    expect(desk.locator(".fr-alert--success")).to_contain_text("révoqué")
    expect(desk.locator("table")).to_contain_text("Révoqué")
    shot(desk, "acme-02-revoque")
    desk.context.close()


@pytest.mark.skipif(not shutil.which("certbot"), reason="certbot missing: `make test` installs it (apt-get install "
                                                        "certbot)")
def test_from_the_phone_to_certbot_and_back(chromium, live_portal, tmp_path):
    """The administrator makes credentials on her phone, pastes the command shown into a server's shell, and finds
    the certificate certbot obtained in « Mes certificats »."""
    phone = browser_page(chromium, "phone")
    card_login(phone, live_portal, "KIT ADMINTECH0009")
    phone.goto(f"{live_portal}/certificats/acme")
    phone.get_by_label("Nom (le serveur ou le client qui l’utilisera)").fill("certbot du site vitrine")
    phone.get_by_role("button", name="Créer le compte").click()
    command = phone.locator("#eab-commande").inner_text().strip()
    assert command.startswith("certbot certonly --standalone --non-interactive --agree-tos -m ")  # no prompt (31)
    assert f"--server {live_portal}/acme/directory --eab-kid=" in command
    no_horizontal_scroll(phone)
    shot(phone, "acme-03-commande")
    name = "vitrine.esl-sante.example"  # the seed's domain, proven when loaded: no challenge to answer
    args = shlex.split(command.replace("serveur.esl-sante.example", name))
    done = subprocess.run([*args, "--http-01-port", str(free_port()), "--config-dir", str(tmp_path / "c"),
                           "--work-dir", str(tmp_path / "w"), "--logs-dir", str(tmp_path / "l")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    phone.goto(f"{live_portal}/certificats/acme")
    expect(phone.locator("table")).to_contain_text("Compte lié")
    phone.goto(f"{live_portal}/certificats/?q=vitrine")
    expect(phone.locator("main")).to_contain_text(name)
    no_horizontal_scroll(phone)
    shot(phone, "acme-04-certificat")
    phone.context.close()
