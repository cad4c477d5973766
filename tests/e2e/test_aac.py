"""Compassionate access in a real browser: the prescriber files a conforming request from a 375 px phone with
e-CPS, the PUI pharmacist (desktop) transmits it, the decision is immediate; the prescriber downloads the
sealed decision and opens its verification link."""

from __future__ import annotations

import hashlib
import re
import subprocess

import pytest
from playwright.sync_api import expect

from tests.e2e.test_certificates import ecps_login
from tests.e2e.test_forms import SEALING, browser_page, shot
from tests.e2e.test_login import card_login, no_horizontal_scroll

pytestmark = pytest.mark.e2e


def next_step(page, title: str) -> None:
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator(".fr-stepper__title")).to_contain_text(title)


def patient_and_medicine(phone, *, initials: tuple[str, str], sex: str, born: tuple[str, str], weight: str,
                         product: str = "AAC-0001") -> None:
    """From a new request's first step to its prescription step: the patient, then the product and its first
    indication."""
    phone.locator("#groupe-cadre label", has_text="Traitement d’un patient").click()
    phone.fill("#champ-initiale_nom", initials[0])
    phone.fill("#champ-initiale_prenom", initials[1])
    phone.locator("#groupe-sexe label", has_text=sex).click()
    phone.fill("#champ-mois_naissance", born[0])
    phone.fill("#champ-annee_naissance", born[1])
    phone.fill("#champ-poids", weight)
    next_step(phone, "Médicament")
    phone.select_option("#champ-code", product)
    phone.get_by_role("button", name="Enregistrer et continuer").click()
    expect(phone.get_by_text("choisissez maintenant son indication")).to_be_visible()  # the product's indications
    phone.locator("#groupe-indication label").first.click()
    next_step(phone, "Prescription")


def test_conforming_request_from_a_phone_is_granted_when_the_pharmacist_transmits(chromium, live_portal,
                                                                                  tmp_path):
    phone = browser_page(chromium, "phone")
    ecps_login(phone, live_portal, "Dr KIT DOC0001")
    phone.get_by_role("button", name="Menu").click()
    phone.locator("#menu-modal").get_by_role("link", name="Accès compassionnel").click()
    expect(phone.locator("h1")).to_have_text("Accès compassionnel")  # not the dashboard's button of a like name
    phone.get_by_role("button", name="Nouvelle demande", exact=True).click()
    expect(phone.locator(".fr-stepper__title")).to_contain_text("Patient")
    phone.locator("#groupe-cadre label", has_text="Traitement d’un patient").click()
    phone.fill("#champ-initiale_nom", "Dupont")  # the field takes two letters at most: a name cannot be typed
    expect(phone.locator("#champ-initiale_nom")).to_have_value("Du")
    phone.fill("#champ-initiale_nom", "D")
    phone.fill("#champ-initiale_prenom", "M")
    phone.locator("#groupe-sexe label", has_text="Féminin").click()
    phone.fill("#champ-mois_naissance", "3")
    phone.fill("#champ-annee_naissance", "1958")
    phone.fill("#champ-poids", "640")  # a typo: refused next to the field, the draft kept
    phone.get_by_role("button", name="Enregistrer et continuer").click()
    expect(phone.locator("#champ-poids-erreur")).to_contain_text("entre 0,3 et 350 kg")
    expect(phone.locator("#champ-initiale_nom")).to_have_value("D")
    no_horizontal_scroll(phone)
    shot(phone, "aac-01-patient-error")
    with phone.expect_response(lambda r: r.url.endswith("/champ") and r.request.method == "POST") as checked:
        phone.fill("#champ-poids", "64")  # a loaded machine may see the check start here already
        phone.locator("#champ-poids").press("Tab")  # leaving the field checks it: its error goes
    assert checked.value.status == 200, checked.value.text()[:500]
    expect(phone.locator("#champ-poids-erreur")).to_have_count(0)
    next_step(phone, "Médicament")
    phone.select_option("#champ-code", "AAC-0001")
    phone.get_by_role("button", name="Enregistrer et continuer").click()
    expect(phone.locator("#champ-indication-legende")).to_be_visible()  # the product's indications appear
    phone.locator("#groupe-indication label").first.click()
    next_step(phone, "Prescription")
    phone.fill("#champ-posologie", "50 mg par jour")
    phone.fill("#champ-duree", "90")
    for label in phone.locator("#groupe-criteres label").all():
        label.click()
    phone.locator("#groupe-differable label", has_text="Non").click()
    no_horizontal_scroll(phone)
    shot(phone, "aac-02-criteria")
    next_step(phone, "Engagement")
    phone.fill("#champ-fonction", "Praticien hospitalier")
    phone.locator("label", has_text="PHARMA0003").click()
    phone.locator("label[for='champ-information']").click()
    phone.get_by_role("button", name="Enregistrer et continuer").click()
    expect(phone.get_by_role("button", name="Envoyer à la PUI")).to_be_visible()
    phone.get_by_role("button", name="Envoyer à la PUI").click()
    alert = phone.locator(".fr-alert--success")
    expect(alert).to_contain_text("envoyée à la PUI")
    reference = re.search(r"AAC-\d{4}-\d{6}", alert.inner_text()).group(0)
    shot(phone, "aac-03-sent")
    phone_url = phone.url
    phone.context.close()

    desk = browser_page(chromium, "desktop")
    card_login(desk, live_portal, "KIT PHARMA0003")
    desk.get_by_role("link", name="Accès compassionnel").first.click()
    # the dashboard lists the request too: wait for the list page, or its late answer replaces the request's page
    expect(desk.locator("h1")).to_have_text("Accès compassionnel")
    desk.get_by_role("link", name=reference).click()
    desk.get_by_role("button", name="Transmettre à l’ANSM").click()
    expect(desk.locator(".fr-alert--success")).to_contain_text("délivrée immédiatement", timeout=SEALING)
    shot(desk, "aac-04-granted")
    desk.context.close()

    phone = browser_page(chromium, "phone")
    ecps_login(phone, live_portal, "Dr KIT DOC0001")
    phone.goto(phone_url)
    expect(phone.locator("p").filter(has_text="Octroyée").first).to_be_visible()
    with phone.expect_download() as info:
        phone.get_by_role("link", name="Décision signée (PDF)").click()
    path = tmp_path / "decision.pdf"
    info.value.save_as(path)
    checked = subprocess.run(["pdfsig", path], capture_output=True, text=True, check=False)
    assert "Signature is Valid." in checked.stdout, checked.stdout + checked.stderr
    phone.get_by_role("link", name="Page de vérification").click()
    expect(phone.locator("h1")).to_have_text("Vérification d’une décision")
    expect(phone.get_by_text(hashlib.sha256(path.read_bytes()).hexdigest())).to_be_visible()
    phone.set_input_files("#document-presente", str(path))  # hashed on the phone, nothing uploaded
    expect(phone.locator("#resultat-empreinte")).to_contain_text("Identique")
    forged = tmp_path / "autre.pdf"
    forged.write_bytes(path.read_bytes() + b"\n")
    phone.set_input_files("#document-presente", str(forged))
    expect(phone.locator("#resultat-empreinte")).to_contain_text("Différent")
    no_horizontal_scroll(phone)
    shot(phone, "aac-05-verification")
    phone.context.close()
