"""The laboratory's side of a product under AAC or CPC: its patients' follow-up data, pseudonymised, as counts and as
a CSV streamed by thousands; the periodic synthesis report it files (a PDF and its summary), which the ANSM
evaluator validates or sends back; the validated summary published on the product's référentiel page and mailed
to the prescribers and pharmacists concerned. Operations flush; the request commits."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from app.db import streamed
from app.documents.spreadsheet import csv_chunks
from app.domain.aac import age_from
from app.domain.follow_up import EVALUATOR, LABORATORY
from app.domain.forms.follow_up import EFFICACY, END_REASONS, OUTCOMES
from app.domain.inputs import parse_int
from app.domain.permissions import Actor
from app.domain.refusals import Refusal
from app.models import CaseStat, Filing, FilingAttachment, Person, ReferentialMedicine
from app.operations import attachments, audit, outbox
from app.operations.casefiles import next_reference, transition

BATCH = 1000
HEADERS = ("Patient (pseudonyme)", "Cadre", "Âge à la décision", "Sexe", "Poids à la décision (kg)", "Indication",
           "Décision le", "Fiche", "Transmise le", "Date renseignée", "Poids (kg)", "Efficacité", "Tolérance",
           "Poursuite", "Motif de fin", "Gravité", "Évolution")


@dataclass(frozen=True)
class LoadedProduct:
    """A product of the référentiel, as ``can()`` sees it: whose laboratory it is."""

    medicine: ReferentialMedicine

    @property
    def laboratory(self) -> str:
        return self.medicine.laboratory


@dataclass(frozen=True)
class LoadedReport:
    report: Filing
    medicine: ReferentialMedicine | None

    @property
    def laboratory(self) -> str:
        return self.medicine.laboratory if self.medicine else ""


def pseudonym(key: bytes, product: str, file_id: int) -> str:
    """The same patient, the same pseudonym in every export of this product; nothing that leads back to the file
    (its reference, the prescriber, the establishment) leaves the portal."""
    return hmac.new(key, f"{product}:{file_id}".encode(), hashlib.sha256).hexdigest()[:12].upper()


def _files(code: str):
    parent = Filing.__table__
    return parent.c.form.in_(("AAC", "CPC")) & parent.c.state.in_(("octroyee", "expiree", "inscrit", "termine")) \
        & (parent.c.payload["medicament"]["code"].as_string() == code)


def counts(db: Session, code: str) -> dict[str, int]:
    """Patients, forms on time and late, adverse effects by seriousness: from the statistics' counts and one
    count of the files."""
    patients = db.execute(sa.select(sa.func.count()).select_from(Filing.__table__).where(_files(code))).scalar()
    found = {"patients": patients}
    for measure, bucket, total in db.execute(
            sa.select(CaseStat.measure, CaseStat.bucket, sa.func.sum(CaseStat.count))
            .where(CaseStat.product == code, CaseStat.measure.in_(("suivis", "effets")))
            .group_by(CaseStat.measure, CaseStat.bucket)):
        found[f"{measure}_{bucket}"] = int(total)
    return found


def _row(key: bytes, code: str, parent_id, parent_form, parent_payload, form, payload, deposited) -> list:
    patient = parent_payload.get("patient") or {}
    decided = (parent_payload.get("decision") or {}).get("date", "")
    try:
        on = date.fromisoformat(decided)
    except ValueError:
        on = None
    month = parse_int(str(patient.get("mois_naissance", "")), high=12)
    year = parse_int(str(patient.get("annee_naissance", "")), high=9999)
    age = age_from(month, year, on) if on and month is not None and year is not None else None
    part = next((v for k, v in payload.items() if k in ("initiation", "suivi", "fin", "effet")), {}) or {}
    when = part.get("date_debut") or part.get("date_visite") or part.get("date_fin") or part.get("date_survenue", "")
    return [pseudonym(key, code, parent_id), parent_form, "" if age is None else age, patient.get("sexe", ""),
            patient.get("poids", ""), (parent_payload.get("medicament") or {}).get("indication", ""), decided, form,
            deposited.strftime("%d/%m/%Y") if deposited else "", when, part.get("poids", ""),
            dict(EFFICACY).get(part.get("efficacite", ""), ""), part.get("tolerance", ""), part.get("poursuite", ""),
            dict(END_REASONS).get(part.get("motif", ""), ""), part.get("gravite", ""),
            dict(OUTCOMES).get(part.get("evolution", ""), "")]


def export_rows(db: Session, code: str, key: bytes) -> Iterator[str]:
    """The product's transmitted follow-up forms and declarations, one row each, pseudonymised; streamed from a
    server-side cursor by ``BATCH`` rows (memory stays flat whatever the volume)."""
    parent, child = Filing.__table__.alias("dossier"), Filing.__table__.alias("fiche")
    query = (sa.select(parent.c.id, parent.c.form, parent.c.payload, child.c.form, child.c.payload,
                       child.c.deposited_at)
             .join(child, child.c.parent_id == parent.c.id)
             .where(parent.c.form.in_(("AAC", "CPC")), child.c.state == "transmise",
                    child.c.form.in_(("INIT", "SUIVI", "FIN", "EI")),
                    parent.c.payload["medicament"]["code"].as_string() == code)
             .order_by(parent.c.id, child.c.id))
    batches = streamed(db, query, BATCH)
    yield from csv_chunks(HEADERS, ((_row(key, code, *row) for row in partition) for partition in batches))


def _check(form, upload_given: bool) -> dict:
    errors, values = {}, {}
    for key in ("du", "au"):
        try:
            values[key] = date.fromisoformat(form.get(key, "").strip())
        except ValueError:
            errors[key] = "Date au format AAAA-MM-JJ."
    if not errors and values["au"] < values["du"]:
        errors["au"] = "La période se termine après son début."
    summary = form.get("resume", "").strip()
    if not 20 <= len(summary) <= 2000:
        errors["resume"] = "Le résumé, publié sur la fiche du produit, fait de 20 à 2 000 caractères."
    if not upload_given:
        errors["rapport"] = "Joignez le rapport de synthèse (PDF)."
    if errors:
        raise Refusal(errors=errors)
    return {"du": values["du"].isoformat(), "au": values["au"].isoformat(), "resume": summary}


def file_report(db: Session, medicine: ReferentialMedicine, form, upload, *, person_id: int, actor: str,
                max_bytes: int, existing: Filing | None = None) -> Filing:
    """File (or file again, after changes were asked) the periodic synthesis report: a PDF and its summary."""
    payload = _check(form, upload is not None and bool(upload.filename))
    report = existing or Filing(form="RSP", structure_id=None, filer_id=person_id,
                                idempotency_key=secrets.token_urlsafe(24), payload={})
    report.payload = {**payload, "produit": medicine.code}
    db.add(report)
    db.flush()
    row = attachments.attach(db, report, upload, max_bytes=max_bytes, actor=actor)
    if row.content_type != "application/pdf":
        raise Refusal("Le rapport se dépose en PDF.", field="rapport")
    if report.reference is None:
        report.reference = next_reference(db, "RSP", date.today().year)
    report.deposited_at = row.created_at
    report.payload = {**report.payload, "piece": row.id}
    transition(db, report, "deposer", by=LABORATORY, actor=actor)
    outbox.queue(db, _emails(db, "ansm_evaluator"), f"Rapport de synthèse déposé\u00a0: {medicine.name}",
                 f"Le laboratoire {medicine.laboratory} a déposé le rapport de synthèse {report.reference} "
                 f"({payload['du']} – {payload['au']})\u00a0: il attend votre validation.", filing_id=report.id)
    return report


def _emails(db: Session, role: str) -> list[str]:
    from app.models import AgencyRole

    return [e for e in db.exec(select(Person.email).join(AgencyRole, AgencyRole.national_id == Person.national_id)
                               .where(AgencyRole.role == role)).all() if e]


def decide(db: Session, loaded: LoadedReport, verb: str, *, agent: Actor, message: str, link: str) -> None:
    """The evaluator validates (the summary is published and mailed) or asks for changes (mailed to the
    laboratory)."""
    report, medicine = loaded.report, loaded.medicine
    transition(db, report, verb, by=EVALUATOR, actor=agent.national_id, agent=agent, message=message)
    filer = db.get(Person, report.filer_id)
    if verb == "demander_modifications":
        outbox.queue(db, [filer.email] if filer and filer.email else [],
                     f"Rapport {report.reference}\u00a0: modifications demandées",
                     f"L’ANSM demande des modifications du rapport {report.reference}\u00a0:\n\n{message}\n\n"
                     f"Déposez-le à nouveau\u00a0: {link}", filing_id=report.id)
        return
    published = (f"Rapport de synthèse du {_fr(report.payload['du'])} au {_fr(report.payload['au'])}, validé par "
                 f"l’ANSM le {date.today():%d/%m/%Y}\u00a0: {report.payload['resume']}")
    medicine.report_summaries = [*medicine.report_summaries, published]
    db.add(medicine)
    audit.record(db, actor=agent.national_id, action="referential.summary_published", object_type="medicine",
                 object_id=medicine.id, after={"report": report.reference})
    outbox.queue(db, concerned(db, medicine.code), f"Résumé du rapport de synthèse\u00a0: {medicine.name}",
                 f"L’ANSM a validé le rapport de synthèse périodique de {medicine.name} (laboratoire "
                 f"{medicine.laboratory}).\n\n{published}\n\nFiche du produit\u00a0: {link}", filing_id=report.id)
    db.flush()


def _fr(day: str) -> str:
    return date.fromisoformat(day).strftime("%d/%m/%Y")


def concerned(db: Session, code: str) -> list[str]:
    """The prescribers and PUI pharmacists of the product's patients."""
    files = db.execute(sa.select(Filing.filer_id, Filing.payload).where(_files(code))).all()
    ids = {filer for filer, _ in files}
    for _, payload in files:
        pharmacist = parse_int(str((payload.get("engagement") or {}).get("pharmacien", "")).partition(":")[0])
        if pharmacist:
            ids.add(pharmacist)
    if not ids:
        return []
    return sorted({e for e in db.exec(select(Person.email).where(Person.id.in_(ids))).all() if e})


def report_file(db: Session, report: Filing) -> FilingAttachment | None:
    return db.get(FilingAttachment, report.payload.get("piece")) if report.payload.get("piece") else None


def next_report_due(db: Session, medicine: ReferentialMedicine) -> date | None:
    """When the laboratory's next periodic report is due: its last one's period end plus the protocol's
    periodicity (None before the first one, or when the protocol collects nothing)."""
    from app.domain.protocol import add_months
    from app.operations.follow_up import protocol_of

    protocol = protocol_of(medicine)
    if not protocol.collects:
        return None
    last = db.exec(select(Filing).where(Filing.form == "RSP", Filing.state.in_(("deposee", "valide")),
                                        Filing.payload["produit"].as_string() == medicine.code)
                   .order_by(Filing.id.desc())).first()
    return add_months(date.fromisoformat(last.payload["au"]), protocol.report_months) if last else None


def remind_reports(db: Session, today: date, link) -> int:
    """``follow-up-reminders``, for laboratories: a week before a periodic report is due, one e-mail per due date
    (the queued message itself says it was sent)."""
    from datetime import timedelta

    from app.models import AgencyRole, OutboxMessage

    sent = 0
    for medicine in db.exec(select(ReferentialMedicine).where(ReferentialMedicine.laboratory != "")):
        due = next_report_due(db, medicine)
        if due is None or due - timedelta(days=7) > today:
            continue
        subject = f"Rapport de synthèse attendu le {due:%d/%m/%Y}\u00a0: {medicine.name}"
        if db.exec(select(OutboxMessage.id).where(OutboxMessage.subject == subject)).first() is not None:
            continue
        emails = [e for e in db.exec(select(Person.email).join(AgencyRole, AgencyRole.national_id ==
                                                               Person.national_id)
                                     .where(AgencyRole.role == "laboratory",
                                            AgencyRole.scope == medicine.laboratory)).all() if e]
        outbox.queue(db, emails, subject, f"Le protocole de {medicine.name} prévoit un rapport de synthèse "
                     f"périodique pour le {due:%d/%m/%Y}. Déposez-le\u00a0: {link(medicine.code)}")
        sent += 1
    db.flush()
    return sent
