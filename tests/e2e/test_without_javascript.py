"""Issue 18: a phone without JavaScript logs in, moves around, files and logs out (the DSFR menu button needs a
script: the header's links and the menu show in the page instead)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_forms import browser_page, shot
from tests.e2e.test_login import no_horizontal_scroll, pick

pytestmark = pytest.mark.e2e


def test_a_phone_without_javascript_logs_in_navigates_and_logs_out(chromium, live_portal):
    phone = browser_page(chromium, "phone", javascript=False)
    phone.goto(live_portal + "/")
    expect(phone.get_by_role("button", name="Menu")).to_be_hidden()
    shot(phone, "nojs-01-home")
    phone.locator("#contenu").get_by_role("link", name="Se connecter").click()
    expect(phone.locator("h1")).to_have_text("Connexion")
    no_horizontal_scroll(phone)
    phone.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    pick(phone, "KIT PHARMA0003")
    phone.locator("label[for=moyen-carte]").click()
    phone.get_by_role("button", name="Continuer").click()
    phone.get_by_label("Code PIN (4 chiffres)").fill("1234")
    phone.get_by_role("button", name="Valider").click()
    expect(phone.locator("h1")).to_have_text("Bonjour KIT PHARMA0003")
    no_horizontal_scroll(phone)
    assert phone.locator(".fr-header__brand").bounding_box()["width"] > 300  # not squeezed beside the links (31)
    shot(phone, "nojs-02-dashboard")
    phone.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Accès compassionnel").click()
    expect(phone.locator("h1")).to_contain_text("Accès compassionnel")
    phone.get_by_role("button", name="Se déconnecter").click()
    expect(phone.locator("h1")).to_contain_text("Portail des professionnels")
    expect(phone.locator("#contenu").get_by_role("link", name="Se connecter")).to_be_visible()
    phone.context.close()
