"""A tester logs in through the sandbox with e-CPS or the card, on desktop and on a 375 px phone."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


def pick(page, label_text):
    """DSFR radios are drawn by their label, which takes the click."""
    page.locator("label.fr-label", has_text=label_text).first.click()


def open_login(page, live_portal):
    page.goto(live_portal + "/")
    expect(page.locator("h1")).to_contain_text("Portail des professionnels")
    if page.viewport_name == "phone":
        page.get_by_role("button", name="Menu").click()
        link = page.locator("#menu-modal").get_by_role("link", name="Se connecter")
        if link.count() == 0:
            page.get_by_role("button", name="Fermer").click()
            link = page.get_by_role("link", name="Se connecter").first
    else:
        link = page.get_by_role("link", name="Se connecter").first
    link.click()
    expect(page.locator("h1")).to_have_text("Connexion")
    no_horizontal_scroll(page)
    page.get_by_role("link", name="Se connecter avec Pro Santé Connect").click()
    expect(page.locator("h1")).to_have_text("Connexion à Pro Santé Connect")
    no_horizontal_scroll(page)


def test_ecps_login_with_phone_approval(page, live_portal, chromium):
    open_login(page, live_portal)
    pick(page, "Dr KIT DOC0001")
    page.locator("label[for=moyen-mobile]").click()
    page.get_by_role("button", name="Continuer").click()
    expect(page.locator("h1")).to_have_text("Validez sur votre téléphone")
    no_horizontal_scroll(page)
    phone_url = page.locator("#lien-telephone").get_attribute("href")
    phone = page.context.new_page()
    phone.goto(page.url.split("/auth/")[0] + phone_url)
    phone.get_by_role("button", name="Valider la connexion").click()
    expect(phone.get_by_text("Connexion validée")).to_be_visible()
    # The waiting page notices the approval by itself (htmx polling) and lands on the dashboard.
    expect(page.locator("h1")).to_have_text("Bonjour Dr KIT DOC0001", timeout=15000)
    expect(page.get_by_text("Médecin").first).to_be_visible()
    expect(page.get_by_role("link", name="Hôpital Nord Laennec")).to_be_visible()
    expect(page.get_by_text("e-CPS")).to_be_visible()
    no_horizontal_scroll(page)
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def card_login(page, live_portal, name: str) -> None:
    open_login(page, live_portal)
    pick(page, name)
    page.locator("label[for=moyen-carte]").click()
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Code PIN (4 chiffres)").fill("1234")
    no_horizontal_scroll(page)
    page.get_by_role("button", name="Valider").click()
    expect(page.locator("h1")).to_have_text(f"Bonjour {name}")


def test_card_login_then_logout(page, live_portal):
    card_login(page, live_portal, "KIT PHARMA0003")
    expect(page.get_by_text("Pharmacien hospitalier")).to_be_visible()
    if page.viewport_name == "phone":
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Se déconnecter").first.click()
    expect(page.locator("h1")).to_contain_text("Portail des professionnels")
    page.goto(live_portal + "/tableau-de-bord")
    expect(page.locator("h1")).to_have_text("Connexion")


def test_refusals_and_errors_reached_through_htmx_are_shown(page, live_portal):
    """htmx 2 swaps nothing on 4xx/5xx by default: a boosted link to a forbidden page showed nothing."""
    card_login(page, live_portal, "Dr KIT DOC0001")
    page.wait_for_function("() => window.htmx")  # deferred script: the heading may show before it runs
    # A boosted link to a structure this prescriber has no role in (the clinic), as a stale bookmark would be.
    page.evaluate("""() => {
        const link = Object.assign(document.createElement('a'), {id: 'ailleurs', href: '/structures/5',
                                                                textContent: 'Clinique'});
        document.querySelector('#contenu').append(link);
        htmx.process(link.parentElement);
    }""")
    page.locator("#ailleurs").click()
    expect(page.locator("h1")).to_have_text("Accès refusé")
    # An htmx request aimed at a part of the page gets the error in the content area.
    page.goto(live_portal + "/tableau-de-bord")
    page.wait_for_function("() => window.htmx")
    page.evaluate("() => htmx.ajax('GET', '/n-existe-pas', {target: '#contenu'})")
    expect(page.locator("#contenu h1")).to_have_text("Page non trouvée")
