"""Issue 32: after the decision. The PUT-SP's forms on a granted request (refused values next to the field, the
draft kept), the next form due and its reminder, « suivi en retard », a delegate of the service, an adverse effect
sealed and routed to the region's CRPV with the evaluator flagged, the renewal pre-filled from the follow-up."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.models import AgencyRole, CaseStat, Filing, FilingDocument, OutboxMessage, PracticeActivity
from app.models.base import utcnow
from app.operations import follow_up

PROTOCOL = {"collecte": True, "suivi_mois": 3, "delegues": ["infirmier"], "effets_vers": "crpv", "rapport_mois": 6}


@pytest.fixture()
def granted(db, aac_world, make_aac_request):
    aac_world["product"].protocol = PROTOCOL
    aac_world["product"].collects_data = True
    db.add(aac_world["product"])
    db.flush()
    return make_aac_request("octroyee")


def fill(browser, file_id: int, code: str, step: str, data: dict):
    opened = browser.post(f"/suivi/{file_id}/fiche/{code}")
    assert opened.status_code == 303, opened.get_data(as_text=True)[:2000]
    assert opened.headers["Location"].endswith(f"/{step}")
    return opened.headers["Location"], browser.post(opened.headers["Location"], data)


def initiation(today: date) -> dict:
    return {"date_debut": today.isoformat(), "poids": "63,5", "posologie": "50 mg par jour"}


def test_a_grant_makes_the_initiation_due_and_bad_values_are_refused_next_to_the_field(db, granted, as_actor):
    today = utcnow().date()
    assert granted.follow_up_due == today + timedelta(days=7)
    prescriber = as_actor("prescriber")
    page = prescriber.get(f"/suivi/{granted.id}").get_data(as_text=True)
    assert "Fiche d’initiation" in page and "D.M." in page
    address, refused = fill(prescriber, granted.id, "INIT", "initiation",
                            {"date_debut": (today - timedelta(days=30)).isoformat(), "poids": "900",
                             "posologie": "50 mg"})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Erreur" in body.split("</title>")[0]
    assert "précède la décision" in body and "0,3 et 350 kg" in body
    draft = db.exec(select(Filing).where(Filing.parent_id == granted.id, Filing.form == "INIT")).one()
    db.refresh(draft)
    assert draft.state == "brouillon" and draft.payload["initiation"]["poids"] == "900"  # kept as typed
    assert 'value="900"' in prescriber.get(address).get_data(as_text=True)
    done = prescriber.post(address, initiation(today))
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/suivi/{granted.id}")
    db.refresh(draft), db.refresh(granted)
    assert draft.state == "transmise" and draft.reference.startswith("INIT-")
    assert granted.follow_up_due == follow_up.Protocol.of(PROTOCOL).next_due("INIT", today)
    counted = db.exec(select(CaseStat).where(CaseStat.measure == "suivis")).one()
    assert (counted.form, counted.bucket, counted.count) == ("AAC", "a_temps", 1)
    assert prescriber.post(address, initiation(today)).status_code == 403  # transmitted: no longer editable


def test_end_of_treatment_before_its_start_is_refused(db, granted, as_actor):
    today = utcnow().date()
    granted.payload = {**granted.payload, "decision": {**granted.payload["decision"],
                                                       "date": (today - timedelta(days=20)).isoformat()}}
    db.add(granted)
    db.flush()
    prescriber = as_actor("prescriber")
    fill(prescriber, granted.id, "INIT", "initiation", {**initiation(today), "date_debut": (
        today - timedelta(days=10)).isoformat()})
    address, refused = fill(prescriber, granted.id, "FIN", "fin", {
        "date_fin": (today - timedelta(days=15)).isoformat(), "motif": "fin_prevue"})
    assert refused.status_code == 422 and "ne peut précéder son début" in refused.get_data(as_text=True)
    before = prescriber.post(address, {"date_fin": (today - timedelta(days=25)).isoformat(), "motif": "fin_prevue"})
    assert before.status_code == 422 and "précède la décision" in before.get_data(as_text=True)
    future = prescriber.post(address, {"date_fin": (today + timedelta(days=3)).isoformat(), "motif": "fin_prevue"})
    assert future.status_code == 422 and "futur" in future.get_data(as_text=True)
    assert 'value="fin_prevue" checked' in future.get_data(as_text=True) or "fin_prevue" in \
        db.get(Filing, int(address.split("/")[-2])).payload["fin"]["motif"]  # the draft kept as typed


def test_a_nurse_of_the_establishment_fills_when_the_protocol_delegates_and_no_one_else(db, granted, aac_world,
                                                                                          make_person, as_person):
    nurse = make_person(profession_code="60", family_name="INFIRMIERE", given_name="Zoé")
    outsider = make_person(profession_code="60", family_name="AILLEURS", given_name="Yann")
    db.add_all([PracticeActivity(person_id=nurse.id, structure_id=aac_world["hospital"].id, profession_code="60"),
                PracticeActivity(person_id=outsider.id, structure_id=aac_world["other"].id, profession_code="60")])
    db.flush()
    today = utcnow().date()
    _, done = fill(as_person(nurse), granted.id, "INIT", "initiation", initiation(today))
    assert done.status_code == 303
    assert as_person(outsider).post(f"/suivi/{granted.id}/fiche/SUIVI").status_code == 403
    assert as_person(aac_world["colleague"]).get(f"/suivi/{granted.id}").status_code == 403
    assert as_person(aac_world["pharmacist"]).post(f"/suivi/{granted.id}/fiche/SUIVI").status_code == 403  # not
    # delegated by this protocol; the PUI still declares an adverse effect
    assert as_person(aac_world["pharmacist"]).post(f"/suivi/{granted.id}/fiche/EI").status_code == 303


def test_a_serious_adverse_effect_is_sealed_routed_to_the_regions_crpv_and_flagged(db, granted, aac_world,
                                                                                     make_person, as_person, tmp_path):
    crpv = make_person(profession_code="21", family_name="CRPV", given_name="Nantes", email="crpv@chu.example")
    other_crpv = make_person(profession_code="21", family_name="CRPV", given_name="Lyon")
    db.add_all([AgencyRole(national_id=crpv.national_id, role="crpv", scope="PDL"),
                AgencyRole(national_id=other_crpv.national_id, role="crpv", scope="ARA")])
    aac_world["evaluator"].email = "ines@ansm.example"
    db.flush()
    today = utcnow().date()
    pharmacist = as_person(aac_world["pharmacist"])
    _, missing = fill(pharmacist, granted.id, "EI", "effet", {"date_survenue": today.isoformat(),
                                                               "description": "Hépatite cytolytique",
                                                               "gravite": "grave", "evolution": "en_cours"})
    assert missing.status_code == 422 and "au moins un critère" in missing.get_data(as_text=True)
    _, done = fill(pharmacist, granted.id, "EI", "effet", {
        "date_survenue": today.isoformat(), "description": "Hépatite cytolytique", "gravite": "grave",
        "criteres_gravite": ["hospitalisation"], "evolution": "en_cours"})
    assert done.status_code == 303
    effect = db.exec(select(Filing).where(Filing.form == "EI", Filing.state == "transmise")).one()
    assert effect.payload["region"] == "PDL" and effect.payload["destinataire"] == "crpv"
    receipt = db.exec(select(FilingDocument).where(FilingDocument.filing_id == effect.id)).one()
    (tmp_path / "accuse.pdf").write_bytes(receipt.pdf)
    checked = subprocess.run(["pdfsig", tmp_path / "accuse.pdf"], capture_output=True, text=True)
    assert "Signature is Valid." in checked.stdout, checked.stdout + checked.stderr
    from io import BytesIO

    from asn1crypto import x509 as a_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from app.operations.pki import authority

    root = a_x509.Certificate.load(authority(db, "root").certificate_der)
    status = validate_pdf_signature(PdfFileReader(BytesIO(receipt.pdf)).embedded_signatures[0],
                                    ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.intact and status.valid and status.trusted
    text = subprocess.run(["pdftotext", tmp_path / "accuse.pdf", "-"], capture_output=True, text=True).stdout
    assert "Hépatite cytolytique" in text and "MEDECIN" not in text.upper().replace("PRESCRIPTEUR", "")
    mails = {m.recipient: m.subject for m in db.exec(select(OutboxMessage).where(OutboxMessage.filing_id ==
                                                                                   effect.id))}
    assert "grave" in mails["crpv@chu.example"] and mails["ines@ansm.example"].startswith("Signal")
    reader = as_person(crpv)
    assert effect.reference in reader.get("/vigilance/").get_data(as_text=True)
    assert reader.get(f"/suivi/fiche/{effect.id}").status_code == 200
    assert reader.get(f"/suivi/fiche/{effect.id}/accuse.pdf").data == receipt.pdf
    assert reader.get(f"/suivi/{granted.id}").status_code == 403  # the declaration, not the patient's file
    stranger = as_person(other_crpv)
    assert effect.reference not in stranger.get("/vigilance/").get_data(as_text=True)
    assert stranger.get(f"/suivi/fiche/{effect.id}").status_code == 403
    evaluator = as_person(aac_world["evaluator"])
    assert "Effets indésirables graves" in evaluator.get("/tableau-de-bord").get_data(as_text=True)


def test_reminders_are_sent_once_per_due_date_and_late_files_show(db, granted, aac_world, as_actor):
    today = utcnow().date()
    granted.follow_up_due = today + timedelta(days=3)
    db.add(granted)
    db.flush()
    link = lambda file_id: f"http://localhost/suivi/{file_id}"  # noqa: E731
    assert follow_up.remind(db, today, link) == 1
    assert follow_up.remind(db, today, link) == 0
    mail = db.exec(select(OutboxMessage).where(OutboxMessage.subject.startswith("Suivi"))).one()
    assert mail.recipient == aac_world["prescriber"].email and "fiche d’initiation" in mail.body.lower()
    granted.follow_up_due = today - timedelta(days=2)
    db.add(granted)
    db.flush()
    assert follow_up.remind(db, today, link) == 1  # a new due date: one more reminder, « en retard »
    assert "Suivi en retard" in as_actor("prescriber").get("/tableau-de-bord").get_data(as_text=True)
    late = as_actor("pharmacist").get("/suivi/en-retard").get_data(as_text=True)
    assert granted.reference in late  # the PUI's patients too


def test_a_renewal_is_prefilled_from_the_follow_up(db, granted, as_actor):
    today = utcnow().date()
    prescriber = as_actor("prescriber")
    fill(prescriber, granted.id, "INIT", "initiation", initiation(today))
    _, done = fill(prescriber, granted.id, "SUIVI", "suivi", {
        "date_visite": today.isoformat(), "poids": "61", "efficacite": "amelioration", "tolerance": "bonne",
        "poursuite": "oui", "commentaire": "Marche améliorée."})
    assert done.status_code == 303
    renewed = prescriber.post(f"/acces-compassionnel/{granted.id}/renouveler")
    assert renewed.status_code == 303
    renewal = db.exec(select(Filing).where(Filing.form == "AAC", Filing.id != granted.id)).one()
    assert renewal.payload["patient"]["poids"] == "61"
    assert "efficacité amélioration" in renewal.payload["prescription"]["donnees_cliniques"]
    assert "Marche améliorée." in renewal.payload["prescription"]["donnees_cliniques"]


def test_the_token_gone_while_sealing_a_declaration_leaves_nothing_then_it_goes_through(db, granted, as_actor,
                                                                                      monkeypatch):
    from app.models import ReferenceCounter
    from app.operations import pki
    from app.signing.hsm import HsmUnavailable

    today = utcnow().date()
    data = {"date_survenue": today.isoformat(), "description": "Éruption cutanée", "gravite": "non_grave",
            "evolution": "guerison"}
    prescriber = as_actor("prescriber")
    opened = prescriber.post(f"/suivi/{granted.id}/fiche/EI")
    sealing = pki.seal_pdf

    def gone(*_args, **_kwargs):
        raise HsmUnavailable("jeton retiré")

    monkeypatch.setattr(pki, "seal_pdf", gone)
    failed = prescriber.post(opened.headers["Location"], data)
    assert failed.status_code == 503
    effect = db.exec(select(Filing).where(Filing.form == "EI")).one()
    db.refresh(effect)
    assert effect.state == "brouillon" and effect.reference is None and effect.deposited_at is None
    assert db.exec(select(FilingDocument).where(FilingDocument.filing_id == effect.id)).first() is None
    assert db.exec(select(OutboxMessage).where(OutboxMessage.filing_id == effect.id)).first() is None
    assert db.exec(select(CaseStat).where(CaseStat.measure == "effets")).first() is None
    assert db.get(ReferenceCounter, ("EI", today.year)) is None
    monkeypatch.setattr(pki, "seal_pdf", sealing)
    assert prescriber.post(opened.headers["Location"], data).status_code == 303
    db.refresh(effect)
    assert effect.state == "transmise" and effect.reference == f"EI-{today.year}-000001"  # no number lost


def test_two_people_filling_the_initiation_one_transmits_it(db, granted, aac_world, make_person, as_person):
    nurse = make_person(profession_code="60", family_name="INFIRMIERE", given_name="Zoé")
    db.add(PracticeActivity(person_id=nurse.id, structure_id=aac_world["hospital"].id, profession_code="60"))
    db.flush()
    today = utcnow().date()
    nurse_form = as_person(nurse).post(f"/suivi/{granted.id}/fiche/INIT").headers["Location"]
    prescriber = as_person(aac_world["prescriber"])
    _, first = fill(prescriber, granted.id, "INIT", "initiation", initiation(today))
    assert first.status_code == 303
    late = as_person(nurse).post(nurse_form, initiation(today))
    assert late.status_code == 409 and "n’est plus attendue" in late.get_data(as_text=True)
    sent = db.exec(select(Filing).where(Filing.form == "INIT", Filing.state == "transmise")).all()
    assert len(sent) == 1
    kept = db.exec(select(Filing).where(Filing.form == "INIT", Filing.state == "brouillon")).one()
    db.refresh(kept)
    assert kept.filer_id == nurse.id and kept.payload["initiation"]["poids"] == "63,5"  # the draft as typed


def test_a_form_the_protocol_does_not_expect_yet_is_refused_on_the_patients_file(db, granted, as_actor):
    refused = as_actor("prescriber").post(f"/suivi/{granted.id}/fiche/SUIVI")  # the initiation comes first
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Erreur" in body.split("</title>")[0]
    assert "n’est pas attendue pour ce patient" in body and "Fiche d’initiation" in body
    assert db.exec(select(Filing).where(Filing.parent_id == granted.id)).first() is None


def test_a_protocol_may_send_the_declarations_to_the_laboratory(db, granted, aac_world, as_actor):
    aac_world["product"].protocol = {**PROTOCOL, "effets_vers": "laboratoire"}
    aac_world["laboratory"].email = "nora@orphelins.example"
    db.add_all([aac_world["product"], aac_world["laboratory"]])
    db.flush()
    _, done = fill(as_actor("prescriber"), granted.id, "EI", "effet", {
        "date_survenue": utcnow().date().isoformat(), "description": "Céphalées", "gravite": "non_grave",
        "evolution": "guerison"})
    assert done.status_code == 303
    effect = db.exec(select(Filing).where(Filing.form == "EI")).one()
    assert effect.payload["destinataire"] == "laboratoire"
    assert {m.recipient for m in db.exec(select(OutboxMessage).where(OutboxMessage.filing_id == effect.id))} == {
        "nora@orphelins.example"}  # not serious: the evaluators are not flagged
    assert effect.reference in as_actor("laboratory").get("/vigilance/").get_data(as_text=True)
    assert as_actor("laboratory").get(f"/suivi/fiche/{effect.id}").status_code == 200
    assert effect.reference not in as_actor("other_laboratory").get("/vigilance/").get_data(as_text=True)
    assert effect.reference not in as_actor("crpv").get("/vigilance/").get_data(as_text=True)
