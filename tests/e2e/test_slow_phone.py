"""Issue 31 (5): on a phone whose network answers late, the granting criteria ticked one after the other all stay
ticked: an answer about an older state of the group never redraws it over what the prescriber did since. Then the
network goes: autosave says it failed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_aac import patient_and_medicine
from tests.e2e.test_certificates import ecps_login
from tests.e2e.test_forms import browser_page

pytestmark = pytest.mark.e2e


def test_criteria_ticked_under_latency_all_stay_ticked(chromium, live_portal):
    phone = browser_page(chromium, "phone")
    ecps_login(phone, live_portal, "Dr KIT DOC0001")
    phone.goto(live_portal + "/acces-compassionnel/")
    phone.get_by_role("button", name="Nouvelle demande", exact=True).click()
    patient_and_medicine(phone, initials=("B", "R"), sex="Masculin", born=("6", "1970"), weight="80")
    boxes = phone.locator("#groupe-criteres input[type=checkbox]")
    assert boxes.count() == 3

    network = phone.context.new_cdp_session(phone)
    network.send("Network.enable")
    network.send("Network.emulateNetworkConditions", {"offline": False, "latency": 1500,
                                                      "downloadThroughput": -1, "uploadThroughput": -1})
    for label in phone.locator("#groupe-criteres label").all():  # three ticks while the first save is on its way
        label.click()
    phone.wait_for_load_state("networkidle")
    phone.wait_for_timeout(4000)  # every answer in, the late ones included
    for i in range(3):
        expect(boxes.nth(i)).to_be_checked()
    network.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
                                                      "downloadThroughput": -1, "uploadThroughput": -1})
    phone.reload()  # what the draft holds: the three criteria
    for i in range(3):
        expect(phone.locator("#groupe-criteres input[type=checkbox]").nth(i)).to_be_checked()
    # Autosave says when it saved, and says plainly when it could not (issue 31, minor).
    phone.fill("#champ-posologie", "50 mg par jour")
    phone.locator("#champ-posologie").press("Tab")
    expect(phone.locator("#enregistrement")).to_contain_text("Brouillon enregistré à")
    network.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                      "downloadThroughput": -1, "uploadThroughput": -1})
    phone.fill("#champ-posologie", "75 mg par jour")
    phone.locator("#champ-posologie").press("Tab")
    expect(phone.locator("#enregistrement")).to_contain_text("Échec de l’enregistrement automatique")
    expect(phone.locator("#champ-posologie")).to_have_value("75 mg par jour")
    phone.context.close()
