"""A patient's file after the decision (an AAC granted, a CPC patient registered) and the forms that follow it:
the PUT-SP's initiation, follow-up and end forms, adverse-effect declarations, and the CPC registration itself.
Each form is a specification of ``domain.forms.follow_up`` filled through the one wizard; here are its rules
against the file, and its effects when transmitted. Operations flush; the request commits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.domain import follow_up as rules
from app.domain.casefiles import FILER, PORTAL, InvalidTransition
from app.domain.criteria import contradictions
from app.domain.forms import schema
from app.domain.forms.follow_up import BY_CODE, CPC_REGISTRATION, FOLLOW_UP_FORMS
from app.domain.protocol import LABORATORY, Protocol, region_of
from app.domain.refusals import Conflict
from app.models import AgencyRole, Filing, FilingDocument, Person, ReferentialMedicine, Structure
from app.models.base import utcnow
from app.operations import aac_wizard, audit, outbox, statistics
from app.operations.casefiles import Refused, next_reference, transition


@dataclass(frozen=True)
class PatientFile:
    """The root of a patient's follow-up: an AAC request granted (or expired), or a CPC registration."""

    filing: Filing
    medicine: ReferentialMedicine | None
    protocol: Protocol

    @property
    def filer_id(self) -> int:
        return self.filing.filer_id

    @property
    def structure_id(self) -> int | None:
        return self.filing.structure_id

    @property
    def laboratory(self) -> str:
        return self.medicine.laboratory if self.medicine else ""

    @property
    def started_on(self) -> date | None:
        """When the patient's treatment could begin: the AAC's decision, the CPC's registration."""
        decided = (self.filing.payload.get("decision") or {}).get("date")
        return date.fromisoformat(decided) if decided else None


@dataclass(frozen=True)
class FollowUpForm:
    """One form on a patient's file (its draft or its transmitted copy), for ``can()``: who may read or edit it
    goes through the file it is on."""

    form: Filing
    patient: PatientFile

    def __getattr__(self, name):  # filing, filer_id, structure_id, protocol, laboratory: the patient file's
        return getattr(self.patient, name)


def protocol_of(medicine: ReferentialMedicine | None) -> Protocol:
    return Protocol.of(medicine.protocol if medicine else None, collects=bool(medicine and medicine.collects_data))


def patient_file(db: Session, filing: Filing | None) -> PatientFile | None:
    """The file ``filing`` is the root of, or None when it is not one (a draft, a refused request, another form)."""
    if filing is None or filing.form not in ("AAC", "CPC") or filing.state not in rules.PATIENT_FILE_STATES:
        return None
    medicine = aac_wizard.product(db, (filing.payload.get("medicament") or {}).get("code", ""))
    return PatientFile(filing, medicine, protocol_of(medicine))


def forms_on(db: Session, root: Filing) -> list[Filing]:
    return list(db.exec(select(Filing).where(Filing.parent_id == root.id).order_by(Filing.id)))


def offered(file: PatientFile, forms: list[Filing]) -> list[str]:
    """The follow-up forms that may be filled now, in the protocol's order; an adverse effect always may."""
    done = {f.form for f in forms if f.state == "transmise"}
    if not file.protocol.collects or "FIN" in done:
        return ["EI"]
    return (["INIT"] if "INIT" not in done else ["SUIVI", "FIN"]) + ["EI"]


def open_form(db: Session, file: PatientFile, code: str, *, person_id: int, actor: str) -> Filing:
    """The actor's draft of ``code`` on this file: the one they left, or a new one."""
    if code not in offered(file, forms_on(db, file.filing)):
        raise InvalidTransition("Cette fiche n’est pas attendue pour ce patient à ce stade du protocole.")
    draft = db.exec(select(Filing).where(Filing.parent_id == file.filing.id, Filing.form == code,
                                         Filing.filer_id == person_id, Filing.state == "brouillon")).first()
    if draft is not None:
        return draft
    draft = Filing(form=code, parent_id=file.filing.id, structure_id=file.structure_id, filer_id=person_id,
                   payload={}, idempotency_key=secrets.token_urlsafe(24))
    db.add(draft)
    db.flush()
    audit.record(db, actor=actor, action="follow_up.opened", object_type="filing", object_id=draft.id,
                 after={"form": code, "file": file.filing.reference})
    return draft


def open_registration(db: Session, *, prescriber_id: int, actor: str, code: str = "", patient: dict | None = None,
                      renews: Filing | None = None, establishment: int | None = None) -> Filing:
    """A CPC registration draft (from the référentiel's page, or routed from an AAC renewal, pre-filled)."""
    payload = {"conditions": {"code": code}} if code else {}
    if (place := establishment or (renews.structure_id if renews is not None else None)) is not None:
        payload["conditions"] = {**payload.get("conditions", {}), "etablissement": str(place)}
    if patient:
        payload["patient"] = {k: v for k, v in patient.items() if k != "cadre"}
    if renews is not None:
        payload["relais_de"] = renews.id
    draft = Filing(form="CPC", structure_id=None, filer_id=prescriber_id,
                   payload=payload, idempotency_key=secrets.token_urlsafe(24), parent_id=renews.id if renews else None)
    db.add(draft)
    db.flush()
    audit.record(db, actor=actor, action="cpc.opened", object_type="filing", object_id=draft.id)
    return draft


def _cpc_products(db: Session, today: date) -> list[ReferentialMedicine]:
    found = db.exec(select(ReferentialMedicine).where(ReferentialMedicine.status == "CPC")
                    .order_by(ReferentialMedicine.name)).all()
    return [m for m in found if m.cpc_until is None or m.cpc_until >= today]


def situation(db: Session, form: str, payload: dict, step: str, *, today: date,
              activity_ids=frozenset()) -> schema.Situation:
    """The CPC registration's choices: the CPCs in force, the chosen one's conditions, the establishments where
    the prescriber practises."""
    if form != "CPC" or step != "conditions":
        return schema.PLAIN
    chosen = aac_wizard.product(db, (payload.get("conditions") or {}).get("code", ""))
    places = db.exec(select(Structure).where(Structure.id.in_(sorted(activity_ids) or [0]))
                     .order_by(Structure.name)).all()
    return schema.Situation(choices={"code": [(m.code, f"{m.name} ({m.dci})") for m in _cpc_products(db, today)],
                                     "criteres": [(c, c) for c in (chosen.granting_criteria if chosen else [])],
                                     "etablissement": [(str(p.id), p.name) for p in places]})


def step_errors(db: Session, draft: Filing, step: str, data: dict, *, file: PatientFile | None,
                today: date, activity_ids=frozenset()) -> dict[str, str]:
    """French messages by field: the field's own checks, then the form's rules against the file."""
    spec = BY_CODE[draft.form]
    seen = situation(db, draft.form, {**draft.payload, step: data}, step, today=today, activity_ids=activity_ids)
    errors = schema.step_errors(spec.step(step), data, seen)
    if draft.form == "CPC":
        if step == "patient":
            errors |= aac_wizard.patient_errors(data, today)
        elif step == "conditions" and data.get("code") and "code" not in errors:
            chosen = aac_wizard.product(db, data["code"])
            missing = [c for c in chosen.granting_criteria if c not in (data.get("criteres") or [])]
            if missing:
                errors["criteres"] = ("Le CPC s’applique au patient qui remplit chacune de ses conditions\u00a0: "
                                      + "\u00a0; ".join(missing) + ".")
            elif wrong := contradictions(data.get("criteres"), {**draft.payload, step: data}, today):
                errors["criteres"] = "; ".join(wrong) + "\u00a0: corrigez le patient."
        return errors
    started = _started(db, file) if file else None
    found = rules.rules(draft.form, data, decided_on=file.started_on if file else None, started_on=started)
    return errors | {k: v for k, v in found.items() if k not in errors}


def _started(db: Session, file: PatientFile) -> date | None:
    init = next((f for f in forms_on(db, file.filing) if f.form == "INIT" and f.state == "transmise"), None)
    typed = ((init.payload.get("initiation") or {}).get("date_debut") if init else "") or ""
    return date.fromisoformat(typed) if typed else None


def save_step(db: Session, draft: Filing, step: str, data: dict) -> None:
    """The draft as typed, valid or not; a patient's name typed where initials are asked is never kept."""
    if draft.state != "brouillon":
        raise InvalidTransition("Cette fiche a été transmise\u00a0: elle ne se modifie plus.")
    if step == "patient":
        from app.domain.aac import initials

        data = {**data, **{k: initials(data.get(k, "")) for k in ("initiale_nom", "initiale_prenom")}}
    draft.payload = {**draft.payload, step: data}
    draft.updated_at = utcnow()
    db.add(draft)
    db.flush()


def transmit(db: Session, draft: Filing, *, file: PatientFile | None, actor: str, auth_method: str, keystore,
             base_url: str, today: date, activity_ids=frozenset()) -> None:
    """Transmit the form: every step checked (a :class:`Refused` keeps the draft), a reference, then its effects:
    the next follow-up due, a CPC's registration, an adverse effect's sealed receipt and its recipients."""
    spec = BY_CODE[draft.form]
    errors = {s.name: e for s in spec.steps
              if (e := step_errors(db, draft, s.name, draft.payload.get(s.name) or {}, file=file, today=today,
                                   activity_ids=activity_ids))}
    if errors:
        raise Refused(errors)
    if file is not None:  # the file locked: two people filling the same form, one transmits it
        db.refresh(file.filing, with_for_update=True)
        if draft.form not in offered(file, forms_on(db, file.filing)):
            raise Conflict(f"{spec.title} n’est plus attendue\u00a0: une autre a été transmise entre-temps pour ce "
                           "patient. Votre brouillon est gardé.")
    now = utcnow()
    draft.reference = next_reference(db, draft.form, now.year)
    draft.deposited_at = now
    if draft.form == "CPC":
        _register(db, draft, actor=actor, auth_method=auth_method, today=today)
        return
    if file is None:
        raise InvalidTransition("Ce dossier patient n’accepte plus de fiche.")
    transition(db, draft, "transmettre", by=FILER, actor=actor, auth_method=auth_method)
    root, product = file.filing, statistics.product_of(file.filing.payload)
    month = statistics.month_of(now)
    if draft.form in FOLLOW_UP_FORMS:
        on_time = root.follow_up_due is None or today <= root.follow_up_due
        statistics.add(db, [(root.form, product, month, "suivis", "a_temps" if on_time else "en_retard")])
        root.follow_up_due = file.protocol.next_due(draft.form, today)
        root.follow_up_reminded_for = None
        db.add(root)
        if draft.form == "FIN" and root.form == "CPC":
            transition(db, root, "terminer", by=PORTAL, actor="portail")
    else:
        _declare(db, draft, file, keystore, base_url=base_url, actor=actor, auth_method=auth_method)
        statistics.add(db, [(root.form, product, month, "effets", draft.payload["effet"]["gravite"])])
    db.flush()


def _register(db: Session, draft: Filing, *, actor: str, auth_method: str, today: date) -> None:
    """The patient is registered at once (nothing waits for an evaluator); the follow-up applies."""
    medicine = aac_wizard.product(db, draft.payload["conditions"]["code"])
    draft.payload = {**draft.payload, "medicament": {"code": medicine.code},
                     "decision": {"date": today.isoformat(), "cadre": "CPC"}}
    draft.structure_id = int(draft.payload["conditions"]["etablissement"])  # its PUI follows; its region's CRPV
    transition(db, draft, "inscrire", by=FILER, actor=actor, auth_method=auth_method)
    protocol = protocol_of(medicine)
    draft.follow_up_due = first_due(protocol, today)
    statistics.add(db, [("CPC", medicine.code, statistics.month_of(utcnow()), "inscriptions", "")])
    db.add(draft)
    db.flush()


def first_due(protocol: Protocol, decided: date) -> date | None:
    """The initiation form is due at the first dispensing: within a week of the decision."""
    return decided + timedelta(days=7) if protocol.collects else None


def _declare(db: Session, draft: Filing, file: PatientFile, keystore, *, base_url: str, actor: str,
             auth_method: str) -> None:
    """An adverse effect: to the CRPV of the file's region (or the laboratory, as the protocol says), sealed with
    its receipt; a serious effect is flagged to the ANSM's evaluators at once."""
    from app.documents.filing import Signature, render_filing
    from app.domain.clock import for_people
    from app.domain.codes import AUTH_METHODS
    from app.operations.pki import seal_pdf

    structure = db.get(Structure, file.structure_id) if file.structure_id else None
    region = region_of(structure.departement if structure else "")
    to = file.protocol.effects_to
    draft.payload = {**draft.payload, "region": region, "destinataire": to,
                     "produit": statistics.product_of(file.filing.payload)}
    declarant = db.get(Person, draft.filer_id)
    pdf = render_filing(BY_CODE["EI"], reference=draft.reference, structure=patient_block(file),
                        payload=draft.payload, attachments=[], about="Patient et médicament",
                        signature=Signature(declarant.shown_name, declarant.national_id, for_people(utcnow()),
                                            AUTH_METHODS.get(auth_method, auth_method or "—")))
    sealed = seal_pdf(db, keystore, pdf, reason=f"Déclaration d’effet indésirable {draft.reference}")
    db.add(FilingDocument(filing_id=draft.id, version=1, pdf=sealed, kind="accuse",
                          sha256=hashlib.sha256(sealed).hexdigest()))
    link = f"{base_url}/suivi/fiche/{draft.id}"
    scope = (AgencyRole.role == "laboratory") & (AgencyRole.scope == file.laboratory) if to == LABORATORY else (
        (AgencyRole.role == "crpv") & (AgencyRole.scope == region))
    serious = draft.payload["effet"]["gravite"] == "grave"
    outbox.queue(db, _emails(db, scope),
                 f"Effet indésirable {'grave ' if serious else ''}déclaré\u00a0: {draft.reference}",
                 f"Un effet indésirable {'grave ' if serious else ''}a été déclaré sur {_medicine(file)}.\n"
                 f"Déclaration et accusé scellé\u00a0: {link}", filing_id=draft.id)
    if serious:
        outbox.queue(db, _emails(db, AgencyRole.role == "ansm_evaluator"),
                     f"Signal\u00a0: effet indésirable grave sur {_medicine(file)} ({draft.reference})",
                     f"Un effet indésirable grave a été déclaré sur {_medicine(file)} (dossier "
                     f"{file.filing.reference}).\n{link}", filing_id=draft.id)


def _emails(db: Session, condition) -> list[str]:
    return [e for e in db.exec(select(Person.email).join(AgencyRole, AgencyRole.national_id == Person.national_id)
                               .where(condition)).all() if e]


def _medicine(file: PatientFile) -> str:
    return file.medicine.name if file.medicine else "un médicament hors référentiel"


def patient_block(file: PatientFile) -> list[tuple[str, str]]:
    """What a document may say of the patient: initials, sex, age, weight; and the medicine, the file."""
    from app.domain.aac import age_from
    from app.domain.inputs import parse_int

    patient = file.filing.payload.get("patient") or {}
    age = age_from(parse_int(str(patient.get("mois_naissance", ""))) or 0,
                   parse_int(str(patient.get("annee_naissance", "")), high=9999) or 0, date.today())
    return [("Patient", f"{patient.get('initiale_nom', '')}.{patient.get('initiale_prenom', '')}."),
            ("Sexe", {"F": "Féminin", "M": "Masculin"}.get(patient.get("sexe", ""), "—")),
            ("Âge", f"{age} ans" if age is not None else "—"), ("Poids", f"{patient.get('poids', '—')} kg"),
            ("Médicament", _medicine(file)), ("Dossier", file.filing.reference or "")]


def late_condition(actor) -> sa.ColumnElement[bool]:
    """The patient files whose follow-up is late that ``actor`` fills or oversees: their own, their PUI's."""
    table = Filing.__table__
    mine = table.c.filer_id == actor.person_id
    if actor.is_hospital_pharmacist:
        mine |= table.c.structure_id.in_(sorted(actor.pui_structure_ids))
    return (table.c.follow_up_due < date.today()) & mine


def late_files(db: Session, actor, limit: int = 50) -> list[Filing]:
    return list(db.exec(select(Filing).where(late_condition(actor)).order_by(Filing.follow_up_due).limit(limit)))


def count_late(db: Session, actor) -> int:
    return db.execute(sa.select(sa.func.count()).select_from(Filing.__table__).where(late_condition(actor))).scalar()


def count_serious(db: Session, today: date, days: int = 30) -> int:
    """Serious adverse effects declared in the last ``days`` (the evaluator's dashboard flags them)."""
    from datetime import UTC, datetime, time

    since = datetime.combine(today - timedelta(days=days), time.min, tzinfo=UTC)
    return db.execute(sa.select(sa.func.count()).select_from(Filing.__table__).where(
        Filing.form == "EI", Filing.state == "transmise", Filing.deposited_at >= since,
        Filing.payload["effet"]["gravite"].as_string() == "grave")).scalar()


def remind(db: Session, today: date, link) -> int:
    """``follow-up-reminders``: a week before a form is due, the prescriber (and the PUI when the protocol
    delegates to it) gets one e-mail per due date; run twice, it sends nothing more."""
    count = 0
    due = db.exec(select(Filing).where(Filing.follow_up_due.is_not(None),
                                       Filing.follow_up_due <= today + timedelta(days=7))).all()
    for root in due:
        if root.follow_up_reminded_for == root.follow_up_due:
            continue
        file = patient_file(db, root)
        if file is None:
            continue
        recipients = [db.get(Person, root.filer_id)]
        pharmacist = (root.payload.get("engagement") or {}).get("pharmacien", "")
        if "pharmacien" in file.protocol.delegates and pharmacist:
            recipients.append(db.get(Person, int(pharmacist.split(":")[0])))
        late = root.follow_up_due < today
        expected = "La fiche d’initiation" if not any(f.form == "INIT" and f.state == "transmise"
                                                      for f in forms_on(db, root)) else "La fiche de suivi"
        outbox.queue(db, [p.email for p in recipients if p is not None and p.email],
                     f"Suivi {'en retard' if late else 'à remplir'}\u00a0: {root.reference}",
                     f"{expected} du patient {root.reference} ({_medicine(file)}) est attendue pour le "
                     f"{root.follow_up_due:%d/%m/%Y}, selon le protocole (PUT-SP).\n"
                     f"Remplissez-la\u00a0: {link(root.id)}",
                     filing_id=root.id)
        root.follow_up_reminded_for = root.follow_up_due
        db.add(root)
        count += 1
    db.flush()
    return count


CPC_STEPS = tuple(s.name for s in CPC_REGISTRATION.steps)
