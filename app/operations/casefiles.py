"""Case-file operations shared by every workflow: drafts, deposit, back-office transitions, the thread.

Operations flush; the view, command or job commits once (DESIGN.md §9). What a workflow adds (its checks,
its effects on acceptance, its sealed document) comes in through :class:`Workflow`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from app.domain import casefiles as states
from app.domain import follow_up
from app.domain.aac import AAC_MACHINE
from app.domain.cardorders import CARD_MACHINE
from app.domain.casefiles import BACK_OFFICE, FILER, InvalidTransition, Involvement, Machine, involvement_of
from app.domain.clock import for_people
from app.domain.permissions import Actor, structure_and_its_ej
from app.domain.refusals import Refusal
from app.models import CardOrder, Filing, FilingEvent, ReferenceCounter, Structure
from app.models.base import utcnow
from app.operations import audit, delays, outbox, statistics


class Refused(Refusal):
    """The filing breaks rules; ``errors`` maps step -> {field: French message}. Nothing was stored."""

    def __init__(self, errors: dict[str, dict[str, str]]):
        super().__init__(errors=errors)


@dataclass(frozen=True)
class Workflow:
    """What one kind of case file plugs into the core."""

    check: Callable[[Session, Filing], dict[str, dict[str, str]]]  # every error, or {} (deposit, acceptance)
    effects: Callable[[Session, Filing, str], None] = lambda db, filing, actor: None  # on acceptance
    recipients: Callable[[Session, Filing], list[str]] = lambda db, filing: []  # besides the filer
    seal: Callable[[Session, Filing, FilingEvent], None] | None = None  # the document of the deposit
    on_deposit: Callable[[Session, Filing, str], None] = lambda db, filing, actor: None  # at once, every deposit


def open_draft(db: Session, *, form: str, structure_id: int | None, filer_id: int, actor: str,
               payload: dict | None = None) -> Filing:
    filing = Filing(form=form, structure_id=structure_id, filer_id=filer_id, payload=payload or {},
                    idempotency_key=secrets.token_urlsafe(24))
    db.add(filing)
    db.flush()
    audit.record(db, actor=actor, action="filing.opened", object_type="filing", object_id=filing.id,
                 after={"form": form, "structure_id": structure_id})
    return filing


def involvement(db: Session, case) -> Involvement:
    """Whom the file concerns, for the separation-of-duties rule every decision goes through: a filing's filer,
    the people it names and its structure (with the EJ); a card order's filer, holder and structure."""
    structure = db.get(Structure, case.structure_id) if case.structure_id else None
    structures = structure_and_its_ej(structure) if structure else ()
    if isinstance(case, CardOrder):
        filing = db.get(Filing, case.filing_id)
        return Involvement(filing.filer_id if filing else 0, frozenset({case.national_id} - {""}),
                           structure_ids=frozenset(i for i in structures if i))
    return involvement_of(case.filer_id, case.payload, structures)


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


@dataclass(frozen=True)
class Kind:
    """One kind of case file as the transition sees it: its machine and how its audit actions are named."""

    machine: Machine
    audit_prefix: str
    object_type: str = "filing"


FORM_KIND = Kind(states.FORMS_MACHINE, "filing")
KINDS = {"AAC": Kind(AAC_MACHINE, "aac"), "CERT": Kind(states.CERT_MACHINE, "certificate_order"),
         "CARD": Kind(CARD_MACHINE, "card", "card_order"), "CPC": Kind(follow_up.CPC_MACHINE, "cpc"),
         "RSP": Kind(follow_up.REPORT_MACHINE, "report"),
         **{form: Kind(follow_up.FOLLOW_UP_MACHINE, "follow_up") for form in ("INIT", "SUIVI", "FIN", "EI")}}


def kind_of(case) -> Kind:
    return KINDS["CARD"] if isinstance(case, CardOrder) else KINDS.get(case.form, FORM_KIND)


def transition(db: Session, case, verb: str, *, by: str, actor: str, agent: Actor | None = None, message: str = "",
               auth_method: str = "", after: Callable[[FilingEvent | None], None] | None = None,
               audit_extra: dict | None = None) -> FilingEvent | None:
    """The one way a case file changes state, for every kind (ANS forms, AAC requests, certificate orders, card
    orders): the machine's rules (who may act, from which state, with which motive; for decisions, the separation
    of duties), then the state, the dates, the history event (filings), ``after`` (the workflow's own effects:
    seal, rights, certificates; mails), and last the audit record with before and after. Flushes only."""
    kind = kind_of(case)
    found = kind.machine.transition(case.state, verb, by=by, message=message, agent=agent,
                                    involvement=involvement(db, case) if by in kind.machine.deciders else None)
    before = case.state
    now = utcnow()
    if found.target is not None:
        case.state = found.target
    case.updated_at = now
    if isinstance(case, Filing) and found.target in kind.machine.final:
        case.decided_at = now
    db.add(case)
    db.flush()
    event = None
    if isinstance(case, Filing):
        event = FilingEvent(filing_id=case.id, actor=actor, verb=verb, before=before, after=case.state,
                            message=message.strip(), auth_method=auth_method)
        db.add(event)
        db.flush()
    if after is not None:
        after(event)
    statistics.on_transition(db, case, verb, now)
    # Audited last: the audit chain's lock (every login and decision writes to it) is not held while ``after``
    # seals a PDF in the HSM, which takes seconds on a loaded machine.
    audit.record(db, actor=actor, action=f"{kind.audit_prefix}.{verb}", object_type=kind.object_type,
                 object_id=case.id, before={"state": before},
                 after={"state": case.state, **({"reference": case.reference} if isinstance(case, Filing) else {}),
                        **({"message": message.strip()} if message.strip() else {}), **(audit_extra or {})})
    return event


def deposit(db: Session, filing: Filing, workflow: Workflow, *, actor: str, auth_method: str,
            idempotency_key: str, filer_email: str = "", portal_url: str = "", home_url: str = "") -> bool:
    """Déposer (or déposer à nouveau after a correction). Returns False when this key was already used:
    a double click or a retried POST changes nothing."""
    if idempotency_key != filing.idempotency_key:
        return False
    verb = "deposer" if filing.state == "brouillon" else "redeposer"
    states.transition(filing.state, verb, by=FILER)  # the state allows it: check the content then
    errors = workflow.check(db, filing)
    if errors:
        raise Refused(errors)
    now = utcnow()
    if filing.reference is None:
        filing.reference = next_reference(db, filing.form, now.year)
    filing.deposited_at = now
    filing.idempotency_key = secrets.token_urlsafe(24)  # the next deposit (after a correction) needs a new key
    def after(event) -> None:
        workflow.on_deposit(db, filing, actor)
        if workflow.seal is not None:
            workflow.seal(db, filing, event)

    transition(db, filing, verb, by=FILER, actor=actor, auth_method=auth_method, after=after)
    _notify(db, filing, workflow, filer_email,
            f"Dossier {filing.reference} déposé",
            f"Votre dossier {filing.reference} a bien été déposé le {for_people(now)}.\n"
            f"Numéro d’accusé de réception : {filing.reference}.\n\n"
            f"Et ensuite\u00a0? {delays.what_next(db, filing.form)}\n{portal_url}",
            f"Le dossier {filing.reference} ({filing.form}) qui vous désigne a été déposé le {for_people(now)}.",
            home_url)
    return True


def act(db: Session, filing: Filing, verb: str, workflow: Workflow, *, agent: Actor, auth_method: str = "",
        message: str = "", filer_email: str = "", portal_url: str = "", home_url: str = "",
        correction_due: date | None = None) -> FilingEvent:
    """A back-office transition by ``agent``; ``accepter`` checks the rules again and applies the effects, all in
    the caller's transaction (a failure anywhere leaves nothing). A correction request carries its deadline
    (``correction_due``), of which the filer is reminded."""
    actor = agent.national_id
    states.transition(filing.state, verb, by=BACK_OFFICE, message=message, agent=agent,
                      involvement=involvement(db, filing))  # allowed: on acceptance, check the rules again
    if verb == "accepter":
        errors = workflow.check(db, filing)
        if errors:
            raise InvalidTransition("Le dossier ne peut plus être accepté : "
                                    + " ".join(m for e in errors.values() for m in e.values()))
    event = transition(db, filing, verb, by=BACK_OFFICE, actor=actor, agent=agent, message=message,
                       auth_method=auth_method,
                       after=(lambda _event: workflow.effects(db, filing, actor)) if verb == "accepter" else None)
    if verb == "demander_correction":
        filing.correction_due, filing.correction_reminded_at = correction_due, None
        db.add(filing)
        db.flush()
    if verb != "passer_en_instruction":
        said = f"\n\nMessage de l’agence :\n{message.strip()}" if message.strip() else ""
        if verb == "demander_correction" and correction_due:
            said += f"\n\nCorrection attendue avant le {correction_due:%d/%m/%Y}."
        _notify(db, filing, workflow, filer_email,
                f"Dossier {filing.reference} : {states.STATES[filing.state].lower()}",
                f"Votre dossier {filing.reference} est désormais « {states.STATES[filing.state]} ».{said}\n"
                f"{portal_url}",
                f"Le dossier {filing.reference} ({filing.form}) qui vous désigne est désormais "
                f"« {states.STATES[filing.state]} ».", home_url)
    return event


def history(db: Session, filing_id: int) -> list[FilingEvent]:
    return list(db.exec(select(FilingEvent).where(FilingEvent.filing_id == filing_id).order_by(FilingEvent.id)))


def _notify(db: Session, filing: Filing, workflow: Workflow, filer_email: str, subject: str, body: str,
            designated_body: str, home_url: str) -> None:
    """The filer gets the file's link; the people the form designates cannot open the file (it is the filer's),
    so theirs leads to the portal, where they log in and find what concerns them."""
    outbox.queue(db, [filer_email], subject, body, filing_id=filing.id)
    designated = [e for e in workflow.recipients(db, filing) if e and e.lower() != filer_email.lower()]
    if designated:
        outbox.queue(db, designated, subject, f"{designated_body}\nConnectez-vous au portail santé avec votre carte "
                     f"ou votre e-CPS pour y accéder : {home_url}", filing_id=filing.id)


def delete_draft(db: Session, filing: Filing, *, actor: str) -> None:
    """A draft its author no longer wants goes, with its attachments (their bytes with them, in the same
    transaction). A deposited file stays: its history is the agency's record too."""
    from app.models import FilingAttachment, FilingAttachmentContent

    if filing.state != "brouillon":
        raise InvalidTransition("Seul un brouillon se supprime : ce dossier a été déposé.")
    attached = list(db.exec(select(FilingAttachment.id).where(FilingAttachment.filing_id == filing.id)))
    if attached:
        db.execute(sa.delete(FilingAttachmentContent).where(FilingAttachmentContent.attachment_id.in_(attached)))
    for model in (FilingAttachment, FilingEvent):
        db.execute(sa.delete(model).where(model.filing_id == filing.id))
    filing_id, form = filing.id, filing.form
    db.delete(filing)
    db.flush()
    audit.record(db, actor=actor, action=f"{kind_of(filing).audit_prefix}.draft_deleted", object_type="filing",
                 object_id=filing_id, before={"form": form, "attachments": len(attached)})
