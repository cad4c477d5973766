"""The compassionate-access request's plug-in to the one wizard: the situation a draft is in (a medicine of the
referential, its open indications and criteria, a renewal, the pharmacists the prescriber may designate) and the
rules no single field carries. The fields themselves are described in ``domain.forms.aac_request``."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from app.domain import aac
from app.domain.criteria import contradictions
from app.domain.forms import schema
from app.domain.forms.aac_request import AAC_REQUEST, CRITERIA, REFERENTIAL, RENEWAL
from app.domain.inputs import parse_int
from app.models import Person, PracticeActivity, ReferentialMedicine, Structure


def product(db: Session, code: str) -> ReferentialMedicine | None:
    return db.exec(select(ReferentialMedicine).where(ReferentialMedicine.code == code)).first() if code else None


def indication_of(medicine: ReferentialMedicine | None, code: str) -> dict | None:
    return next((i for i in (medicine.indications if medicine else []) if i.get("code") == code), None)


def pharmacists(db: Session, structure_ids) -> list[tuple[Person, Structure]]:
    """The PUI pharmacists practising in these structures (the prescriber designates one of them)."""
    if not structure_ids:
        return []
    return list(db.exec(select(Person, Structure).join(PracticeActivity, PracticeActivity.person_id == Person.id)
                        .join(Structure, Structure.id == PracticeActivity.structure_id)
                        .where(PracticeActivity.structure_id.in_(list(structure_ids)),
                               PracticeActivity.pharmacy_pui.is_(True), Person.profession_code == "21")
                        .order_by(Structure.name, Person.family_name)))


def dispensing_structures(db: Session, text: str) -> list[int]:
    """Structures with a PUI pharmacist whose name contains ``text`` or whose FINESS is ``text`` (ten at most): the
    establishment that will dispense may not be one where the prescriber practises (a liberal, a partner hospital)."""
    text = " ".join((text or "").split())
    if len(text) < 3:
        return []
    digits = text.replace(" ", "")
    return list(db.exec(select(Structure.id).join(PracticeActivity, PracticeActivity.structure_id == Structure.id)
                        .where(PracticeActivity.pharmacy_pui.is_(True),
                               Structure.name.ilike(f"%{text}%") | (Structure.finess == digits))
                        .distinct().order_by(Structure.id).limit(10)))


def situation(db: Session, payload: dict, step: str, *, today: date, activity_ids=frozenset()) -> schema.Situation:
    """What the draft ``payload`` shows and offers on ``step``: flags, choices read from the referential and the
    prescriber's structures, the medicine's maximum duration in the hint."""
    medicament = payload.get("medicament") or {}
    medicine = product(db, medicament.get("code", ""))
    indication = indication_of(medicine, medicament.get("indication", ""))
    flags = {flag for flag, present in ((REFERENTIAL, medicine is not None),
                                        (CRITERIA, bool(indication and indication.get("criteria"))),
                                        (RENEWAL, payload.get("renouvellement_de") is not None)) if present}
    choices: dict[str, list] = {}
    hints: dict[str, str] = {}
    if step == "medicament":
        opened = db.exec(select(ReferentialMedicine).where(ReferentialMedicine.status == "AAC")
                         .order_by(ReferentialMedicine.name)).all()
        choices["code"] = [(p.code, f"{p.name} ({p.dci})") for p in opened if p.open_to_aac(today)]
        typed = medicament.get("code", "")
        if typed and typed not in {code for code, _ in choices["code"]}:  # shown as chosen, then refused
            choices["code"].append((typed, medicine.name if medicine else typed))
        choices["indication"] = [(i["code"], i.get("label", i["code"])) for i in (medicine.indications if medicine
                                                                                   else []) if aac.indication_open(i)]
    elif step == "prescription":
        choices["criteres"] = [(c, c) for c in (indication or {}).get("criteria", ())]
        if medicine is not None and medicine.max_days:
            hints["duree"] = f"1 à 365 ; maximum pour ce médicament : {medicine.max_days} jours"
    elif step == "engagement":
        searched = dispensing_structures(db, (payload.get("engagement") or {}).get("etablissement", ""))
        choices["pharmacien"] = [(f"{p.id}:{s.id}", p.shown_name, s.name)
                                 for p, s in pharmacists(db, set(activity_ids) | set(searched))]
    return schema.Situation(frozenset(flags), choices, hints)


def patient_errors(data: dict, today: date) -> dict[str, str]:
    """A patient as the portal may hold one (every request and registration): initials only, a past birth month,
    a weight a patient may have."""
    errors: dict[str, str] = {}
    for key, label in (("initiale_nom", "nom"), ("initiale_prenom", "prénom")):
        if message := aac.check_initials(data.get(key, ""), label):
            errors[key] = message
    month, year = data.get("mois_naissance", ""), data.get("annee_naissance", "")
    if month and parse_int(month, low=1, high=12) is None:
        errors["mois_naissance"] = "Le mois de naissance va de 1 à 12."
    elif month and year and aac.age_from(parse_int(month) or 0, parse_int(year, high=9999) or 0, today) is None:
        errors["annee_naissance"] = "Mois et année de naissance passés (ex. 3 et 1958)."
    if data.get("poids") and (message := aac.check_weight(data.get("poids"))):
        errors["poids"] = message
    return errors


def _rules(db: Session, step: str, data: dict, seen: schema.Situation, *, today: date) -> dict[str, str]:
    """The request's rules beyond each field's own check (they win over it on the same field)."""
    errors: dict[str, str] = {}
    if step == "patient":
        if data.get("cadre") in aac.NOT_AAC:
            errors["cadre"] = aac.NOT_AAC[data["cadre"]]
        errors |= patient_errors(data, today)
    elif step == "medicament":
        medicine = product(db, data.get("code", ""))
        if data.get("code") and medicine is None:
            errors["code"] = "Médicament inconnu du référentiel : choisissez-le dans la liste, ou décrivez-le."
        elif medicine is not None and not medicine.open_to_aac(today):
            errors["code"] = (f"L’accès compassionnel à {medicine.name} est terminé"
                              + (f" depuis le {medicine.ended_on:%d/%m/%Y}" if medicine.ended_on else "")
                              + " : aucune nouvelle demande n’est possible.")
        chosen = indication_of(medicine, data.get("indication", ""))
        if chosen is not None and not aac.indication_open(chosen):
            errors["indication"] = (f"L’accès compassionnel dans l’indication « {chosen.get('label', '')} » est "
                                    "terminé : aucune nouvelle demande n’est possible dans cette indication.")
        elif medicine is not None and chosen is None and not data.get("indication_libre", "").strip():
            errors["indication"] = "Choisissez l’indication, ou décrivez-la."
    elif step == "prescription":
        if data.get("duree") and (message := aac.check_duration(data.get("duree"))):
            errors["duree"] = message
        if CRITERIA in seen.flags and not data.get("criteres") and not data.get("justification", "").strip():
            errors["justification"] = ("Attestez les critères d’octroi, ou justifiez la demande (pas d’essai "
                                       "possible, pas de traitement approprié, efficacité et sécurité présumées).")
    return errors


def step_errors(db: Session, step: str, data: dict, payload: dict, *, today: date,
                activity_ids=frozenset()) -> dict[str, str]:
    """French messages by field for one step as typed (``data``) in the draft ``payload``."""
    seen = situation(db, {**payload, step: data}, step, today=today, activity_ids=activity_ids)
    errors = schema.step_errors(AAC_REQUEST.step(step), data, seen) | _rules(db, step, data, seen, today=today)
    if step == "prescription" and "criteres" not in errors:
        if wrong := contradictions(data.get("criteres"), {**payload, step: data}, today):
            errors["criteres"] = "; ".join(wrong) + "\u00a0: décochez ce critère, ou corrigez le patient."
    return errors


def all_errors(db: Session, filing, *, today: date, activity_ids) -> dict[str, dict[str, str]]:
    """Every step's errors; empty when the request may be sent to the PUI."""
    found = {s.name: step_errors(db, s.name, filing.payload.get(s.name) or {}, filing.payload, today=today,
                                 activity_ids=activity_ids) for s in AAC_REQUEST.steps}
    return {name: errs for name, errs in found.items() if errs}
