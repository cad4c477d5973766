"""Issue 32 in a real browser, at 375 px and at desktop size: a conforming request granted, its initiation form
(a typo refused next to the field), a follow-up reminded by e-mail then filled, a serious adverse effect seen by the
region's CRPV and the evaluator, the laboratory's export and report, the evaluator's validation, the summary on the
product's public page and in the prescriber's mail; a CPC patient registered and followed; both statistics pages,
with and without JavaScript, axe-clean."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.e2e.test_aac import patient_and_medicine
from tests.e2e.test_aac_complements import card_login_without_javascript
from tests.e2e.test_accessibility import AXE, violations
from tests.e2e.test_certificates import ecps_login
from tests.e2e.test_forms import SEALING, browser_page, logout, shot
from tests.e2e.test_login import card_login, no_horizontal_scroll

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def flask(live_env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ, **live_env), timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def days_pass(live_env: dict, reference: str, due: date) -> None:
    """The calendar moves on: the file's next form falls due (what three months would do)."""
    engine = sa.create_engine(live_env["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE filing SET follow_up_due = :due WHERE reference = :reference"),
                     {"due": due, "reference": reference})
    engine.dispose()


def granted_request(chromium, live_portal, viewport: str) -> str:
    page = browser_page(chromium, viewport)
    ecps_login(page, live_portal, "Dr KIT DOC0001")
    page.goto(live_portal + "/acces-compassionnel/")
    page.get_by_role("button", name="Nouvelle demande", exact=True).click()
    patient_and_medicine(page, initials=("R", "T"), sex="Masculin", born=("6", "1961"), weight="70")
    page.fill("#champ-posologie", "50 mg par jour")
    page.fill("#champ-duree", "90")
    for label in page.locator("#groupe-criteres label").all():
        label.click()
    page.locator("#groupe-differable label", has_text="Oui").click()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.fill("#champ-fonction", "Neurologue")
    page.locator("label", has_text="PHARMA0003").click()
    page.locator("label[for='champ-information']").click()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_role("button", name="Envoyer à la PUI").click()
    reference = re.search(r"AAC-\d{4}-\d{6}", page.locator(".fr-alert--success").inner_text()).group(0)
    page.context.close()
    desk = browser_page(chromium, "desktop")
    card_login(desk, live_portal, "KIT PHARMA0003")
    desk.goto(live_portal + "/acces-compassionnel/?etat=a_valider_pui")
    desk.get_by_role("link", name=reference).click()
    desk.get_by_role("button", name="Transmettre à l’ANSM").click()
    expect(desk.locator(".fr-alert--success")).to_contain_text("délivrée immédiatement", timeout=SEALING)
    desk.context.close()
    return reference


def open_file(page, live_portal, reference: str) -> None:
    page.goto(live_portal + "/acces-compassionnel/?vue=moi")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name=re.compile("Suivi du patient")).click()
    expect(page.locator("h1")).to_have_text(f"Suivi du patient {reference}")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_after_the_decision_end_to_end(chromium, live_portal, live_env, viewport, tmp_path):
    reference = granted_request(chromium, live_portal, viewport)
    today = date.today()

    page = browser_page(chromium, viewport)
    ecps_login(page, live_portal, "Dr KIT DOC0001")
    open_file(page, live_portal, reference)
    expect(page.locator(".fr-alert")).to_contain_text("Prochaine fiche attendue le")
    shot(page, "suivi-01-dossier")
    page.get_by_role("button", name="Fiche d’initiation").click()
    page.fill("#champ-date_debut", today.isoformat())
    page.fill("#champ-poids", "700")
    page.fill("#champ-posologie", "50 mg le matin")
    page.get_by_role("button", name="Transmettre la fiche").click()
    expect(page.locator("#champ-poids-erreur")).to_contain_text("entre 0,3 et 350 kg")
    expect(page.locator("#champ-posologie")).to_have_value("50 mg le matin")  # the draft kept
    no_horizontal_scroll(page)
    shot(page, "suivi-02-initiation-erreur")
    page.fill("#champ-poids", "70")
    page.get_by_role("button", name="Transmettre la fiche").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Fiche d’initiation du traitement transmise")

    days_pass(live_env, reference, today + timedelta(days=2))
    assert "rappels de suivi" in flask(live_env, "jobs", "run", "follow-up-reminders")
    page.goto(live_portal + "/boite-de-reception")
    expect(page.locator("body")).to_contain_text(f"Suivi à remplir\u00a0: {reference}")
    open_file(page, live_portal, reference)
    page.get_by_role("button", name="Fiche de suivi").click()
    page.fill("#champ-date_visite", today.isoformat())
    page.fill("#champ-poids", "69")
    page.locator("#groupe-efficacite label", has_text="Amélioration").click()
    page.locator("#groupe-tolerance label", has_text="Effet indésirable").click()
    page.locator("#groupe-poursuite label", has_text="Oui").click()
    no_horizontal_scroll(page)
    shot(page, "suivi-03-fiche-de-suivi")
    page.get_by_role("button", name="Transmettre la fiche").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Fiche de suivi transmise")
    page.get_by_role("button", name="Déclarer un effet indésirable").click()
    page.fill("#champ-date_survenue", today.isoformat())
    page.fill("#champ-description", "Hépatite cytolytique, ASAT à 8 fois la normale")
    page.locator("#groupe-gravite label", has_text="Grave").first.click()
    page.locator("#groupe-criteres_gravite label", has_text="Hospitalisation").click()
    page.locator("#groupe-evolution label", has_text="En cours de guérison").click()
    page.get_by_role("button", name="Transmettre la fiche").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Déclaration d’effet indésirable transmise",
                                                               timeout=SEALING)
    with page.expect_download() as info:
        page.get_by_role("link", name="accusé scellé (PDF)").first.click()
    receipt = tmp_path / "accuse.pdf"
    info.value.save_as(receipt)
    checked = subprocess.run(["pdfsig", receipt], capture_output=True, text=True, check=False)
    assert "Signature is Valid." in checked.stdout, checked.stdout + checked.stderr
    shot(page, "suivi-04-dossier-complet")
    page.context.close()

    page = browser_page(chromium, viewport)
    for who in ("Dr KIT CRPV0013", "Dr KIT EVALUATEUR0010"):
        card_login(page, live_portal, who)
        if who == "Dr KIT EVALUATEUR0010":
            expect(page.locator(".fr-alert--error")).to_contain_text("Effets indésirables graves")
        page.goto(live_portal + "/vigilance/")
        row = page.locator("tr", has_text="Grave").first
        expect(row).to_be_visible()
        no_horizontal_scroll(page)
        shot(page, f"suivi-05-vigilance-{who[7:].lower()}")
        logout(page)

    card_login(page, live_portal, "KIT LABO0012")
    page.goto(live_portal + "/laboratoire/")
    with page.expect_download() as info:
        page.locator("section", has=page.locator("#produit-AAC-0001")).get_by_role(
            "link", name="Exporter les données de suivi (CSV)").click()
    exported = tmp_path / "suivi.csv"
    info.value.save_as(exported)
    text = exported.read_text(encoding="utf-8-sig")
    assert "INIT" in text and "SUIVI" in text and reference not in text
    page.locator("section", has=page.locator("#produit-AAC-0001")).get_by_role(
        "link", name="Déposer le rapport de synthèse").click()
    page.fill("#champ-du", f"{today.year}-01-01")
    page.fill("#champ-au", today.isoformat())
    summary = f"Rapport {viewport} : patients traités, une hépatite grave déclarée, rapport bénéfice/risque inchangé."
    page.fill("#champ-resume", summary)
    pdf = tmp_path / "rapport.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF")
    page.set_input_files("#champ-rapport", str(pdf))
    no_horizontal_scroll(page)
    shot(page, "suivi-06-rapport")
    page.get_by_role("button", name="Déposer le rapport").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("déposé")
    report = re.search(r"RSP-\d{4}-\d{6}", page.locator(".fr-alert--success").inner_text()).group(0)
    logout(page)

    card_login(page, live_portal, "Dr KIT EVALUATEUR0010")
    page.goto(live_portal + "/rapports/")
    page.get_by_role("link", name=report).click()
    page.get_by_role("button", name="Valider et publier le résumé").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Rapport validé")
    logout(page)
    page.goto(live_portal + "/referentiel/AAC-0001")
    expect(page.locator("#rapports + ul")).to_contain_text(summary)
    no_horizontal_scroll(page)
    shot(page, "suivi-07-fiche-publique")
    page.goto(live_portal + "/boite-de-reception")
    expect(page.locator("body")).to_contain_text("kit.doc0001@")
    expect(page.locator("body")).to_contain_text(summary)
    page.context.close()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_cpc_patient_is_registered_and_followed(chromium, live_portal, viewport):
    page = browser_page(chromium, viewport)
    ecps_login(page, live_portal, "Dr KIT DOC0002")
    page.goto(live_portal + "/referentiel/CPC-0001")
    page.get_by_role("button", name="Inscrire un patient dans ce CPC").click()
    page.fill("#champ-initiale_nom", "B")
    page.fill("#champ-initiale_prenom", "L")
    page.locator("#groupe-sexe label", has_text="Masculin").click()
    page.fill("#champ-mois_naissance", "5")
    page.fill("#champ-annee_naissance", "1970")
    page.fill("#champ-poids", "82")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.select_option("#champ-code", "CPC-0001")
    page.select_option("#champ-etablissement", label="Hôpital Saint-Jacques")  # one of the two where they practise
    page.locator("#groupe-criteres label").first.click()  # one condition only: refused
    page.locator("label[for='champ-engagement']").click()
    page.get_by_role("button", name="Inscrire le patient").click()
    expect(page.locator("#champ-criteres-erreur")).to_contain_text("chacune de ses conditions")
    no_horizontal_scroll(page)
    shot(page, "cpc-01-conditions-erreur")
    page.locator("#groupe-criteres label").nth(1).click()
    page.get_by_role("button", name="Inscrire le patient").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Patient inscrit dans le CPC")
    expect(page.locator("h1")).to_contain_text("Suivi du patient CPC-")
    page.get_by_role("button", name="Fiche d’initiation").click()
    page.fill("#champ-date_debut", date.today().isoformat())
    page.fill("#champ-poids", "82")
    page.fill("#champ-posologie", "5 mg trois fois par jour, titration")
    page.get_by_role("button", name="Transmettre la fiche").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("Fiche d’initiation du traitement transmise")
    expect(page.locator("table")).to_contain_text("INIT-")
    no_horizontal_scroll(page)
    shot(page, "cpc-02-suivi")
    page.context.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is installed by `npm ci` (make test does it)")
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_statistics_pages_with_and_without_javascript(chromium, live_portal, viewport):
    found = {}
    for who, path, title in (("Dr KIT EVALUATEUR0010", "/statistiques/ansm", "Demandes transmises à l’ANSM"),
                             ("KIT OPERATEUR0011", "/statistiques/ans?formulaire=F301", "Dépôts")):
        for javascript in (True, False):
            size = {"width": 1280, "height": 900} if viewport == "desktop" else {"width": 375, "height": 812}
            context = chromium.new_context(viewport=size, locale="fr-FR", bypass_csp=True,
                                           java_script_enabled=javascript)
            page = context.new_page()
            page.viewport_name = viewport
            if javascript:
                card_login(page, live_portal, who)
            else:
                card_login_without_javascript(page, live_portal, who)
            page.goto(live_portal + path)
            expect(page.get_by_role("heading", name=title)).to_be_visible()
            expect(page.locator("svg[role=img]").first).to_be_visible()
            expect(page.locator("table").first).to_be_visible()
            no_horizontal_scroll(page)
            shot(page, f"stats-{path.split('/')[2].split('?')[0]}-{'js' if javascript else 'nojs'}")
            if javascript and (problems := violations(page)):
                found[(who, path)] = problems
            context.close()
    assert not found, found

