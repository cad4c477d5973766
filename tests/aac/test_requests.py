"""Compassionate access through the pages: a conforming request granted at once with a sealed decision,
a non-conforming one through complements, a refusal with its appeal routes, an ended product, bad input."""

from __future__ import annotations

import hashlib
import re
import subprocess

import pytest
from sqlmodel import select

from app.models import Filing, FilingDocument, OutboxMessage, PracticeActivity
from tests.aac.conftest import CRITERIA


def answers(world, *, criteria=CRITERIA, duree="90", justification="") -> dict:
    return {
        "patient": {"cadre": "aac", "initiale_nom": "D", "initiale_prenom": "M", "sexe": "F", "mois_naissance": "3",
                    "annee_naissance": "1958", "poids": "64"},
        "medicament": {"code": world["product"].code, "indication": "I1"},
        "prescription": {"posologie": "50 mg par jour", "duree": duree, "criteres": list(criteria),
                         "justification": justification, "differable": "non"},
        "engagement": {"fonction": "Praticien hospitalier", "information": "1",
                       "pharmacien": f"{world['pharmacist'].id}:{world['hospital'].id}"},
    }


def open_draft(browser, code: str | None = None) -> int:
    """Start a request from the pages (« Faire une demande ») and return the new draft's id."""
    started = browser.post("/acces-compassionnel/nouvelle", {"code": code} if code else {})
    assert started.status_code == 303
    return int(re.search(r"/acces-compassionnel/(\d+)/", started.headers["Location"]).group(1))


def file_request(browser, world, **kw) -> int:
    filing_id = open_draft(browser, world["product"].code)
    for step, data in answers(world, **kw).items():
        response = browser.post(f"/acces-compassionnel/{filing_id}/{step}", data)
        assert response.status_code == 303, (step, response.get_data(as_text=True)[:3000])
    sent = browser.post(f"/acces-compassionnel/{filing_id}/envoyer")
    assert sent.status_code == 303, sent.get_data(as_text=True)[:3000]
    return filing_id


def test_a_conforming_request_is_granted_at_once_with_a_sealed_verifiable_decision(db, aac_world, as_actor,
                                                                                    tmp_path, client):
    filing_id = file_request(as_actor("prescriber"), aac_world)
    filing = db.get(Filing, filing_id)
    assert filing.state == "a_valider_pui" and re.fullmatch(r"AAC-\d{4}-\d{6}", filing.reference)
    pharmacist = as_actor("pharmacist")
    inbox = pharmacist.get("/acces-compassionnel/").get_data(as_text=True)
    assert filing.reference in inbox
    assert pharmacist.post(f"/acces-compassionnel/{filing_id}/pui/transmettre").status_code == 303
    db.refresh(filing)
    assert filing.state == "octroyee" and filing.payload["decision"]["automatique"] is True
    document = db.exec(select(FilingDocument).where(FilingDocument.filing_id == filing_id)).one()
    prescriber = as_actor("prescriber")
    pdf = prescriber.get(f"/acces-compassionnel/{filing_id}/decision.pdf")
    assert pdf.status_code == 200 and hashlib.sha256(pdf.data).hexdigest() == document.sha256
    (tmp_path / "decision.pdf").write_bytes(pdf.data)
    checked = subprocess.run(["pdfsig", tmp_path / "decision.pdf"], capture_output=True, text=True)
    assert "Signature is Valid." in checked.stdout, checked.stdout + checked.stderr
    from io import BytesIO

    from asn1crypto import x509 as a_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from app.operations.pki import authority

    root = a_x509.Certificate.load(authority(db, "root").certificate_der)
    status = validate_pdf_signature(PdfFileReader(BytesIO(pdf.data)).embedded_signatures[0],
                                    ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    text = subprocess.run(["pdftotext", tmp_path / "decision.pdf", "-"], capture_output=True, text=True).stdout
    assert "Autorisation d’accès compassionnel" in text and "D.M." in text and "90 jours" in text
    assert "décision automatique" in text and "PUT-SP" in text
    verification = client.application.test_client().get(f"/verification/{document.verification_code}")
    page = verification.get_data(as_text=True)
    assert verification.status_code == 200 and document.sha256 in page and "Octroyée" in page
    assert "64 kg" not in page and "1958" not in page and "D.M." not in page  # no patient data here
    # issue 31 (10): the medicine and the prescriber the paper names, for the pharmacist who holds it
    assert "Rarexib 50 mg, comprimé" in page and aac_world["prescriber"].shown_name in page
    assert client.application.test_client().get("/verification/inconnu").status_code == 404


def test_a_request_missing_a_criterion_goes_through_complements_then_grant(db, aac_world, as_actor):
    filing_id = file_request(as_actor("prescriber"), aac_world, criteria=CRITERIA[:1],
                             justification="Patient en attente de confirmation génétique, aucune alternative.")
    as_actor("pharmacist").post(f"/acces-compassionnel/{filing_id}/pui/transmettre")
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert filing.state == "transmise" and "critères d’octroi non tous attestés" in filing.payload["decision"]["ecarts"]
    evaluator = as_actor("evaluator")
    assert filing.reference in evaluator.get("/acces-compassionnel/evaluation").get_data(as_text=True)
    assert evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/evaluer").status_code == 303
    missing = evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/demander_complements", {"message": ""})
    assert missing.status_code == 422 and "Indiquez le motif" in missing.get_data(as_text=True)
    assert evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/demander_complements",
                          {"message": "Joignez le résultat du test génétique."}).status_code == 303
    assert as_actor("pharmacist").post(f"/acces-compassionnel/{filing_id}/pui/repondre",
                                       {"message": "Test positif, compte rendu du 12/11."}).status_code == 303
    evaluator = as_actor("evaluator")  # one test client: log the evaluator in again
    preview = evaluator.get(f"/acces-compassionnel/{filing_id}/apercu.pdf?duree=60")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    typed = evaluator.post(f"/acces-compassionnel/{filing_id}/apercu.pdf", {"issue": "octroi", "duree": "45"})
    assert typed.status_code == 200 and typed.mimetype == "application/pdf"  # the grant form's own values
    text = subprocess.run(["pdftotext", "-", "-"], input=typed.data, capture_output=True, check=True).stdout
    assert b"45 jours" in text and b"PROJET" in text
    page = evaluator.get(f"/acces-compassionnel/{filing_id}").get_data(as_text=True)
    assert 'formtarget="_blank"' in page and "Aperçu de ce que vous avez saisi" in page
    assert not db.exec(select(FilingDocument).where(FilingDocument.filing_id == filing_id)).all()  # nothing issued
    too_long = evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/octroyer", {"duree": "400"})
    assert too_long.status_code == 422 and "1 an" in too_long.get_data(as_text=True)
    assert evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/octroyer", {"duree": "60"}).status_code == 303
    db.refresh(filing)
    assert filing.state == "octroyee" and filing.payload["decision"]["duree"] == 60
    assert filing.payload["decision"]["automatique"] is False
    shown = evaluator.get(f"/acces-compassionnel/{filing_id}").get_data(as_text=True)
    assert "Autorisation accordée" in shown and "60 jours, du" in shown
    code = db.exec(select(FilingDocument).where(FilingDocument.filing_id == filing_id)).one().verification_code
    public = evaluator.get(f"/verification/{code}").get_data(as_text=True)
    assert "(60 jours)" in public and "data-empreinte" in public


def test_a_refusal_states_its_reason_and_the_appeal_routes(db, aac_world, as_actor, tmp_path):
    filing_id = file_request(as_actor("prescriber"), aac_world, duree="300")  # beyond the product's 180 days
    as_actor("pharmacist").post(f"/acces-compassionnel/{filing_id}/pui/transmettre")
    evaluator = as_actor("evaluator")
    evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/evaluer")
    no_reason = evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/refuser", {"motif": "", "message": "x"})
    assert no_reason.status_code == 422 and "motif légal" in no_reason.get_data(as_text=True)
    assert evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/refuser",
                          {"motif": "essai", "message": "Essai ouvert au CHU voisin."}).status_code == 303
    pdf = as_actor("prescriber").get(f"/acces-compassionnel/{filing_id}/decision.pdf").data
    (tmp_path / "refus.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", tmp_path / "refus.pdf", "-"], capture_output=True, text=True).stdout
    assert "Refus" in text and "recours gracieux" in text and "tribunal administratif" in text
    assert "essai clinique ou un accès précoce" in text


@pytest.mark.parametrize("step, data, field, message", [
    ("patient", {"cadre": "aac", "initiale_nom": "Dupont", "initiale_prenom": "M", "sexe": "F",
                 "mois_naissance": "3", "annee_naissance": "1958", "poids": "64"}, "initiale_nom",
     "Seules les initiales"),
    ("patient", {"cadre": "aac", "initiale_nom": "D", "initiale_prenom": "M", "sexe": "F", "mois_naissance": "3",
                 "annee_naissance": "1958", "poids": "0"}, "poids", "entre 0,3 et 350 kg"),
    ("patient", {"cadre": "aac", "initiale_nom": "D", "initiale_prenom": "M", "sexe": "F", "mois_naissance": "3",
                 "annee_naissance": "1958", "poids": "900"}, "poids", "entre 0,3 et 350 kg"),
    ("patient", {"cadre": "hors_amm"}, "cadre", "cadre de prescription compassionnelle"),
    ("medicament", {"code": "AAC-0000"}, "code", "Médicament inconnu"),
    ("medicament", {"code": "AAC-9002", "indication": "I1"}, "code", "est terminé depuis le 30/06/2026"),
    ("prescription", {"posologie": "1 cp", "duree": "0", "differable": "oui", "justification": "x"}, "duree", "1 an"),
    ("prescription", {"posologie": "1 cp", "duree": "400", "differable": "oui", "justification": "x"}, "duree",
     "1 an"),
    ("prescription", {"posologie": "1 cp", "duree": "30", "differable": "oui"}, "justification",
     "justifiez la demande"),
])
def test_bad_input_is_refused_next_to_the_field_and_the_draft_kept(db, aac_world, as_actor, step, data, field,
                                                                   message):
    browser = as_actor("prescriber")
    filing_id = open_draft(browser, aac_world["product"].code)
    response = browser.post(f"/acces-compassionnel/{filing_id}/{step}", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert f'id="champ-{field}-erreur"' in html
    kept = db.get(Filing, filing_id)
    db.refresh(kept)
    # Everything typed is kept, but a patient's name typed where initials are asked (never stored).
    from app.domain.aac import initials
    expected = {k: (initials(v) if k.startswith("initiale_") else v) for k, v in data.items()}
    assert {k: v for k, v in kept.payload[step].items() if v} == {k: v for k, v in expected.items() if v}


def test_renewal_asks_for_the_past_period_and_expiry_ends_the_grant(db, aac_world, as_actor):
    from datetime import date, timedelta

    from app.operations.aac import expire_granted

    filing_id = file_request(as_actor("prescriber"), aac_world)
    as_actor("pharmacist").post(f"/acces-compassionnel/{filing_id}/pui/transmettre")
    previous = db.get(Filing, filing_id)
    db.refresh(previous)
    prescriber = as_actor("prescriber")
    renewed = prescriber.post(f"/acces-compassionnel/{filing_id}/renouveler")
    assert renewed.status_code == 303 and renewed.headers["Location"].endswith("/prescription")
    new_id = int(re.search(r"/acces-compassionnel/(\d+)/", renewed.headers["Location"]).group(1))
    new = db.get(Filing, new_id)
    assert new.payload["renouvellement_de"] == filing_id and new.payload["patient"]["initiale_nom"] == "D"
    missing = prescriber.post(f"/acces-compassionnel/{new_id}/prescription", answers(aac_world)["prescription"])
    assert missing.status_code == 422 and "données cliniques de la période écoulée" in missing.get_data(as_text=True)
    done = prescriber.post(f"/acces-compassionnel/{new_id}/prescription", answers(aac_world)["prescription"]
                           | {"donnees_cliniques": "Stabilisation, bonne tolérance.", "poursuite_utile": "1"})
    assert done.status_code == 303

    end = date.fromisoformat(previous.payload["decision"]["fin"])
    assert expire_granted(db, end) == 0  # the last day is still covered
    assert expire_granted(db, end + timedelta(days=1)) == 1
    db.refresh(previous)
    assert previous.state == "expiree"
    assert expire_granted(db, end + timedelta(days=2)) == 0


def test_no_renewal_once_the_aac_has_ended(db, aac_world, as_actor):
    from datetime import date

    filing_id = file_request(as_actor("prescriber"), aac_world)
    as_actor("pharmacist").post(f"/acces-compassionnel/{filing_id}/pui/transmettre")
    aac_world["product"].ended_on = date(2026, 1, 1)
    db.add(aac_world["product"])
    db.flush()
    refused = as_actor("prescriber").post(f"/acces-compassionnel/{filing_id}/renouveler")
    assert refused.status_code == 422 and "pas de renouvellement" in refused.get_data(as_text=True)
    assert len(db.exec(select(Filing).where(Filing.form == "AAC")).all()) == 1


def test_csv_export_is_scoped_streamed_and_french(db, aac_world, as_actor):
    import csv
    import io

    mine = file_request(as_actor("prescriber"), aac_world)
    as_actor("pharmacist").post(f"/acces-compassionnel/{mine}/pui/transmettre")
    theirs = file_request(as_actor("colleague"), aac_world)
    references = {db.get(Filing, i).reference for i in (mine, theirs)}

    def rows(role):
        response = as_actor(role).get("/acces-compassionnel/export.csv")
        assert response.status_code == 200 and response.mimetype == "text/csv" and response.is_streamed
        text = response.get_data(as_text=True)
        assert text.startswith("\ufeff")
        parsed = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
        assert parsed[0][:3] == ["Référence", "État", "Déposée le"]
        return {r[0]: r for r in parsed[1:]}

    assert set(rows("prescriber")) == {db.get(Filing, mine).reference}
    assert set(rows("pharmacist")) == references  # both requests went to this PUI
    assert rows("foreign_pharmacist") == {}
    everything = rows("evaluator")
    assert set(everything) == {db.get(Filing, mine).reference}  # the colleague's waits for the PUI: not the agency's
    granted = everything[db.get(Filing, mine).reference]
    assert granted[1] == "Octroyée" and granted[4] == "oui" and granted[5] == "D" and granted[8] == str(
        2026 - 1958 - (1 if 3 > date_today().month else 0))


def date_today():
    from datetime import date

    return date.today()


def test_history_filters_by_medicine_and_state(db, aac_world, as_actor):
    file_request(as_actor("prescriber"), aac_world)
    browser = as_actor("prescriber")
    assert "AAC-" in browser.get("/acces-compassionnel/?medicament=AAC-9001").get_data(as_text=True)
    assert "Aucune demande" in browser.get("/acces-compassionnel/?medicament=AAC-9002").get_data(as_text=True)
    assert "Aucune demande" in browser.get("/acces-compassionnel/?etat=octroyee").get_data(as_text=True)
    assert "AAC-" in browser.get("/acces-compassionnel/?du=2000-01-01&au=2999-12-31").get_data(as_text=True)


def test_the_pharmacist_completes_the_prescription_and_the_prescriber_sees_it(db, aac_world, as_actor):
    filing_id = file_request(as_actor("prescriber"), aac_world)
    pharmacist = as_actor("pharmacist")
    bad = pharmacist.post(f"/acces-compassionnel/{filing_id}/pui/modifier", {"posologie": "50 mg", "duree": "500"})
    assert bad.status_code == 422 and "1 an" in bad.get_data(as_text=True)
    assert pharmacist.post(f"/acces-compassionnel/{filing_id}/pui/modifier",
                           {"posologie": "50 mg le matin", "duree": "90"}).status_code == 303
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert filing.payload["prescription"]["posologie"] == "50 mg le matin"
    page = as_actor("prescriber").get(f"/acces-compassionnel/{filing_id}").get_data(as_text=True)
    assert "Modification par la PUI" in page and "« 50 mg par jour » → « 50 mg le matin »" in page
    assert as_actor("colleague").post(f"/acces-compassionnel/{filing_id}/pui/modifier",
                                      {"posologie": "x"}).status_code == 403


def test_the_laboratory_sees_only_the_data_requests_on_its_products_and_answers(db, aac_world, as_actor):
    filing_id = file_request(as_actor("prescriber"), aac_world, criteria=CRITERIA[:1], justification="Urgence.")
    as_actor("pharmacist").post(f"/acces-compassionnel/{filing_id}/pui/transmettre")
    laboratory = as_actor("laboratory")
    assert laboratory.get(f"/acces-compassionnel/{filing_id}").status_code == 403  # not asked yet
    evaluator = as_actor("evaluator")
    evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/evaluer")
    assert evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/demander_donnees_labo",
                          {"message": "Données de tolérance hépatique ?"}).status_code == 303
    reference = db.get(Filing, filing_id).reference
    laboratory = as_actor("laboratory")
    assert reference in laboratory.get("/acces-compassionnel/laboratoire").get_data(as_text=True)
    assert "Données de tolérance hépatique" in laboratory.get(f"/acces-compassionnel/{filing_id}").get_data(True)
    other = as_actor("other_laboratory")
    assert reference not in other.get("/acces-compassionnel/laboratoire").get_data(as_text=True)
    assert other.get(f"/acces-compassionnel/{filing_id}").status_code == 403
    assert other.post(f"/acces-compassionnel/{filing_id}/labo/repondre_labo", {"message": "x"}).status_code == 403
    laboratory = as_actor("laboratory")
    assert laboratory.post(f"/acces-compassionnel/{filing_id}/labo/repondre_labo",
                           {"message": "Aucun signal hépatique sur 42 patients."}).status_code == 303
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert filing.state == "en_evaluation"
    assert laboratory.get(f"/acces-compassionnel/{filing_id}/decision.pdf").status_code == 404  # no decision yet
    assert laboratory.get("/acces-compassionnel/evaluation").status_code == 403
    assert as_actor("evaluator").post(f"/acces-compassionnel/{filing_id}/ansm/octroyer",
                                      {"duree": "120"}).status_code == 303
    db.refresh(filing)
    assert filing.state == "octroyee" and filing.payload["decision"]["duree"] == 120


def test_each_change_is_kept_in_the_draft(db, aac_world, as_actor):
    browser = as_actor("prescriber")
    filing_id = open_draft(browser, aac_world["product"].code)
    for name, value in (("initiale_nom", "D"), ("poids", "0,1")):
        saved = browser.post(f"/acces-compassionnel/{filing_id}/champ", {"_step": "patient", "_name": name,
                                                                        name: value}, headers={"HX-Request": "true"})
    assert saved.status_code == 422  # the field comes back with the request's own rule beside it
    answer = saved.get_data(as_text=True)
    assert 'id="groupe-poids"' in answer and "entre 0,3 et 350 kg" in answer and 'value="0,1"' in answer
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert (filing.payload["patient"]["initiale_nom"], filing.payload["patient"]["poids"]) == ("D", "0,1")
    page = browser.get(f"/acces-compassionnel/{filing_id}/patient").get_data(as_text=True)
    assert 'value="0,1"' in page and f'hx-post="/acces-compassionnel/{filing_id}/champ"' in page
    assert browser.post(f"/acces-compassionnel/{filing_id}/champ", {"_step": "patient", "_name": "nom"},
                        headers={"HX-Request": "true"}).status_code == 400  # only a field the step shows


def test_a_prescriber_whose_structures_have_no_pui_designates_the_dispensing_establishment(
        db, aac_world, as_person, make_structure, make_person):
    clinic = make_structure(kind="EJ", name="Clinique libérale du Port", public=False)
    liberal = make_person(profession_code="10", family_name="LIBERAL", given_name="Hugo")
    db.add(PracticeActivity(person_id=liberal.id, structure_id=clinic.id, profession_code="10"))
    db.flush()
    browser = as_person(liberal)
    first = browser.get(f"/acces-compassionnel/{open_draft(browser, aac_world['product'].code)}/patient")
    assert "le pharmacien de la PUI qui dispensera" in first.get_data(as_text=True)  # said at step 1
    filing_id = open_draft(browser, aac_world["product"].code)
    engagement = answers(aac_world)["engagement"] | {"pharmacien": ""}
    for step, data in answers(aac_world, criteria=CRITERIA).items():
        if step != "engagement":
            assert browser.post(f"/acces-compassionnel/{filing_id}/{step}", data).status_code == 303
    empty = browser.get(f"/acces-compassionnel/{filing_id}/engagement").get_data(as_text=True)
    assert "Aucun pharmacien de PUI n’exerce dans vos structures" in empty
    searched = browser.post(f"/acces-compassionnel/{filing_id}/engagement",
                            engagement | {"etablissement": "ch voisin"})
    html = searched.get_data(as_text=True)
    assert searched.status_code == 422 and "Désignez le pharmacien" in html
    assert "AUTREPUI" in html and "PHARMA" not in html.replace("AUTREPUI", "")  # only the establishment's PUI
    chosen = f"{aac_world['foreign_pharmacist'].id}:{aac_world['other'].id}"
    assert browser.post(f"/acces-compassionnel/{filing_id}/engagement",
                        engagement | {"etablissement": "ch voisin", "pharmacien": chosen}).status_code == 303
    assert browser.post(f"/acces-compassionnel/{filing_id}/envoyer").status_code == 303
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert (filing.state, filing.structure_id) == ("a_valider_pui", aac_world["other"].id)
    assert "Transmettre" in as_person(aac_world["foreign_pharmacist"]).get(
        f"/acces-compassionnel/{filing_id}").get_data(as_text=True)
    browser = as_person(liberal)
    forged = open_draft(browser, aac_world["product"].code)  # a pharmacist outside the search is refused
    refused = browser.post(f"/acces-compassionnel/{forged}/engagement",
                           engagement | {"pharmacien": f"{aac_world['pharmacist'].id}:{aac_world['hospital'].id}"})
    assert refused.status_code == 422


def test_the_prescriber_is_told_of_a_complement_request_and_answers_it_from_the_request(db, aac_world, as_actor):
    filing_id = file_request(as_actor("prescriber"), aac_world, criteria=CRITERIA[:1],
                             justification="Patient en attente de confirmation génétique.")
    as_actor("pharmacist").post(f"/acces-compassionnel/{filing_id}/pui/transmettre")
    evaluator = as_actor("evaluator")
    evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/evaluer")
    asked = evaluator.post(f"/acces-compassionnel/{filing_id}/ansm/demander_complements",
                           {"message": "Joignez le résultat du test génétique."}, follow_redirects=True)
    assert "le prescripteur et la PUI sont prévenus" in asked.get_data(as_text=True)
    mails = db.exec(select(OutboxMessage).where(OutboxMessage.filing_id == filing_id,
                                                OutboxMessage.subject.contains("compléments"))).all()
    assert {m.recipient for m in mails} == {aac_world["prescriber"].email, aac_world["pharmacist"].email}
    assert all("Joignez le résultat du test génétique." in m.body and f"/acces-compassionnel/{filing_id}" in m.body
               for m in mails)
    prescriber = as_actor("prescriber")
    dashboard = prescriber.get("/tableau-de-bord").get_data(as_text=True)
    assert "l’ANSM demande des compléments" in dashboard and f'href="/acces-compassionnel/{filing_id}"' in dashboard
    page = prescriber.get(f"/acces-compassionnel/{filing_id}").get_data(as_text=True)
    assert page.index("Joignez le résultat du test génétique.") < page.index("Historique")
    assert "Répondre et renvoyer à l’ANSM" in page
    empty = prescriber.post(f"/acces-compassionnel/{filing_id}/prescripteur/repondre_prescripteur", {"message": " "})
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422 and 'href="#reponse-complements"' in html
    answered = prescriber.post(f"/acces-compassionnel/{filing_id}/prescripteur/repondre_prescripteur",
                               {"message": "Test positif, compte rendu du 12/11."})
    assert answered.status_code == 303
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert filing.state == "en_evaluation"
    assert "Test positif" in as_actor("evaluator").get(f"/acces-compassionnel/{filing_id}").get_data(as_text=True)
    assert as_actor("colleague").post(f"/acces-compassionnel/{filing_id}/prescripteur/repondre_prescripteur",
                                      {"message": "x"}).status_code == 403


def test_the_pui_list_opens_on_what_waits_for_it_with_urgency_medicine_and_prescriber(db, aac_world, as_actor,
                                                                                      make_aac_request):
    waiting = make_aac_request("a_valider_pui")
    granted = make_aac_request("octroyee")
    page = as_actor("pharmacist").get("/acces-compassionnel/").get_data(as_text=True)
    assert waiting.reference in page and granted.reference not in page
    assert "Urgent" in page and "Rarexib 50 mg" in page and "Dr Paul MEDECIN" in page
    everything = as_actor("pharmacist").get("/acces-compassionnel/?etat=tous").get_data(as_text=True)
    assert waiting.reference in everything and granted.reference in everything
    dashboard = as_actor("pharmacist").get("/tableau-de-bord").get_data(as_text=True)
    assert waiting.reference in dashboard and "à vérifier et transmettre par la PUI" in dashboard


def test_a_medicine_just_chosen_shows_its_indications_without_an_error(db, aac_world, as_actor):
    browser = as_actor("prescriber")
    filing_id = open_draft(browser)  # « Nouvelle demande » without a medicine
    chosen = browser.post(f"/acces-compassionnel/{filing_id}/medicament", {"code": aac_world["product"].code})
    html = chosen.get_data(as_text=True)
    assert chosen.status_code == 200 and 'id="erreurs"' not in html
    assert "choisissez maintenant son indication" in html and "Amylose héréditaire" in html
    done = browser.post(f"/acces-compassionnel/{filing_id}/medicament", {"code": aac_world["product"].code,
                                                                         "indication": "I1"})
    assert done.status_code == 303
    summary = browser.get(f"/acces-compassionnel/{filing_id}").get_data(as_text=True)
    assert "Amylose héréditaire à transthyrétine" in summary  # the summary names the indication


def test_a_criterion_that_contradicts_the_patient_is_refused_beside_it(db, aac_world, as_actor):
    """Issue 31 (4): « Enfant âgé de 6 mois à 2 ans » ticked for a patient born in 1958 does not leave the
    prescriber (before, it was accepted and granted at once)."""
    product = aac_world["product"]
    child = "Enfant âgé de 6 mois à 2 ans"
    product.indications = [{**product.indications[0], "criteria": [*CRITERIA, child]}]
    db.add(product)
    db.flush()
    browser = as_actor("prescriber")
    filing_id = open_draft(browser, product.code)
    steps = answers(aac_world, criteria=[*CRITERIA, child])
    for step in ("patient", "medicament"):
        assert browser.post(f"/acces-compassionnel/{filing_id}/{step}", steps[step]).status_code == 303
    refused = browser.post(f"/acces-compassionnel/{filing_id}/prescription", steps["prescription"])
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "ne correspond pas à l’âge du patient (68 ans)" in html
    assert 'id="champ-criteres-erreur"' in html and 'href="#champ-criteres"' in html
    assert "50 mg par jour" in html  # what was typed is kept
    kept = browser.post(f"/acces-compassionnel/{filing_id}/prescription",
                        steps["prescription"] | {"criteres": list(CRITERIA)})
    assert kept.status_code == 303
