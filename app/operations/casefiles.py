"""Case-file operations shared by every workflow: drafts, deposit, back-office transitions, the thread.

Operations flush; the view, command or job commits once (DESIGN.md §9). What a workflow adds (its checks,
its effects on acceptance, its sealed document) comes in through :class:`Workflow`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from app.domain import casefiles as states
from app.domain.casefiles import BACK_OFFICE, FILER, InvalidTransition, Involvement, involvement_of
from app.domain.permissions import Actor
from app.models import Filing, FilingEvent, ReferenceCounter, Structure
from app.models.base import utcnow
from app.operations import audit, outbox


class Refused(Exception):
    """The filing breaks rules; ``errors`` maps step -> {field: French message}. Nothing was stored."""

    def __init__(self, errors: dict[str, dict[str, str]]):
        super().__init__("; ".join(m for errs in errors.values() for m in errs.values()))
        self.errors = errors


@dataclass(frozen=True)
class Workflow:
    """What one kind of case file plugs into the core."""

    check: Callable[[Session, Filing], dict[str, dict[str, str]]]  # every error, or {} (deposit, acceptance)
    effects: Callable[[Session, Filing, str], None] = lambda db, filing, actor: None  # on acceptance
    recipients: Callable[[Session, Filing], list[str]] = lambda db, filing: []  # besides the filer
    seal: Callable[[Session, Filing, FilingEvent], None] | None = None  # the document of the deposit


def open_draft(db: Session, *, form: str, structure_id: int | None, filer_id: int, actor: str,
               payload: dict | None = None) -> Filing:
    filing = Filing(form=form, structure_id=structure_id, filer_id=filer_id, payload=payload or {},
                    idempotency_key=secrets.token_urlsafe(24))
    db.add(filing)
    db.flush()
    audit.record(db, actor=actor, action="filing.opened", object_type="filing", object_id=filing.id,
                 after={"form": form, "structure_id": structure_id})
    return filing


def involvement(db: Session, filing: Filing) -> Involvement:
    """Whom the file concerns, for the separation-of-duties rule every decision goes through."""
    structure = db.get(Structure, filing.structure_id) if filing.structure_id else None
    return involvement_of(filing.filer_id, filing.payload, (structure.id, structure.parent_id) if structure else ())


def editable(filing: Filing) -> bool:
    return filing.state in ("brouillon", "a_corriger")


def save_part(db: Session, filing: Filing, part: str, data) -> None:
    """Autosave: keep what was typed, valid or not (the draft loses nothing); checks come at deposit."""
    if not editable(filing):
        raise InvalidTransition(f"Un dossier {states.STATES[filing.state].lower()} ne se modifie plus.")
    filing.payload = {**filing.payload, part: data}
    filing.updated_at = utcnow()
    db.add(filing)
    db.flush()


def next_reference(db: Session, form: str, year: int) -> str:
    """The next number of ``form`` for ``year``: the counter row is created if missing, then incremented in
    one UPDATE that holds its lock until the deposit commits (gap-free, unique under concurrency)."""
    table = ReferenceCounter.__table__
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.execute(insert(table).values(form=form, year=year, last=0).on_conflict_do_nothing())
    number = db.execute(sa.update(table).where(table.c.form == form, table.c.year == year)
                        .values(last=table.c.last + 1).returning(table.c.last)).scalar_one()
    return states.reference(form, year, number)


def _event(db: Session, filing: Filing, *, actor: str, verb: str, before: str, message: str = "",
           auth_method: str = "", audited: bool = True) -> FilingEvent:
    event = FilingEvent(filing_id=filing.id, actor=actor, verb=verb, before=before, after=filing.state,
                        message=message, auth_method=auth_method)
    db.add(event)
    db.flush()
    if audited:
        _audit(db, filing, event)
    return event


def _audit(db: Session, filing: Filing, event: FilingEvent) -> None:
    audit.record(db, actor=event.actor, action=f"filing.{event.verb}", object_type="filing", object_id=filing.id,
                 before={"state": event.before}, after={"state": filing.state, "reference": filing.reference,
                                                        **({"message": event.message} if event.message else {})})


def deposit(db: Session, filing: Filing, workflow: Workflow, *, actor: str, auth_method: str,
            idempotency_key: str, filer_email: str = "", portal_url: str = "") -> bool:
    """Déposer (or déposer à nouveau after a correction). Returns False when this key was already used:
    a double click or a retried POST changes nothing."""
    if idempotency_key != filing.idempotency_key:
        return False
    verb = "deposer" if filing.state == "brouillon" else "redeposer"
    transition = states.transition(filing.state, verb, by=FILER)
    errors = workflow.check(db, filing)
    if errors:
        raise Refused(errors)
    before = filing.state
    now = utcnow()
    if filing.reference is None:
        filing.reference = next_reference(db, filing.form, now.year)
    filing.state = transition.target
    filing.deposited_at = now
    filing.updated_at = now
    filing.idempotency_key = secrets.token_urlsafe(24)  # the next deposit (after a correction) needs a new key
    db.add(filing)
    db.flush()
    event = _event(db, filing, actor=actor, verb=verb, before=before, auth_method=auth_method, audited=False)
    if workflow.seal is not None:
        workflow.seal(db, filing, event)
    # Audited after the seal: the audit chain's lock (every login and decision writes to it) is not held while
    # the HSM and pyHanko seal the PDF, which takes seconds on a loaded machine.
    _audit(db, filing, event)
    _notify(db, filing, workflow, filer_email,
            f"Dossier {filing.reference} déposé",
            f"Votre dossier {filing.reference} a bien été déposé le {now:%d/%m/%Y à %H:%M} (UTC).\n"
            f"Numéro d’accusé de réception : {filing.reference}.\n{portal_url}")
    return True


def act(db: Session, filing: Filing, verb: str, workflow: Workflow, *, agent: Actor, auth_method: str = "",
        message: str = "", filer_email: str = "", portal_url: str = "") -> FilingEvent:
    """A back-office transition by ``agent``; ``accepter`` checks the rules again and applies the effects, all in
    the caller's transaction (a failure anywhere leaves nothing)."""
    actor = agent.national_id
    transition = states.transition(filing.state, verb, by=BACK_OFFICE, message=message, agent=agent,
                                   involvement=involvement(db, filing))
    if verb == "accepter":
        errors = workflow.check(db, filing)
        if errors:
            raise InvalidTransition("Le dossier ne peut plus être accepté : "
                                    + " ".join(m for e in errors.values() for m in e.values()))
    before = filing.state
    filing.state = transition.target
    filing.updated_at = utcnow()
    if filing.state in states.FINAL_STATES:
        filing.decided_at = filing.updated_at
    db.add(filing)
    db.flush()
    event = _event(db, filing, actor=actor, verb=verb, before=before, message=message.strip(),
                   auth_method=auth_method)
    if verb == "accepter":
        workflow.effects(db, filing, actor)
    if verb != "passer_en_instruction":
        said = f"\n\nMessage de l’agence :\n{message.strip()}" if message.strip() else ""
        _notify(db, filing, workflow, filer_email,
                f"Dossier {filing.reference} : {states.STATES[filing.state].lower()}",
                f"Votre dossier {filing.reference} est désormais « {states.STATES[filing.state]} ».{said}\n"
                f"{portal_url}")
    return event


CLOSED_THREAD = ("Ce dossier est clos : il n’accepte plus de message. Pour une nouvelle demande, déposez un nouveau "
                 "formulaire ; pour contester une décision, suivez les voies de recours indiquées dans le courriel "
                 "de décision.")


def write_message(db: Session, filing: Filing, *, actor: str, message: str, by: str) -> FilingEvent:
    """A message in the file's thread (the filer answering a correction request, the agency asking), while the
    file is open: a decided file's thread is closed with it."""
    if filing.state in states.FINAL_STATES:
        raise InvalidTransition(CLOSED_THREAD, field="message")
    if filing.state == "brouillon":
        raise InvalidTransition("Le dossier n’est pas encore déposé : rien n’est transmis à l’agence.",
                                field="message")
    if not message.strip():
        raise InvalidTransition("Le message est vide.", field="message")
    if len(message) > 4000:
        raise InvalidTransition("Le message dépasse 4 000 caractères.", field="message")
    return _event(db, filing, actor=actor, verb="message", before=filing.state, message=message.strip())


def history(db: Session, filing_id: int) -> list[FilingEvent]:
    return list(db.exec(select(FilingEvent).where(FilingEvent.filing_id == filing_id).order_by(FilingEvent.id)))


def _notify(db: Session, filing: Filing, workflow: Workflow, filer_email: str, subject: str, body: str) -> None:
    recipients = [filer_email, *workflow.recipients(db, filing)]
    outbox.queue(db, recipients, subject, body, filing_id=filing.id)
