"""Issue 16 §3, §4, §8 and the unconfirmed preview: an ended indication is neither offered nor granted
automatically; the CSV export neutralises formulas; a patient's name never reaches the database; agency staff see no
draft and no preview of one."""

from __future__ import annotations

import csv
import io

from sqlmodel import select

from app.models import Filing
from tests.aac.conftest import CRITERIA
from tests.aac.test_requests import answers, file_request, open_draft


def end_indication(evaluator, product) -> None:
    form = {"name": product.name, "dci": product.dci, "pharmaceutical_form": product.pharmaceutical_form,
            "strength": product.strength, "status": "AAC", "laboratory": product.laboratory, "max_days": "180",
            "indications": "Amylose héréditaire à transthyrétine (terminée)\n" + "\n".join(f"- {c}" for c in CRITERIA)
                           + "\n\nAutre forme d’amylose\n- Adulte"}
    assert evaluator.post(f"/referentiel/{product.code}/modifier", form).status_code == 303


def test_an_ended_indication_is_not_offered_nor_granted_automatically(db, aac_world, as_actor):
    prescriber = as_actor("prescriber")
    before_end = file_request(prescriber, aac_world)  # conforming, sent to the PUI while the indication was open
    end_indication(as_actor("evaluator"), aac_world["product"])

    prescriber = as_actor("prescriber")
    filing_id = open_draft(prescriber, aac_world["product"].code)
    step = prescriber.get(f"/acces-compassionnel/{filing_id}/medicament").get_data(as_text=True)
    assert "Autre forme d’amylose" in step and 'value="I1"' not in step
    refused = prescriber.post(f"/acces-compassionnel/{filing_id}/medicament",
                              {"code": aac_world["product"].code, "indication": "I1"})
    assert refused.status_code == 422 and "dans l’indication « Amylose héréditaire" in refused.get_data(True)

    assert as_actor("pharmacist").post(f"/acces-compassionnel/{before_end}/pui/transmettre").status_code == 303
    filing = db.get(Filing, before_end)
    db.refresh(filing)
    assert filing.state == "transmise"  # checked again at transmission: the evaluator decides
    assert "accès compassionnel terminé dans cette indication" in filing.payload["decision"]["ecarts"]


def test_the_csv_export_neutralises_formulas(db, aac_world, as_actor):
    prescriber = as_actor("prescriber")
    filing_id = open_draft(prescriber, aac_world["product"].code)
    steps = answers(aac_world, justification='+cmd|" /C calc"!A0')
    steps["prescription"]["posologie"] = '=HYPERLINK("http://x.example","clic")'
    for step, data in steps.items():
        assert prescriber.post(f"/acces-compassionnel/{filing_id}/{step}", data).status_code == 303
    assert prescriber.post(f"/acces-compassionnel/{filing_id}/envoyer").status_code == 303
    as_actor("pharmacist").post(f"/acces-compassionnel/{filing_id}/pui/transmettre")
    text = as_actor("evaluator").get("/acces-compassionnel/export.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    header, row = rows[0], rows[1]
    assert row[header.index("Posologie")] == '\'=HYPERLINK("http://x.example","clic")'
    assert row[header.index("Justification")] == '\'+cmd|" /C calc"!A0'
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_a_patient_name_typed_as_initials_is_never_stored(db, aac_world, as_actor):
    prescriber = as_actor("prescriber")
    filing_id = open_draft(prescriber, aac_world["product"].code)
    typed = answers(aac_world)["patient"] | {"initiale_nom": "DUPONT", "initiale_prenom": "Jeanne"}
    autosaved = prescriber.post(f"/acces-compassionnel/{filing_id}/champ", typed | {"_step": "patient",
                                                                                   "_name": "initiale_nom"})
    assert autosaved.status_code == 422 and "DUPONT" not in autosaved.get_data(as_text=True)
    filing = db.get(Filing, filing_id)
    db.refresh(filing)
    assert filing.payload["patient"]["initiale_nom"] == "" and "DUPONT" not in str(filing.payload)
    saved = prescriber.post(f"/acces-compassionnel/{filing_id}/patient", typed)
    html = saved.get_data(as_text=True)
    assert saved.status_code == 422 and "Seules les initiales du nom" in html and "DUPONT" not in html
    db.refresh(filing)
    assert "DUPONT" not in str(filing.payload) and "Jeanne" not in str(filing.payload)
    assert filing.payload["patient"]["poids"] == "64"  # the rest of the step is kept
    ok = prescriber.post(f"/acces-compassionnel/{filing_id}/patient", typed | {"initiale_nom": "d.",
                                                                               "initiale_prenom": "JP"})
    assert ok.status_code == 303
    db.refresh(filing)
    assert (filing.payload["patient"]["initiale_nom"], filing.payload["patient"]["initiale_prenom"]) == ("D", "JP")

    evaluator = as_actor("evaluator")  # the agency never reads a draft, nor previews one
    assert evaluator.get(f"/acces-compassionnel/{filing_id}").status_code == 403
    assert evaluator.get(f"/acces-compassionnel/{filing_id}/apercu.pdf").status_code == 403
    listed = evaluator.get("/acces-compassionnel/export.csv").get_data(as_text=True)
    assert len(listed.strip().splitlines()) == 1
    assert not db.exec(select(Filing).where(Filing.state == "brouillon", Filing.form == "AAC",
                                            Filing.id != filing_id)).all()


def test_unicode_digits_in_the_birth_month_are_a_422_not_a_500(db, aac_world, as_actor):
    prescriber = as_actor("prescriber")
    filing_id = open_draft(prescriber, aac_world["product"].code)
    refused = prescriber.post(f"/acces-compassionnel/{filing_id}/patient",
                              answers(aac_world)["patient"] | {"mois_naissance": "²", "annee_naissance": "١٩٥٨"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Le mois de naissance va de 1 à 12" in html
    assert 'id="champ-annee_naissance-erreur"' in html and "ex. 1958" in html
