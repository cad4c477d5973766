"""Compassionate-access requests: the prescriber's draft and its checks, the PUI's transmission, the automatic
decision when the request conforms, the evaluator's decisions; each sealed decision gets a public
verification code. Operations flush; the request commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from app.domain import aac
from app.domain.casefiles import InvalidTransition
from app.domain.criteria import contradictions
from app.domain.forms.aac_request import AAC_REQUEST
from app.domain.inputs import parse_id
from app.domain.permissions import AAC_BEFORE_AGENCY, Actor, aac_following
from app.models import Filing, FilingDocument, FilingEvent, Person, Structure
from app.models.base import utcnow
from app.operations import audit, outbox
from app.operations.aac_wizard import all_errors, indication_of, product, step_errors
from app.operations.casefiles import next_reference, transition

STEPS = tuple((s.name, s.title) for s in AAC_REQUEST.steps)


def open_request(db: Session, *, prescriber_id: int, actor: str, code: str = "") -> Filing:
    filing = Filing(form="AAC", structure_id=None, filer_id=prescriber_id, idempotency_key=secrets.token_urlsafe(24),
                    payload={"medicament": {"code": code}} if code else {})
    db.add(filing)
    db.flush()
    audit.record(db, actor=actor, action="aac.opened", object_type="filing", object_id=filing.id)
    return filing


EDITABLE = ("brouillon", "retournee")


def followed_requests(actor: Actor, *, own: bool = False, agency: bool = False) -> sa.ColumnElement[bool]:
    """Which requests ``actor`` follows, as one SQL condition (history pages and exports alike): the agency those
    it has received (``agency``), a PUI pharmacist the PUI's sent requests (unless ``own``), anyone their own."""
    table, following = Filing.__table__, aac_following(actor, own=own, agency=agency)
    condition = table.c.filer_id == following.filer_id
    if following.agency:
        condition |= table.c.state.not_in(AAC_BEFORE_AGENCY)
    if following.pui_ids:
        condition |= table.c.structure_id.in_(sorted(following.pui_ids)) & (table.c.state != "brouillon")
    return condition
PATIENT_INITIALS = ("initiale_nom", "initiale_prenom")


def save_step(db: Session, filing: Filing, step: str, data: dict) -> None:
    """Keep a step as typed in the draft (valid or not), except what the portal never stores: a patient name
    typed where initials are asked is dropped before anything is written."""
    if filing.state not in EDITABLE:
        raise InvalidTransition("Cette demande a été envoyée : elle ne se modifie plus.")
    if step == "patient":
        data = {**data, **{key: aac.initials(data.get(key, "")) for key in PATIENT_INITIALS}}
    filing.payload = {**filing.payload, step: data}
    filing.updated_at = utcnow()
    db.add(filing)
    db.flush()


def move(db: Session, filing: Filing, verb: str, by: str, *, actor: str, message: str = "",
         auth_method: str = "", agent: Actor | None = None, link: str = "") -> None:
    """Take the transition ``verb`` as ``by`` through the one case-file transition. The evaluator's decisions need
    the ``agent``: nobody decides a request they filed, are named in, or whose PUI they work in. A complement
    asked is mailed to the prescriber and the PUI pharmacist, either of whom answers (``link``: the request)."""

    def after(_event) -> None:
        if verb == "demander_donnees_labo":  # from now on the product's laboratory sees this request
            filing.payload = {**filing.payload, "donnees_labo_demandees": True}
            db.add(filing)
        if verb == "demander_complements":
            pharmacist = parse_id(str((filing.payload.get("engagement") or {}).get("pharmacien", "")).partition(":")[0])
            people = [db.get(Person, filing.filer_id), db.get(Person, pharmacist) if pharmacist else None]
            outbox.queue(db, [p.email for p in people if p is not None and p.email],
                         f"Demande d’accès compassionnel {filing.reference} : l’ANSM demande des compléments",
                         f"L’ANSM demande des compléments sur la demande {filing.reference} :\n\n{message}\n\n"
                         f"Répondez depuis la demande (le prescripteur ou le pharmacien de la PUI) : {link}",
                         filing_id=filing.id)

    transition(db, filing, verb, by=by, actor=actor, agent=agent, message=message, auth_method=auth_method,
               after=after)


def submit(db: Session, filing: Filing, *, actor: str, auth_method: str, activity_ids, today: date,
           link: str) -> None:
    """The prescriber sends the request to the PUI pharmacist they designated."""
    errors = all_errors(db, filing, today=today, activity_ids=activity_ids)
    if errors:
        from app.operations.casefiles import Refused

        raise Refused(errors)
    pharmacist_id, structure_id = (int(x) for x in filing.payload["engagement"]["pharmacien"].split(":"))
    filing.structure_id = structure_id
    if filing.reference is None:
        filing.reference = next_reference(db, "AAC", utcnow().year)
        filing.deposited_at = utcnow()
    move(db, filing, "soumettre", aac.PRESCRIBER, actor=actor, auth_method=auth_method)
    pharmacist = db.get(Person, pharmacist_id)
    outbox.queue(db, [pharmacist.email], f"Demande d’accès compassionnel {filing.reference} à valider",
                 f"Une demande d’autorisation d’accès compassionnel attend votre vérification : {link}",
                 filing_id=filing.id)


def transmit(db: Session, filing: Filing, keystore, *, actor: str, auth_method: str, base_url: str,
             prescriber_specialties=frozenset(), today: date) -> bool:
    """The pharmacist transmits; the portal decides at once when the request conforms. Returns True then."""
    move(db, filing, "transmettre", aac.PHARMACIST, actor=actor, auth_method=auth_method)
    payload = filing.payload
    medicine = product(db, payload["medicament"].get("code", ""))
    indication = indication_of(medicine, payload["medicament"].get("indication", ""))
    criteria = tuple(indication.get("criteria", [])) if indication else ()
    attested = frozenset(payload["prescription"].get("criteres") or [])
    allowed = not (medicine and medicine.prescriber_specialties) or bool(
        set(medicine.prescriber_specialties) & set(prescriber_specialties))
    verdict = aac.conformity(referenced=medicine is not None,
                             open_to_aac=bool(medicine and medicine.open_to_aac(today)),
                             indication_listed=indication is not None, criteria=criteria, attested=attested,
                             indication_is_open=aac.indication_open(indication),
                             prescriber_allowed=allowed, days=int(payload["prescription"]["duree"]),
                             max_days=medicine.max_days if medicine else aac.MAX_DAYS)
    wrong = contradictions(attested, payload, today)  # refused in the wizard: here only if the rules changed since
    reasons = list(verdict.reasons) + wrong
    filing.payload = {**payload, "decision": {"automatique": not reasons, "ecarts": reasons}}
    if reasons:
        return False
    grant(db, filing, keystore, actor="portail", by=aac.PORTAL, verb="octroyer_automatiquement",
          days=int(payload["prescription"]["duree"]), conditions=medicine.conditions, base_url=base_url,
          today=today)
    return True


def grant(db: Session, filing: Filing, keystore, *, actor: str, by: str, verb: str, days: int, conditions: str,
          base_url: str, today: date, comment: str = "", agent: Actor | None = None) -> FilingDocument:
    if aac.check_duration(days):
        raise InvalidTransition(aac.check_duration(days), field="duree")
    end = today + timedelta(days=days - 1)
    decision = {**(filing.payload.get("decision") or {}), "issue": "octroi", "duree": days,
                "fin": end.isoformat(), "conditions": conditions, "commentaire": comment.strip(),
                "date": today.isoformat()}
    filing.payload = {**filing.payload, "decision": decision}
    move(db, filing, verb, by, actor=actor, message=comment, agent=agent)
    from app.operations.follow_up import first_due, protocol_of

    filing.follow_up_due = first_due(protocol_of(product(db, filing.payload["medicament"].get("code", ""))), today)
    return seal_decision(db, filing, keystore, base_url=base_url)


def refuse(db: Session, filing: Filing, keystore, *, actor: str, reason: str, comment: str, base_url: str,
           today: date, agent: Actor | None = None) -> FilingDocument:
    if reason not in dict(aac.REFUSAL_REASONS):
        raise InvalidTransition("Choisissez le motif légal du refus.", field="motif")
    filing.payload = {**filing.payload, "decision": {**(filing.payload.get("decision") or {}), "issue": "refus",
                                                     "motif": reason, "commentaire": comment.strip(),
                                                     "date": today.isoformat()}}
    move(db, filing, "refuser", aac.EVALUATOR, actor=actor, message=comment or dict(aac.REFUSAL_REASONS)[reason],
         agent=agent)
    return seal_decision(db, filing, keystore, base_url=base_url)


def seal_decision(db: Session, filing: Filing, keystore, *, base_url: str) -> FilingDocument:
    """Render and seal the decision (the HSM signs before anything is written), with its verification link."""
    from app.documents.decision import render_decision
    from app.operations.pki import seal_pdf

    code = secrets.token_urlsafe(12)
    link = f"{base_url}/verification/{code}"
    prescriber = db.get(Person, filing.filer_id)
    structure = db.get(Structure, filing.structure_id)
    pharmacist = db.get(Person, int(filing.payload["engagement"]["pharmacien"].split(":")[0]))
    medicine = product(db, filing.payload["medicament"].get("code", ""))
    pdf = render_decision(filing=filing, prescriber=prescriber, pharmacist=pharmacist, structure=structure,
                          medicine=medicine, link=link, draft=False)
    sealed = seal_pdf(db, keystore, pdf, reason=f"Décision ANSM {filing.reference}")
    document = FilingDocument(filing_id=filing.id, version=1, pdf=sealed, kind="decision",
                              sha256=hashlib.sha256(sealed).hexdigest(), verification_code=code)
    db.add(document)
    db.flush()
    outbox.queue(db, [prescriber.email, pharmacist.email], f"Décision sur la demande {filing.reference}",
                 f"La décision sur la demande d’accès compassionnel {filing.reference} est disponible dans le "
                 f"portail. Vérification : {link}", filing_id=filing.id)
    return document


def renew(db: Session, previous: Filing, *, actor: str, today: date) -> Filing:
    """A renewal: a new request linked to a granted (or expired) one, pre-filled; the clinical data of the past
    period and the statement that continuing is useful are asked again. Refused once the product's AAC ended."""
    if previous.state not in ("octroyee", "expiree"):
        raise InvalidTransition("Seule une autorisation octroyée (ou expirée) se renouvelle.")
    medicine = product(db, (previous.payload.get("medicament") or {}).get("code", ""))
    if medicine is not None and medicine.status == "CPC":  # the product left the AAC: the patient goes there
        from app.operations.follow_up import open_registration

        return open_registration(db, prescriber_id=previous.filer_id, actor=actor, code=medicine.code,
                                 patient=previous.payload.get("patient"), renews=previous)
    if medicine is not None and medicine.status == "AAP":
        raise InvalidTransition(f"{medicine.name} relève désormais d’une autorisation d’accès précoce (AAP)\u00a0: le "
                                "laboratoire prend le relais\u00a0; aucun renouvellement d’AAC n’est possible.")
    if medicine is not None and not medicine.open_to_aac(today):
        raise InvalidTransition(f"L’accès compassionnel à {medicine.name} est terminé : pas de renouvellement.")
    indication = indication_of(medicine, (previous.payload.get("medicament") or {}).get("indication", ""))
    if indication is not None and not aac.indication_open(indication):
        raise InvalidTransition("L’accès compassionnel dans cette indication est terminé : pas de renouvellement.")
    payload = {key: dict(previous.payload.get(key) or {}) for key in ("patient", "medicament", "engagement")}
    payload["prescription"] = {k: v for k, v in (previous.payload.get("prescription") or {}).items()
                               if k in ("posologie", "duree", "criteres", "justification", "differable", "essais")}
    payload["renouvellement_de"] = previous.id
    payload["patient"], payload["prescription"]["donnees_cliniques"] = _from_follow_up(db, previous, payload)
    filing = Filing(form="AAC", structure_id=None, filer_id=previous.filer_id, payload=payload,
                    idempotency_key=secrets.token_urlsafe(24))
    db.add(filing)
    db.flush()
    audit.record(db, actor=actor, action="aac.renewal_opened", object_type="filing", object_id=filing.id,
                 after={"renews": previous.reference})
    return filing


def _from_follow_up(db: Session, previous: Filing, payload: dict) -> tuple[dict, str]:
    """What the follow-up forms already say: the last weight, and the period's clinical data as a draft text."""
    from app.domain.forms.follow_up import EFFICACY

    forms = db.exec(select(Filing).where(Filing.parent_id == previous.id, Filing.form.in_(("INIT", "SUIVI")),
                                         Filing.state == "transmise").order_by(Filing.id)).all()
    patient, lines = dict(payload.get("patient") or {}), []
    for form in forms:
        part = form.payload.get("suivi") or form.payload.get("initiation") or {}
        if part.get("poids"):
            patient["poids"] = part["poids"]
        if form.form == "SUIVI":
            lines.append(f"Suivi du {part.get('date_visite', '')}\u00a0: efficacité "
                         f"{dict(EFFICACY).get(part.get('efficacite', ''), '—').lower()}, tolérance "
                         f"{'bonne' if part.get('tolerance') == 'bonne' else 'effet indésirable'}"
                         + (f"\u00a0; {part['commentaire']}" if part.get("commentaire") else "") + ".")
    return patient, "\n".join(lines)


def expire_granted(db: Session, today: date) -> int:
    """``flask jobs run``: granted requests whose treatment period has ended become « expirée »."""
    count = 0
    for filing in db.exec(select(Filing).where(Filing.form == "AAC", Filing.state == "octroyee")):
        end = (filing.payload.get("decision") or {}).get("fin")
        if end and date.fromisoformat(end) < today:
            move(db, filing, "expirer", aac.PORTAL, actor="portail")
            count += 1
    return count


EDITABLE_BY_PUI = (("posologie", "Posologie"), ("duree", "Durée (jours)"), ("essais", "Essais en cours"),
                   ("justification", "Justification"))


def pharmacist_edit(db: Session, filing: Filing, changes: dict, *, actor: str, today: date) -> list[str]:
    """The PUI pharmacist completes or corrects the prescription before transmitting; every change is kept in
    the request's history, where the prescriber sees it. Returns the French description of the changes."""
    if filing.state != "a_valider_pui":
        raise InvalidTransition("La PUI modifie une demande seulement avant de la transmettre.")
    before = dict(filing.payload.get("prescription") or {})
    after = {**before, **{k: (changes.get(k) or "").strip() for k, _ in EDITABLE_BY_PUI if k in changes}}
    errors = step_errors(db, "prescription", after, {**filing.payload, "prescription": after}, today=today)
    if errors:
        field, message = next(iter(errors.items()))
        raise InvalidTransition(message, field=field)
    described = [f"{label} : « {before.get(key, '')} » → « {after[key]} »" for key, label in EDITABLE_BY_PUI
                 if after.get(key, "") != before.get(key, "")]
    if not described:
        return []
    filing.payload = {**filing.payload, "prescription": after}
    db.add(filing)
    db.add(FilingEvent(filing_id=filing.id, actor=actor, verb="modifier_pui", before=filing.state,
                       after=filing.state, message="Modifié par la PUI : " + " ; ".join(described)))
    db.flush()
    audit.record(db, actor=actor, action="aac.modified_by_pui", object_type="filing", object_id=filing.id,
                 before={k: before.get(k) for k, _ in EDITABLE_BY_PUI},
                 after={k: after.get(k) for k, _ in EDITABLE_BY_PUI})
    return described
