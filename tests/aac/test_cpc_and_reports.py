"""Issue 32: a CPC patient registered without waiting for anyone, and a renewal routed there once the product moved
to a CPC; the laboratory's pseudonymised export and its periodic report, sent back then validated, its summary on
the product's page and in the prescribers' and pharmacists' mail; the evaluator's PUT-SP in the référentiel."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.models import Filing, OutboxMessage, ReferentialMedicine
from app.models.base import utcnow
from app.operations import reports
from tests.aac.test_follow_up import PROTOCOL, fill, initiation

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture()
def cpc(db):
    product = ReferentialMedicine(code="CPC-9001", name="Baclofène 10 mg, comprimé", dci="baclofène",
                                  pharmaceutical_form="comprimé", strength="10 mg", status="CPC",
                                  laboratory="Génériques France", collects_data=True,
                                  granting_criteria=["Patient adulte alcoolo-dépendant",
                                                     "Échec des traitements ayant une AMM"],
                                  cpc_until=date.today() + timedelta(days=400), protocol=PROTOCOL)
    db.add(product)
    db.flush()
    return product


def register(browser, code: str, criteria, place: int) -> tuple[str, object]:
    started = browser.post("/cpc/inscrire", {"code": code})
    assert started.status_code == 303 and started.headers["Location"].endswith("/patient")
    patient = browser.post(started.headers["Location"], {"initiale_nom": "B", "initiale_prenom": "L", "sexe": "M",
                                                         "mois_naissance": "5", "annee_naissance": "1970",
                                                         "poids": "80"})
    assert patient.status_code == 303, patient.get_data(as_text=True)[:2000]
    address = patient.headers["Location"]
    return address, browser.post(address, {"code": code, "criteres": criteria, "engagement": "1",
                                           "etablissement": str(place)})


def test_a_cpc_patient_is_registered_at_once_and_followed(db, cpc, aac_world, as_actor):
    prescriber = as_actor("prescriber")
    address, refused = register(prescriber, cpc.code, cpc.granting_criteria[:1], aac_world["other"].id)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "chacune de ses conditions" in body
    assert "Choisissez l’établissement où vous suivez le patient" in body  # not one where they practise
    _, done = register(prescriber, cpc.code, cpc.granting_criteria, aac_world["hospital"].id)
    assert done.status_code == 303
    registration = db.exec(select(Filing).where(Filing.form == "CPC", Filing.state == "inscrit")).one()
    assert registration.reference.startswith("CPC-") and registration.structure_id == aac_world["hospital"].id
    assert registration.follow_up_due == utcnow().date() + timedelta(days=7)
    assert done.headers["Location"].endswith(f"/suivi/{registration.id}")
    assert "Fiche d’initiation" in prescriber.get(f"/suivi/{registration.id}").get_data(as_text=True)
    _, initiated = fill(prescriber, registration.id, "INIT", "initiation", initiation(utcnow().date()))
    assert initiated.status_code == 303
    _, ended = fill(prescriber, registration.id, "FIN", "fin", {"date_fin": utcnow().date().isoformat(),
                                                                "motif": "fin_prevue"})
    assert ended.status_code == 303
    db.refresh(registration)
    assert registration.state == "termine" and registration.follow_up_due is None
    assert as_actor("colleague").get(f"/suivi/{registration.id}").status_code == 403


def test_a_renewal_after_the_product_moved_to_a_cpc_routes_the_patient_there(db, aac_world, make_aac_request,
                                                                              as_actor):
    granted = make_aac_request("octroyee")
    product = aac_world["product"]
    product.status, product.cpc_until = "CPC", date.today() + timedelta(days=1000)
    product.granting_criteria = ["Patient adulte avec diagnostic génétique confirmé"]
    db.add(product)
    db.flush()
    routed = as_actor("prescriber").post(f"/acces-compassionnel/{granted.id}/renouveler")
    assert routed.status_code == 303 and "/suivi/fiche/" in routed.headers["Location"]
    registration = db.exec(select(Filing).where(Filing.form == "CPC")).one()
    assert registration.parent_id == granted.id and registration.payload["patient"]["initiale_nom"] == "D"
    assert "cadre" not in registration.payload["patient"]
    assert db.exec(select(Filing).where(Filing.form == "AAC", Filing.id != granted.id)).first() is None


def test_the_laboratory_exports_pseudonymised_data_and_its_report_is_sent_back_then_published(
        db, aac_world, make_aac_request, as_actor, as_person):
    aac_world["product"].protocol, aac_world["product"].collects_data = PROTOCOL, True
    granted = make_aac_request("octroyee")
    prescriber = as_actor("prescriber")
    fill(prescriber, granted.id, "INIT", "initiation", initiation(utcnow().date()))
    laboratory = as_actor("laboratory")
    page = laboratory.get("/laboratoire/").get_data(as_text=True)
    assert aac_world["product"].name in page and "Patients suivis" in page
    exported = laboratory.get(f"/laboratoire/{aac_world['product'].code}/donnees.csv")
    text = exported.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Patient (pseudonyme)" and len(rows) == 2 and rows[1][7] == "INIT"
    assert granted.reference not in text and "MEDECIN" not in text and ";D;" not in text  # no initials, no file
    assert len(rows[1][0]) == 12 and rows[1][2] == str(date.today().year - 1958 - (1 if date.today().month < 3
                                                                                   else 0))
    assert as_person(aac_world["other_laboratory"]).get(
        f"/laboratoire/{aac_world['product'].code}/donnees.csv").status_code == 403
    laboratory = as_actor("laboratory")  # one browser: log the laboratory in again
    form = f"/laboratoire/{aac_world['product'].code}/rapport"
    bad = laboratory.post(form, {"du": "2026-01-01", "au": "2025-06-30", "resume": "court",
                                 "rapport": (io.BytesIO(b"<html>"), "rapport.pdf")})
    assert bad.status_code == 422 and "après son début" in bad.get_data(as_text=True)
    not_pdf = laboratory.post(form, {"du": "2026-01-01", "au": "2026-06-30", "resume": "x" * 40,
                                     "rapport": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 64), "rapport.pdf")})
    assert not_pdf.status_code == 422
    assert db.exec(select(Filing).where(Filing.form == "RSP")).first() is None  # nothing half-written
    summary = "Douze patients traités au premier semestre, pas de nouveau signal de sécurité."
    filed = laboratory.post(form, {"du": "2026-01-01", "au": "2026-06-30", "resume": summary,
                                   "rapport": (io.BytesIO(PDF), "rapport.pdf")})
    assert filed.status_code == 303
    report = db.exec(select(Filing).where(Filing.form == "RSP")).one()
    assert report.state == "deposee" and report.reference.startswith("RSP-")
    evaluator = as_actor("evaluator")
    assert report.reference in evaluator.get("/rapports/").get_data(as_text=True)
    assert evaluator.post(f"/rapports/{report.id}/demander_modifications", {"message": ""}).status_code == 422
    assert evaluator.post(f"/rapports/{report.id}/demander_modifications",
                          {"message": "Ajoutez les effets non graves."}).status_code == 303
    db.refresh(report)
    assert report.state == "a_modifier"
    again = as_actor("laboratory").post(f"/rapports/{report.id}/deposer", {
        "du": "2026-01-01", "au": "2026-06-30", "resume": summary + " Deux effets non graves.",
        "rapport": (io.BytesIO(PDF), "rapport-v2.pdf")})
    assert again.status_code == 303
    assert as_actor("evaluator").post(f"/rapports/{report.id}/valider").status_code == 303
    db.refresh(report), db.refresh(aac_world["product"])
    assert report.state == "valide" and "Deux effets non graves." in aac_world["product"].report_summaries[-1]
    public = as_actor("colleague").get(f"/referentiel/{aac_world['product'].code}").get_data(as_text=True)
    assert "Deux effets non graves." in public
    mailed = {m.recipient for m in db.exec(select(OutboxMessage).where(OutboxMessage.subject.startswith("Résumé")))}
    assert mailed == {aac_world["prescriber"].email, aac_world["pharmacist"].email}
    aac_world["laboratory"].email = "nora@orphelins.example"
    db.add(aac_world["laboratory"])
    db.flush()
    due = date(2026, 12, 30)  # the period ended on 30 June, the protocol asks a report every six months
    link = lambda code: f"http://localhost/laboratoire/{code}/rapport"  # noqa: E731
    assert reports.remind_reports(db, due - timedelta(days=8), link) == 0
    assert reports.remind_reports(db, due - timedelta(days=7), link) == 1
    assert reports.remind_reports(db, due - timedelta(days=2), link) == 0  # once per due date
    reminder = db.exec(select(OutboxMessage).where(OutboxMessage.subject.startswith("Rapport de synthèse attendu"))
                       ).one()
    assert reminder.recipient == "nora@orphelins.example" and "30/12/2026" in reminder.subject


def test_the_evaluator_sets_the_put_sp_in_the_referential(db, aac_world, as_actor):
    evaluator = as_actor("evaluator")
    code = aac_world["product"].code
    values = {"name": "Rarexib 50 mg, comprimé", "dci": "rarexibumab", "pharmaceutical_form": "comprimé",
              "strength": "50 mg", "status": "AAC", "max_days": "180",
              "indications": "Amylose\n- Patient adulte avec diagnostic génétique confirmé",
              "collecte": "1", "suivi_mois": "13", "rapport_mois": "6", "effets_vers": "laboratoire",
              "delegues": ["pharmacien"]}
    refused = evaluator.post(f"/referentiel/{code}/modifier", values)
    assert refused.status_code == 422 and "de 1 à 12 mois" in refused.get_data(as_text=True)
    assert evaluator.post(f"/referentiel/{code}/modifier", {**values, "suivi_mois": "2"}).status_code == 303
    db.refresh(aac_world["product"])
    assert aac_world["product"].protocol == {"collecte": True, "suivi_mois": 2, "delegues": ["pharmacien"],
                                             "effets_vers": "laboratoire", "rapport_mois": 6}
    page = evaluator.get(f"/referentiel/{code}").get_data(as_text=True)
    assert "tous les 2 mois" in page and "laboratoire exploitant" in page
