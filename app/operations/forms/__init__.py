"""The ANS forms as a case-file workflow: rules, effects, recipients and the sealed filing PDF."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from app.documents.filing import Signature, render_filing
from app.domain.clock import for_people
from app.domain.codes import AUTH_METHODS
from app.domain.forms import FORMS
from app.models import Filing, FilingAttachment, FilingDocument, FilingEvent, Person, Structure
from app.operations.casefiles import Workflow
from app.operations.pki import seal_pdf

from . import effects, rules
from .means import Means

__all__ = ["effects", "rules", "workflow"]


def check(db: Session, filing: Filing, documents: list | None = None) -> dict[str, dict[str, str]]:
    """Every reason the draft may not be deposited yet, by step; ``documents`` its attachments when known."""
    found = rules.errors(db, filing)
    spec = FORMS[filing.form]
    if spec.attachment and not (attachments(db, filing.id) if documents is None else documents):
        found.setdefault(spec.steps[-1].name, {})["piece_jointe"] = f"Joignez : {spec.attachment.lower()}."
    return found


_ATTACHMENTS = (select(FilingAttachment).where(FilingAttachment.filing_id == sa.bindparam("filing_id"),
                                               FilingAttachment.event_id.is_(None))  # not a message's document
                .order_by(FilingAttachment.id))


def attachments(db: Session, filing_id: int) -> list[FilingAttachment]:
    return list(db.exec(_ATTACHMENTS, params={"filing_id": filing_id}))


def recipients(db: Session, filing: Filing) -> list[str]:
    """The structure's contact address and the people the form designates."""
    payload = filing.payload
    found = [(payload.get(part) or {}).get("courriel", "") for part in ("contact", "representant")]
    for step in FORMS[filing.form].steps:
        if step.repeated:
            found += [row.get("courriel", "") for row in payload.get(step.name) or []]
    return found


def structure_block(structure: Structure) -> list[tuple[str, str]]:
    identifier = (f"FINESS {'juridique' if structure.kind == 'EJ' else 'géographique'} {structure.finess}"
                  if structure.finess else f"SIRET {structure.siret}")
    return [("Raison sociale", structure.name), ("Identifiant", identifier),
            ("Adresse", f"{structure.street} {structure.postal_code} {structure.city}".strip() or "—")]


def workflow(keystore, sandbox=None) -> Workflow:
    """The ANS forms' workflow; ``sandbox`` receives the test identities an accepted F414 makes."""
    means = Means(keystore, sandbox)

    def seal(db: Session, filing: Filing, event: FilingEvent) -> None:
        filer = db.get(Person, filing.filer_id)
        structure = db.get(Structure, filing.structure_id)
        pdf = render_filing(
            FORMS[filing.form], reference=filing.reference, structure=structure_block(structure),
            payload=filing.payload, attachments=[a.name for a in attachments(db, filing.id)],
            signature=Signature(filer.shown_name, filer.national_id,
                                for_people(event.at), AUTH_METHODS.get(event.auth_method,
                                                                                    event.auth_method or "—")))
        sealed = seal_pdf(db, keystore, pdf, reason=f"Dépôt du formulaire {filing.form} ({filing.reference})")
        version = len(list(db.exec(select(FilingDocument.id).where(FilingDocument.filing_id == filing.id)))) + 1
        db.add(FilingDocument(filing_id=filing.id, version=version, pdf=sealed))
        db.flush()

    return Workflow(check=check, effects=lambda db, filing, actor: effects.apply(db, filing, actor, means),
                    recipients=recipients, seal=seal,
                    on_deposit=lambda db, filing, actor: effects.on_deposit(db, filing, actor, means))
