"""Issue 31 (2, 3) in a real browser: the agent takes a file, asks a question without moving it, the mandataire
answers from a 375 px phone with a document, and the queue shows the unread answer."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import violations
from tests.e2e.test_forms import SEALING, browser_page, file_f413, logout, shot
from tests.e2e.test_login import card_login, no_horizontal_scroll

pytestmark = pytest.mark.e2e
ADMIN = {"civilite": "M", "nom": "SECRETAIRE0007", "prenom": "KIT", "identifiant": "3440000016/ADM0007",
         "courriel": "secretaire@chu-nantes.example", "usage": "DMP", "editeur": "Éditeur Santé SA",
         "solution": "DPI"}  # the mandataire herself: a person with an active card


def test_a_question_and_its_answer_with_a_document(chromium, live_portal, tmp_path):
    phone = browser_page(chromium, "phone")
    card_login(phone, live_portal, "KIT SECRETAIRE0007")
    reference = file_f413(phone, live_portal, family="ORG", admin=ADMIN)
    logout(phone)

    desk = browser_page(chromium, "desktop")
    card_login(desk, live_portal, "KIT OPERATEUR0011")
    desk.goto(live_portal + "/instruction/")
    desk.get_by_role("link", name=reference).click()
    desk.get_by_label("Attribuer le dossier à").select_option(label=desk.locator(
        "#agent option", has_text="(moi)").inner_text())
    desk.get_by_role("button", name="Attribuer", exact=True).click()
    expect(desk.locator(".fr-alert--success")).to_contain_text("Dossier attribué")
    desk.get_by_label("Écrire au déclarant").fill("Le contact informatique est-il joignable le samedi ?")
    desk.get_by_role("button", name="Envoyer au déclarant").click()
    expect(desk.locator("#echanges")).to_contain_text("joignable le samedi")
    expect(desk.locator("p", has_text="Déposé").first).to_be_visible()  # still deposited: a question moves nothing
    shot(desk, "echanges-01-agent")
    logout(desk)

    card_login(phone, live_portal, "KIT SECRETAIRE0007")
    phone.goto(live_portal + "/demarches/")
    phone.get_by_role("link", name=reference).first.click()
    expect(phone.locator("#echanges")).to_contain_text("Message de l’agence")
    proof = tmp_path / "astreinte.pdf"
    proof.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF")
    phone.get_by_label("Écrire à l’agence").fill("Oui, par l’astreinte : voici le planning.")
    phone.set_input_files("#piece", str(proof))
    phone.get_by_role("button", name="Envoyer le message").click()
    expect(phone.locator(".fr-alert--success")).to_contain_text("Message envoyé", timeout=SEALING)
    expect(phone.locator("#echanges")).to_contain_text("astreinte.pdf")
    no_horizontal_scroll(phone)
    shot(phone, "echanges-02-declarant")
    phone.context.close()

    card_login(desk, live_portal, "KIT OPERATEUR0011")
    desk.goto(live_portal + "/instruction/?agent=moi")
    row = desk.locator("tr", has_text=reference)
    expect(row).to_contain_text("1\u00a0message non lu")
    shot(desk, "echanges-03-file")
    desk.get_by_role("link", name=reference).click()
    expect(desk.locator("#echanges")).to_contain_text("voici le planning")
    agent_url = desk.url
    desk.goto(live_portal + "/instruction/?agent=moi")
    expect(desk.locator("tr", has_text=reference)).not_to_contain_text("non lu")
    desk.context.close()

    found = {}  # axe on the thread's pages, both sides, both sizes (the e2e axe test's own pages hold no thread)
    for who, url in (("KIT OPERATEUR0011", agent_url), ("KIT SECRETAIRE0007", agent_url.replace("/instruction/",
                                                                                                 "/demarches/"))):
        for size in ({"width": 1280, "height": 900}, {"width": 375, "height": 812}):
            context = chromium.new_context(viewport=size, locale="fr-FR", bypass_csp=True)  # to inject axe only
            page = context.new_page()
            page.viewport_name = "desktop" if size["width"] > 375 else "phone"
            card_login(page, live_portal, who)
            page.goto(url)
            if problems := violations(page):
                found[(who, size["width"])] = problems
            context.close()
    assert not found, found
